"""The follow-up API: LPJ upload and review, monitoring visits, close; and the reports."""

from __future__ import annotations

import io

from casework import clock
from casework.services.demo import SAMPLE_JPEG, SAMPLE_PDF
from tests import factories


def upload_lpj(api, case_id, **fields):
    data = {
        "received_on": clock.today_wita().isoformat(),
        "income_before": "1200000",
        "summary": "Mesin jahit dipakai setiap hari.",
        "file": (io.BytesIO(SAMPLE_PDF), "lpj.pdf"),
        **fields,
    }
    return api.post(
        f"/cases/{case_id}/usage-reports", data=data, content_type="multipart/form-data"
    )


def fire(api, case_id, trigger, reason=None):
    return api.post(f"/cases/{case_id}/transitions", json={"trigger": trigger, "reason": reason})


def test_an_lpj_goes_from_upload_to_acceptance_and_the_case_through_monitoring_to_closed(
    api_as, session, users, store
):
    case = factories.case_in_state(session, users, store, "awaiting_report")
    caseworker, verifier, manager = api_as("caseworker"), api_as("verifier"), api_as("manager")
    refused = fire(verifier, case.id, "accept_usage_report")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["rule"] == "usage_report_accepted"
    created = upload_lpj(caseworker, case.id)
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert report["status"] == "submitted"
    with caseworker.get(f"/usage-reports/{report['id']}/content") as download:
        assert download.get_data() == SAMPLE_PDF
    assert caseworker.post(f"/usage-reports/{report['id']}/accept").status_code == 403
    accepted = verifier.post(f"/usage-reports/{report['id']}/accept")
    assert accepted.get_json()["status"] == "accepted"
    assert fire(verifier, case.id, "accept_usage_report").get_json()["state"] == "monitoring"
    summary = caseworker.get(f"/cases/{case.id}/followup").get_json()
    assert summary["usage_report_due_on"] == f"{case.fiscal_year + 1}-01-10"
    visits = summary["visits"]
    assert [v["offset_months"] for v in visits] == [3, 6, 12]
    for visit in visits:
        recorded = caseworker.post(
            f"/monitoring-visits/{visit['id']}/record",
            data={
                "visited_on": clock.today_wita().isoformat(),
                "business_status": "growing",
                "monthly_income": "2500000",
                "photo": (io.BytesIO(SAMPLE_JPEG), "usaha.jpg"),
            },
            content_type="multipart/form-data",
        )
        assert recorded.status_code == 200, recorded.get_json()
        assert recorded.get_json()["done"] and recorded.get_json()["has_photo"]
    closed = fire(manager, case.id, "close")
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["state"] == "closed"


def test_bad_lpj_and_visit_input_get_field_errors(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "awaiting_report")
    caseworker = api_as("caseworker")
    bad = upload_lpj(caseworker, case.id, income_before="-5", file=(io.BytesIO(b"hello"), "x.pdf"))
    assert bad.status_code == 422
    assert "income_before" in bad.get_json()["error"]["fields"]
    missing = caseworker.post(
        f"/cases/{case.id}/usage-reports", data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    assert {"received_on", "income_before", "file"} <= set(missing.get_json()["error"]["fields"])
    assert caseworker.get(f"/cases/{case.id}/usage-reports").get_json() == []


def test_a_sent_back_lpj_carries_its_reason(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "awaiting_report")
    report = upload_lpj(api_as("caseworker"), case.id).get_json()
    verifier = api_as("verifier")
    no_reason = verifier.post(f"/usage-reports/{report['id']}/send-back", json={"reason": ""})
    assert no_reason.status_code == 422
    sent = verifier.post(
        f"/usage-reports/{report['id']}/send-back", json={"reason": "Kuitansi tidak terbaca."}
    )
    assert sent.get_json()["status"] == "sent_back"
    assert sent.get_json()["review_note"] == "Kuitansi tidak terbaca."


def test_follow_up_data_of_another_kabupaten_is_not_found(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "awaiting_report")
    response = upload_lpj(api_as("samarinda_caseworker"), case.id)
    assert response.status_code == 404


def test_the_dprd_liaison_reads_aggregate_reports_but_no_case_follow_up(
    api_as, session, users, store
):
    case = factories.case_in_state(session, users, store, "approved")
    liaison = api_as("dprd_liaison")
    assert liaison.get(f"/cases/{case.id}/followup").status_code == 403
    ledger = liaison.get(f"/reports/pokir-ledger?fiscal_year={case.fiscal_year}")
    assert ledger.status_code == 200
    assert ledger.get_json()["rows"][0]["recipients"] >= 1
    realisation = liaison.get(
        f"/reports/budget-realisation?by=program&fiscal_year={case.fiscal_year}"
    ).get_json()
    assert [c["key"] for c in realisation["columns"]][1:] == [
        "ceiling",
        "committed",
        "realised",
        "remaining",
    ]
    assert liaison.get("/reports/outcomes?by=regency").status_code == 200
    assert liaison.get("/reports/outcomes?by=village").status_code == 422
    assert (
        api_as("kukar_manager")
        .get(f"/reports/pokir-ledger?fiscal_year={case.fiscal_year}")
        .status_code
        == 403
    )
