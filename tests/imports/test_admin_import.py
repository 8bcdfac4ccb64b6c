"""The import screen: template download, dry-run report, confirmed import with progress."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from admin.imports import wait
from casework import clock
from casework.models import Case
from tests.admin.helpers import login, page_token
from tests.imports.sheets import person_cells, workbook

YEAR = clock.today_wita().year


def test_the_template_has_indonesian_headers_text_columns_and_instructions(client, users):
    login(client, users["caseworker"])
    response = client.get(f"/admin/import/template.xlsx?program=WRSE&fiscal_year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    data, instructions, codes = book.worksheets
    headers = [c.value for c in data[1]]
    assert headers[:4] == ["NIK", "Nomor KK", "Nama lengkap", "Jenis kelamin (L/P)"]
    assert data.column_dimensions["A"].number_format == "@"
    assert (instructions.title, codes.title) == ("Petunjuk", "Kode")
    assert "64.02.08.2007" in [c.value for c in codes["D"]]
    assert any("WRSE" in str(c.value) for c in instructions["A"])


def test_a_kube_template_starts_with_the_group_columns(client, users):
    login(client, users["caseworker"])
    response = client.get(f"/admin/import/template.xlsx?program=KUBE&fiscal_year={YEAR}")
    headers = [c.value for c in load_workbook(BytesIO(response.data)).worksheets[0][1]]
    assert headers[:3] == ["Nama KUBE", "Jabatan dalam kelompok", "NIK"]


def upload(client, rows):
    token = page_token(client, "/admin/import/")
    return client.post(
        "/admin/import/check",
        data={
            "csrf_token": token,
            "program": "WRSE",
            "fiscal_year": str(YEAR),
            "file": (workbook(rows), "pemohon.xlsx"),
        },
        content_type="multipart/form-data",
    )


def test_the_dry_run_report_shows_errors_by_row_and_column_and_imports_on_confirm(
    client, session, users
):
    login(client, users["caseworker"])
    before = session.scalar(select(func.count()).select_from(Case))
    page = upload(client, [person_cells(), person_cells(village_code="64.02.08.9999")])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 baris valid" in html and "1 baris dengan kesalahan" in html
    assert "J — Kode desa/kelurahan" in html and "Kode desa tidak dikenal 64.02.08.9999." in html
    token = html.split("/admin/import/confirm/")[1].split('"')[0]
    confirm = client.post(
        f"/admin/import/confirm/{token}", data={"csrf_token": page_token(client, "/admin/import/")}
    )
    assert confirm.status_code == 302
    wait(token)
    progress = client.get(f"/admin/import/job/{token}/progress").get_json()
    assert progress["state"] == "done" and progress["percent"] == 100 and progress["cases"] == 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == before + 1
    job_page = client.get(f"/admin/import/job/{token}").get_data(as_text=True)
    assert "js/import.js" in job_page


def test_an_upload_that_is_not_a_workbook_is_shown_next_to_the_file_field(client, users):
    login(client, users["caseworker"])
    token = page_token(client, "/admin/import/")
    page = client.post(
        "/admin/import/check",
        data={
            "csrf_token": token,
            "program": "WRSE",
            "fiscal_year": str(YEAR),
            "file": (BytesIO(b"x"), "a.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert "Berkas ini bukan buku kerja Excel (.xlsx)." in page.get_data(as_text=True)


def test_another_user_cannot_see_or_confirm_my_import(client, users):
    login(client, users["caseworker"])
    html = upload(client, [person_cells()]).get_data(as_text=True)
    token = html.split("/admin/import/confirm/")[1].split('"')[0]
    client.get("/logout")
    login(client, users["verifier"])
    assert client.get(f"/admin/import/job/{token}").status_code == 404


def test_the_import_screen_is_closed_to_roles_that_do_not_write_casework(client, users):
    login(client, users["finance"])
    assert client.get("/admin/import/").status_code == 403
