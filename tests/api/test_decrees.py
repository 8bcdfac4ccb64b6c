"""The decree API: drafts of approved cases, all-or-nothing issue, corrective decrees."""

from __future__ import annotations

from sqlalchemy import select

from casework import clock
from casework.models import Decree, DecreeNumberSequence
from tests import factories
from workflows.engine import advance


def decree_body(session, **overrides):
    body = {
        "program_id": factories.program(session, "WRSE").id,
        "fiscal_year": factories.current_year(),
        "title": "Penetapan Penerima Bantuan WRSE",
        "decree_date": clock.today_wita().isoformat(),
        "signatory_name": "Andi Muhammad Ishak",
        "signatory_position": "Kepala Dinas Sosial Provinsi Kalimantan Timur",
        "signatory_nip": "197001011990031001",
        "considerations": ["bahwa untuk pemberdayaan ekonomi perempuan"],
        "legal_basis": ["Undang-Undang Nomor 11 Tahun 2009"],
    }
    body.update(overrides)
    return body


def approved(session, users, store, n):
    return [factories.case_in_state(session, users, store, "approved") for _ in range(n)]


def test_a_manager_drafts_a_decree_from_approved_cases_and_issues_it(api_as, session, users, store):
    cases = approved(session, users, store, 2)
    manager = api_as("manager")
    created = manager.post("/decrees", json=decree_body(session, case_ids=[cases[0].id]))
    assert created.status_code == 201, created.get_json()
    decree = created.get_json()
    assert decree["status"] == "draft" and decree["number"] is None
    candidates = manager.get(f"/decrees/{decree['id']}/candidates").get_json()["items"]
    assert cases[1].id in {c["id"] for c in candidates}
    assert cases[0].id not in {c["id"] for c in candidates}
    added = manager.post(f"/decrees/{decree['id']}/cases", json={"case_ids": [cases[1].id]})
    assert [e["case_id"] for e in added.get_json()["entries"]] == [c.id for c in cases]
    issued = manager.post(f"/decrees/{decree['id']}/issue")
    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert body["status"] == "issued" and body["number"]
    assert body["total_amount"] == sum(c.requested_amount for c in cases)
    session.expire_all()
    assert [c.state for c in cases] == ["decreed", "decreed"]
    listed = manager.get("/decrees", query_string={"status": "issued"}).get_json()["items"]
    assert body["id"] in {d["id"] for d in listed}


def test_issuing_with_a_case_that_cannot_move_decrees_nothing_and_names_the_case(
    api_as, session, users, store
):
    cases = approved(session, users, store, 2)
    manager = api_as("manager")
    created = manager.post("/decrees", json=decree_body(session, case_ids=[c.id for c in cases]))
    decree_id = created.get_json()["id"]
    advance(session, cases[1], "return_for_revision", actor=users["manager"], reason="KK salah")
    numbers_before = sum(session.scalars(select(DecreeNumberSequence.last_value)))
    refused = manager.post(f"/decrees/{decree_id}/issue")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "decree_refused"
    assert set(error["fields"]) == {f"case-{cases[1].id}"}
    session.expire_all()
    assert cases[0].state == "approved"
    assert session.get(Decree, decree_id).number is None
    assert sum(session.scalars(select(DecreeNumberSequence.last_value))) == numbers_before


def test_bad_decree_input_gets_field_errors_and_writes_nothing(api_as, session, users, store):
    manager = api_as("manager")
    bad = manager.post(
        "/decrees",
        json=decree_body(session, signatory_nip="123", title=" ", considerations=[]),
    )
    assert bad.status_code == 422
    assert {"signatory_nip", "title", "considerations"} <= set(bad.get_json()["error"]["fields"])
    recommended = factories.case_in_state(session, users, store, "recommended")
    not_approved = manager.post("/decrees", json=decree_body(session, case_ids=[recommended.id]))
    assert not_approved.status_code == 422
    assert "case_ids" in not_approved.get_json()["error"]["fields"]
    session.expire_all()
    assert session.scalars(select(Decree)).first() is None


def test_only_managers_write_decrees_and_the_auditor_reads_them(api_as, session, users, store):
    cases = approved(session, users, store, 1)
    body = decree_body(session, case_ids=[cases[0].id])
    assert api_as("finance").post("/decrees", json=body).status_code == 403
    assert api_as("auditor").post("/decrees", json=body).status_code == 403
    assert api_as("dprd_liaison").get("/decrees").status_code == 403
    decree_id = api_as("manager").post("/decrees", json=body).get_json()["id"]
    assert api_as("auditor").get(f"/decrees/{decree_id}").status_code == 200
    assert api_as("caseworker").post(f"/decrees/{decree_id}/issue").status_code == 403


def test_a_case_is_removed_from_a_draft_but_not_from_an_issued_decree(
    api_as, client, session, users, store
):
    cases = approved(session, users, store, 2)
    manager = api_as("manager")
    decree_id = manager.post(
        "/decrees", json=decree_body(session, case_ids=[c.id for c in cases])
    ).get_json()["id"]
    path = f"/api/v1/decrees/{decree_id}/cases"
    removed = client.delete(f"{path}/{cases[0].id}", headers=manager.headers)
    assert [e["case_id"] for e in removed.get_json()["entries"]] == [cases[1].id]
    assert manager.post(f"/decrees/{decree_id}/issue").status_code == 200
    refused = client.delete(f"{path}/{cases[1].id}", headers=manager.headers)
    assert refused.status_code == 409


def test_a_corrective_decree_revokes_a_recipient_and_corrects_an_amount(
    api_as, session, users, store
):
    cases = approved(session, users, store, 2)
    manager = api_as("manager")
    original = manager.post(
        "/decrees", json=decree_body(session, case_ids=[c.id for c in cases])
    ).get_json()
    manager.post(f"/decrees/{original['id']}/issue")
    body = decree_body(session, title="Perubahan SK Penerima Bantuan WRSE")
    del body["program_id"], body["fiscal_year"]  # those of the original
    fix = manager.post(f"/decrees/{original['id']}/corrections", json=body)
    assert fix.status_code == 201, fix.get_json()
    fix_id = fix.get_json()["id"]
    assert fix.get_json()["corrects_id"] == original["id"]
    no_reason = manager.post(
        f"/decrees/{fix_id}/changes", json={"case_id": cases[0].id, "remove": True}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["error"]["fields"]
    manager.post(
        f"/decrees/{fix_id}/changes",
        json={"case_id": cases[0].id, "remove": True, "reason": "Pindah domisili"},
    )
    changed = manager.post(
        f"/decrees/{fix_id}/changes",
        json={"case_id": cases[1].id, "new_amount": 2_500_000, "reason": "Harga berubah"},
    )
    assert [c["kind"] for c in changed.get_json()["changes"]] == ["remove", "amount"]
    issued = manager.post(f"/decrees/{fix_id}/issue")
    assert issued.status_code == 200, issued.get_json()
    session.expire_all()
    assert (cases[0].state, cases[1].state) == ("cancelled", "decreed")
    assert cases[1].requested_amount == 2_500_000
    again = manager.get(f"/decrees/{original['id']}").get_json()
    assert again["total_amount"] == 2_500_000
