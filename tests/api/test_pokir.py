"""The pokir and budget endpoints: register, lifecycle, linking a case, year end."""

from __future__ import annotations

from datetime import timedelta

from casework import clock
from tests import factories
from tests.casework.test_pokir import make_budget_line, make_member, make_pokir_line


def _line_body(session, users, **changes):
    manager = users["manager"]
    year = factories.current_year()
    body = {
        "fiscal_year": year,
        "member_id": make_member(session, manager).id,
        "sipd_ref": "SIPD-API-1",
        "program_id": factories.program(session, "WRSE").id,
        "regency_code": "64.02",
        "quota": 3,
        "ceiling": 30_000_000,
        "reses_date": (clock.today_wita() - timedelta(days=5)).isoformat(),
        "budget_line_id": make_budget_line(session, manager, year=year).id,
    }
    body.update(changes)
    return body


def test_a_manager_enters_a_pokir_line_and_takes_it_into_the_apbd(api_as, session, users):
    api = api_as("manager")
    created = api.post("/pokir-lines", json=_line_body(session, users))
    assert created.status_code == 201, created.json
    line = created.json
    assert (line["state"], line["allowed_triggers"]) == ("input", ["verify_setwan", "reject"])
    for trigger in ("verify_setwan", "validate_bappeda", "validate_opd", "validate_tapd"):
        moved = api.post(f"/pokir-lines/{line['id']}/transitions", json={"trigger": trigger})
        assert moved.status_code == 200, moved.json
    done = api.post(
        f"/pokir-lines/{line['id']}/transitions",
        json={"trigger": "enter_apbd", "note": "Perda APBD"},
    )
    assert done.json["state"] == "in_apbd"
    events = api.get(f"/pokir-lines/{line['id']}/events").json
    assert [e["trigger"] for e in events][-1] == "enter_apbd"
    assert events[-1]["note"] == "Perda APBD"
    assert events[-1]["actor_id"] == users["manager"].id


def test_bad_pokir_fields_come_back_field_by_field(api_as, session, users):
    body = _line_body(
        session,
        users,
        quota=0,
        ceiling=-5,
        member_id=999_999,
        reses_date=(clock.today_wita() + timedelta(days=3)).isoformat(),
    )
    refused = api_as("manager").post("/pokir-lines", json=body)
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) == {"quota", "ceiling", "member_id", "reses_date"}


def test_a_pokir_step_out_of_order_is_a_409_listing_what_is_possible(api_as, session, users):
    line = make_pokir_line(session, users["manager"], state="input")
    refused = api_as("manager").post(
        f"/pokir-lines/{line.id}/transitions", json={"trigger": "enter_apbd"}
    )
    assert refused.status_code == 409
    assert sorted(refused.json["error"]["allowed_triggers"]) == ["reject", "verify_setwan"]


def test_the_dprd_liaison_reads_pokir_lines_but_cannot_move_them(api_as, session, users):
    line = make_pokir_line(session, users["manager"], state="input")
    api = api_as("dprd_liaison")
    listed = api.get(f"/pokir-lines?fiscal_year={line.fiscal_year}")
    assert [row["sipd_ref"] for row in listed.json] == [line.sipd_ref]
    refused = api.post(f"/pokir-lines/{line.id}/transitions", json={"trigger": "verify_setwan"})
    assert refused.status_code == 403


def test_a_case_is_linked_to_a_pokir_line_through_the_api(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "recommended")
    line = make_pokir_line(session, users["manager"])
    api = api_as("caseworker")
    linked = api.put(f"/cases/{case.id}/pokir-line", json={"pokir_line_id": line.id})
    assert linked.status_code == 200, linked.json
    assert linked.json["pokir_line_id"] == line.id
    unknown = api.put(f"/cases/{case.id}/pokir-line", json={"pokir_line_id": 999_999})
    assert unknown.status_code == 422
    assert list(unknown.json["error"]["fields"]) == ["pokir_line_id"]


def test_year_end_reports_open_commitments_and_lapsing_ceilings(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "approved")
    report = api_as("finance").get(f"/budget/year-end/{case.fiscal_year}").json
    assert case.id in [c["case_id"] for c in report["open_commitments"]]
    assert report["total_lapsing"] == sum(
        r["lapsing"] for r in report["lines"] if r["kind"] == "budget"
    )


def test_budget_lines_show_what_is_committed(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, "approved")
    lines = api_as("auditor").get(f"/budget-lines?fiscal_year={case.fiscal_year}").json
    assert sum(row["committed"] for row in lines) == case.requested_amount
    refused = api_as("manager").post(
        "/budget-lines",
        json={
            "fiscal_year": case.fiscal_year,
            "program_id": case.program_id,
            "sub_activity_code": "X",
            "account_code": "Y",
            "ceiling": 0,
        },
    )
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == ["ceiling"]


# --- the admin screens of the same register (rendered by the same app) ---------------------


def test_the_admin_pokir_screens_render_and_the_lifecycle_button_moves_a_line(
    client, session, users, store
):
    from tests.admin.helpers import login, page_token

    case = factories.case_in_state(session, users, store, "approved")
    line = make_pokir_line(session, users["manager"], state="input")
    login(client, users["manager"])
    for url in (
        "/admin/pokirline/",
        "/admin/dprdmember/",
        "/admin/budgetline/",
        "/admin/commitment/",
        f"/admin/yearend/?fiscal_year={case.fiscal_year}",
    ):
        assert client.get(url).status_code == 200, url
    details = f"/admin/pokirline/details/?id={line.id}"
    token = page_token(client, details)
    moved = client.post(
        f"/admin/pokirline/advance/{line.id}",
        data={"csrf_token": token, "trigger": "verify_setwan", "note": "Lengkap"},
    )
    assert moved.status_code == 302
    session.expire_all()
    assert session.get(type(line), line.id).state == "verified_setwan"
    assert "Lengkap" in client.get(details).get_data(as_text=True)
