"""Admin screens for decrees and disbursement: thin forms over the services."""

from __future__ import annotations

import io

from sqlalchemy import select

from casework import clock
from casework.models import Decree, Handover, PaymentBatch
from casework.services.demo import SAMPLE_JPEG
from casework.services.disbursement import record_procurement, set_account
from tests import factories
from tests.admin.helpers import login, page_token, translated
from tests.casework.test_disbursement import decreed, procurement_input
from workflows.engine import advance


def decree_form(session, token):
    return {
        "csrf_token": token,
        "program": str(factories.program(session, "WRSE").id),
        "fiscal_year": str(factories.current_year()),
        "title": "Penetapan Penerima Bantuan WRSE",
        "decree_date": clock.today_wita().isoformat(),
        "signatory_name": "Andi Muhammad Ishak",
        "signatory_position": "Kepala Dinas Sosial Provinsi Kalimantan Timur",
        "signatory_nip": "197001011990031001",
        "considerations": "bahwa untuk pemberdayaan ekonomi perempuan",
        "legal_basis": "Undang-Undang Nomor 11 Tahun 2009",
    }


def test_a_manager_drafts_lists_and_issues_a_decree_on_its_page(client, session, users, store):
    cases = [factories.case_in_state(session, users, store, "approved") for _ in range(2)]
    login(client, users["manager"])
    token = page_token(client, "/admin/decree/new/")
    created = client.post("/admin/decree/new/", data=decree_form(session, token))
    assert created.status_code == 302
    session.expire_all()
    decree = session.scalars(select(Decree)).one()
    page = client.get(f"/admin/decree/details/?id={decree.id}").get_data(as_text=True)
    assert cases[0].number in page  # offered as a candidate
    token = page_token(client, f"/admin/decree/details/?id={decree.id}")
    client.post(
        f"/admin/decree/{decree.id}/cases",
        data={"csrf_token": token, "case_ids": [str(c.id) for c in cases]},
    )
    client.post(f"/admin/decree/{decree.id}/issue", data={"csrf_token": token})
    session.expire_all()
    assert decree.status == "issued" and decree.number
    assert [c.state for c in cases] == ["decreed", "decreed"]


def test_a_refused_issue_shows_the_translated_reason_and_decrees_nobody(
    app, client, session, users, store
):
    cases = [factories.case_in_state(session, users, store, "approved") for _ in range(2)]
    login(client, users["manager"])
    token = page_token(client, "/admin/decree/new/")
    client.post("/admin/decree/new/", data=decree_form(session, token))
    session.expire_all()
    decree = session.scalars(select(Decree)).one()
    client.post(
        f"/admin/decree/{decree.id}/cases",
        data={"csrf_token": token, "case_ids": [str(c.id) for c in cases]},
    )
    advance(session, cases[1], "return_for_revision", actor=users["manager"], reason="KK salah")
    issued = client.post(
        f"/admin/decree/{decree.id}/issue", data={"csrf_token": token}, follow_redirects=True
    )
    page = issued.get_data(as_text=True)
    expected = translated(app, "%(count)s listed cases could not be decreed; nothing was issued.")
    assert expected.replace("%(count)s", "1") in page
    session.expire_all()
    assert decree.status == "draft" and cases[0].state == "approved"


def test_bad_decree_input_is_shown_next_to_the_fields(app, client, session, users):
    login(client, users["manager"])
    token = page_token(client, "/admin/decree/new/")
    form = {**decree_form(session, token), "signatory_nip": "123"}
    page = client.post("/admin/decree/new/", data=form).get_data(as_text=True)
    assert translated(app, "A NIP has 18 digits.") in page
    assert session.scalars(select(Decree)).first() is None


def test_a_caseworker_records_a_bast_with_a_photo_through_the_form(client, session, users, store):
    case = decreed(session, users, store, 1)[0]
    record_procurement(session, procurement_input([case.id]), actor=users["finance"])
    login(client, users["caseworker"])
    url = f"/admin/handover/new/?case_id={case.id}"
    token = page_token(client, url)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "case": str(case.id),
            "handed_over_on": clock.today_wita().isoformat(),
            "place": "Kantor Desa Liang",
            "receiver_name": "Siti Aminah",
            "photo": (io.BytesIO(SAMPLE_JPEG), "bast.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.scalars(select(Handover)).one().case_id == case.id
    assert case.state == "delivered"


def test_finance_creates_a_batch_exports_it_and_imports_the_bank_result(
    client, session, users, store
):
    case = decreed(session, users, store, 1)[0]
    set_account(
        session,
        case,
        bank_code="BANKALTIM",
        account_number="001122334455",
        holder_name="Siti Aminah",
        actor=users["finance"],
    )
    login(client, users["finance"])
    token = page_token(client, "/admin/paymentbatch/new/")
    client.post(
        "/admin/paymentbatch/new/",
        data={
            "csrf_token": token,
            "sp2d_number": "SP2D-0909/2026",
            "sp2d_date": clock.today_wita().isoformat(),
            "bank_code": "BANKALTIM",
            "case_ids": [str(case.id)],
        },
    )
    session.expire_all()
    batch = session.scalars(select(PaymentBatch)).one()
    page = client.get(f"/admin/paymentbatch/details/?id={batch.id}").get_data(as_text=True)
    assert "********4455" in page and "001122334455" not in page
    exported = client.get(f"/admin/paymentbatch/{batch.id}/transfer.csv")
    assert "001122334455" in exported.get_data(as_text=True)
    result = f"reference,status,reason\n{batch.payments[0].reference},ok,\n".encode()
    for _ in range(2):  # a re-imported file pays once
        client.post(
            f"/admin/paymentbatch/{batch.id}/results",
            data={"csrf_token": token, "file": (io.BytesIO(result), "hasil.csv")},
            content_type="multipart/form-data",
        )
    session.expire_all()
    assert case.state == "delivered"
    assert [p.status for p in batch.payments] == ["paid"]


def test_a_caseworker_may_not_open_payment_batches_and_a_verifier_not_issue(client, session, users):
    login(client, users["caseworker"])
    assert client.get("/admin/paymentbatch/").status_code == 403
    client.post("/logout", data={"csrf_token": page_token(client, "/admin/decree/")})
    login(client, users["verifier"])
    assert client.get("/admin/decree/").status_code == 200
    assert client.get("/admin/decree/new/").status_code in (302, 403)
