"""Excel exports of lists: Indonesian headers, masked personal numbers, Rupiah and date
formats, region scoping and a refused (never truncated) export above the limit."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from casework.clock import WITA
from casework.errors import DomainError
from casework.exports import check_export_limit, table_xlsx
from casework.identity import mask_number
from casework.services.access import may_export_identity
from tests.admin.helpers import login
from tests.factories import SAMARINDA_VILLAGE, make_case, make_person


def sheet_of(content: bytes):
    return load_workbook(BytesIO(content)).worksheets[0]


def rows_of(content: bytes) -> list[list]:
    return [list(r) for r in sheet_of(content).iter_rows(values_only=True)]


def test_the_person_list_exports_with_indonesian_headers_and_masked_nik(client, session, users):
    person = make_person(session, users["caseworker"], name="Siti Aminah")
    login(client, users["caseworker"])
    response = client.get("/admin/person/export/xlsx/")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    header, *rows = rows_of(response.data)
    assert header[:3] == ["Nama", "NIK", "Nomor KK"]
    mine = next(r for r in rows if r[0] == "Siti Aminah")
    assert mine[1] == mask_number(person.nik) and person.nik not in str(rows)


def test_a_verifier_gets_full_numbers_for_the_dtsen_check(client, session, users):
    person = make_person(session, users["caseworker"], name="Rina Wati")
    login(client, users["verifier"])
    rows = rows_of(client.get("/admin/person/export/xlsx/").data)
    mine = next(r for r in rows if r[0] == "Rina Wati")
    assert mine[1] == person.nik


def test_only_the_verifier_may_export_full_numbers(users):
    allowed = {name for name, user in users.items() if may_export_identity(user)}
    assert allowed == {"verifier", "kukar_verifier"}


def test_the_case_list_export_keeps_to_the_users_region(client, session, users):
    kukar = make_case(session, users["caseworker"], "WRSE")
    samarinda = make_case(session, users["caseworker"], "WRSE", village=SAMARINDA_VILLAGE)
    login(client, users["kukar_caseworker"])
    response = client.get("/admin/case/export/xlsx/")
    numbers = {r[0] for r in rows_of(response.data)[1:]}
    assert kukar.number in numbers and samarinda.number not in numbers


def test_an_export_above_the_limit_is_refused_with_a_message(app, client, session, users):
    make_person(session, users["caseworker"])
    make_person(session, users["caseworker"])
    login(client, users["caseworker"])
    app.config["EXPORT_MAX_ROWS"] = 1
    try:
        response = client.get("/admin/person/export/xlsx/", follow_redirects=True)
    finally:
        app.config["EXPORT_MAX_ROWS"] = 50_000
    assert response.mimetype == "text/html"
    assert "Ekspor dibatasi 1 baris" in response.get_data(as_text=True)


def test_the_limit_refuses_rather_than_truncates():
    check_export_limit(10, 10)
    with pytest.raises(DomainError) as refused:
        check_export_limit(11, 10)
    assert refused.value.status == 422


def test_rupiah_dates_and_numbers_get_excel_formats():
    content = table_xlsx(
        "Daftar",
        ["Nilai", "Tanggal", "Waktu", "NIK"],
        ["requested_amount", "birth_date", "created_at", "nik"],
        [
            [
                4_500_000,
                date(1985, 6, 15),
                datetime(2026, 1, 2, 1, 0, tzinfo=WITA),
                "6402084506850001",
            ]
        ],
        show_identity=False,
    )
    sheet = sheet_of(content)
    amount, born, at, nik = sheet[2]
    assert amount.value == 4_500_000 and amount.number_format == '"Rp" #,##0;-"Rp" #,##0'
    assert born.value == datetime(1985, 6, 15) and born.number_format == "DD-MM-YYYY"
    assert at.value == datetime(2026, 1, 2, 1, 0)
    assert nik.value == "6402********0001"


def test_every_admin_list_offers_the_excel_export(app):
    from flask_admin.contrib.sqla import ModelView

    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]
    assert views and all(v.can_export and v.export_types == ["xlsx"] for v in views)
