"""The disbursement API: procurement and BAST (goods), accounts, batches, bank files (cash)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from casework import clock
from casework.models import Handover, IdempotentRequest, Payment, PaymentBatch
from casework.services.demo import SAMPLE_JPEG
from tests.casework.test_disbursement import decreed


def procurement_body(case_ids, **overrides):
    body = {
        "vendor": "CV Maju Bersama",
        "contract_number": "027/KONTRAK/DINSOS/2026",
        "contract_date": clock.today_wita().isoformat(),
        "items": [{"name": "Mesin jahit", "quantity": 2, "unit_price": 1_250_000}],
        "case_ids": case_ids,
    }
    body.update(overrides)
    return body


def post_bast(api, case_id, key=None, **fields):
    data = {
        "handed_over_on": clock.today_wita().isoformat(),
        "place": "Kantor Desa Liang",
        "receiver_name": "Siti Aminah",
        "photo": (io.BytesIO(SAMPLE_JPEG), "bast.jpg"),
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    headers = {**api.headers, **({"Idempotency-Key": key} if key else {})}
    return api.client.post(
        f"/api/v1/cases/{case_id}/handover",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_goods_go_from_procurement_to_delivered_and_a_replayed_bast_changes_nothing(
    api_as, session, users, store
):
    cases = decreed(session, users, store, 2)
    finance, caseworker = api_as("finance"), api_as("caseworker")
    created = finance.post("/procurements", json=procurement_body([c.id for c in cases]))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["total"] == 2_500_000
    assert sorted(created.get_json()["case_ids"]) == sorted(c.id for c in cases)
    first = post_bast(caseworker, cases[0].id, key="bast-1")
    assert first.status_code == 201, first.get_json()
    replay = post_bast(caseworker, cases[0].id, key="bast-1")
    assert (replay.status_code, replay.get_json()) == (201, first.get_json())
    assert count(session, Handover) == 1
    assert cases[0].state == "delivered" and cases[1].state == "procurement"
    with caseworker.get(f"/cases/{cases[0].id}/handover/photo") as photo:
        assert photo.get_data() == SAMPLE_JPEG
    again = post_bast(caseworker, cases[0].id, key="bast-2")
    assert again.status_code == 409


def test_bad_procurement_and_bast_input_get_field_errors_and_write_nothing(
    api_as, session, users, store
):
    case = decreed(session, users, store, 1)[0]
    finance = api_as("finance")
    bad = finance.post(
        "/procurements",
        json=procurement_body(
            [case.id, 999_999],
            vendor="",
            items=[{"name": "Mesin", "quantity": 0, "unit_price": -1}],
        ),
    )
    assert bad.status_code == 422
    fields = set(bad.get_json()["error"]["fields"])
    assert {"vendor", "case_ids", "items-0-quantity", "items-0-unit_price"} <= fields
    finance.post("/procurements", json=procurement_body([case.id]))
    no_photo = post_bast(api_as("caseworker"), case.id, place="", photo=None)
    assert no_photo.status_code == 422
    assert {"place", "photo"} <= set(no_photo.get_json()["error"]["fields"])
    session.expire_all()
    assert case.state == "procurement"
    assert count(session, Handover) == 0


def set_account(api, case_id, number):
    return api.put(
        f"/cases/{case_id}/account",
        json={"bank_code": "bankaltim", "account_number": number, "holder_name": "Siti Aminah"},
    )


def test_cash_is_paid_once_even_when_the_batch_and_the_bank_file_are_sent_twice(
    api_as, session, users, store
):
    cases = decreed(session, users, store, 2)
    finance = api_as("finance")
    for i, case in enumerate(cases):
        account = set_account(finance, case.id, f"0011 2233 {i:04d}")
        assert account.get_json()["account_number_masked"] == f"********{i:04d}"
    body = {
        "sp2d_number": "SP2D-0101/2026",
        "sp2d_date": clock.today_wita().isoformat(),
        "bank_code": "BANKALTIM",
        "case_ids": [c.id for c in cases],
    }
    key = {"Idempotency-Key": "batch-0101"}
    batch = finance.client.post(
        "/api/v1/payment-batches", json=body, headers={**finance.headers, **key}
    )
    assert batch.status_code == 201, batch.get_json()
    replay = finance.client.post(
        "/api/v1/payment-batches", json=body, headers={**finance.headers, **key}
    )
    assert replay.get_json() == batch.get_json()
    assert count(session, PaymentBatch) == 1
    batch_id = batch.get_json()["id"]
    payments = batch.get_json()["payments"]
    assert all("*" in p["account_number_masked"] for p in payments)
    exported = finance.get(f"/payment-batches/{batch_id}/transfer-file")
    assert exported.mimetype == "text/csv"
    assert "001122330000" in exported.get_data(as_text=True)
    result = (
        "reference,status,reason\n"
        f"{payments[0]['reference']},ok,\n"
        f"{payments[1]['reference']},failed,Rekening tutup\n"
    ).encode()

    def upload(key):
        return finance.client.post(
            f"/api/v1/payment-batches/{batch_id}/results",
            data={"file": (io.BytesIO(result), "hasil.csv")},
            content_type="multipart/form-data",
            headers={**finance.headers, "Idempotency-Key": key},
        )

    first = upload("result-1")
    assert first.status_code == 200, first.get_json()
    assert (len(first.get_json()["paid"]), len(first.get_json()["failed"])) == (1, 1)
    assert upload("result-1").get_json() == first.get_json()
    reimported = upload("result-2").get_json()
    assert (reimported["paid"], len(reimported["unchanged"])) == ([], 2)
    session.expire_all()
    paid = select(func.count()).select_from(Payment).where(Payment.status == "paid")
    assert session.scalar(paid) == 1
    assert [c.state for c in cases] == ["delivered", "procurement"]
    assert count(session, IdempotentRequest) == 3


def test_a_malformed_bank_file_gets_line_errors_and_pays_nobody(api_as, session, users, store):
    case = decreed(session, users, store, 1)[0]
    finance = api_as("finance")
    set_account(finance, case.id, "001122334455")
    batch = finance.post(
        "/payment-batches",
        json={
            "sp2d_number": "SP2D-0202/2026",
            "sp2d_date": clock.today_wita().isoformat(),
            "bank_code": "BANKALTIM",
            "case_ids": [case.id],
        },
    ).get_json()
    reference = batch["payments"][0]["reference"]
    bad = f"reference,status\n{reference},ok\nXYZ,maybe\n".encode()
    refused = finance.post(
        f"/payment-batches/{batch['id']}/results",
        data={"file": (io.BytesIO(bad), "hasil.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "line-3" in refused.get_json()["error"]["fields"]
    session.expire_all()
    assert case.state == "procurement"
    assert finance.get(f"/payment-batches/{batch['id']}").get_json()["payments"][0]["status"] == (
        "pending"
    )


def test_finance_handles_payments_others_read_or_are_refused(api_as, session, users, store):
    case = decreed(session, users, store, 1)[0]
    body = {
        "sp2d_number": "SP2D-0303/2026",
        "sp2d_date": clock.today_wita().isoformat(),
        "bank_code": "BANKALTIM",
        "case_ids": [case.id],
    }
    assert api_as("caseworker").post("/payment-batches", json=body).status_code == 403
    assert api_as("auditor").post("/payment-batches", json=body).status_code == 403
    assert api_as("caseworker").get("/payment-batches").status_code == 403
    assert api_as("dprd_liaison").get("/payment-batches").status_code == 403
    assert api_as("auditor").get("/payment-batches").status_code == 200
    verifier = api_as("verifier")
    assert verifier.post("/procurements", json=procurement_body([case.id])).status_code == 403
