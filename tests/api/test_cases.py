"""Cases over the API: opening, reading, listing, and moving them through the workflow."""

from __future__ import annotations

from datetime import datetime, timedelta

from casework import clock
from casework.models import CaseState
from tests import factories


def _case_json(session, applicant, program_code="WRSE"):
    return {
        "program_id": factories.program(session, program_code).id,
        "fiscal_year": factories.current_year(),
        "business_type_id": factories.business_type(session).id,
        "person_id": applicant.id,
        "requested_package": "Mesin jahit",
        "requested_amount": 4_500_000,
    }


def test_caseworker_opens_a_case_and_reads_it_with_what_she_may_do_next(api_as, session, users):
    applicant = factories.make_person(session, users["caseworker"], sex="P")
    api = api_as("caseworker", language="en")

    created = api.post("/cases", json=_case_json(session, applicant))
    case = api.get(f"/cases/{created.get_json()['id']}").get_json()

    assert created.status_code == 201
    assert case["number"].startswith(f"WRSE-{factories.current_year()}-")
    assert (case["program"], case["state"], case["state_label"]) == ("WRSE", "draft", "Draft")
    assert case["version"] == 1
    assert case["allowed_triggers"] == ["submit", "cancel"]
    assert case["applicant"]["kind"] == "person"
    assert case["applicant"]["id"] == applicant.id
    assert case["applicant"]["name"] == applicant.full_name
    assert case["applicant"]["nik_masked"] == applicant.nik_masked
    assert (case["regency_code"], case["village_code"]) == ("64.02", applicant.village_code)
    assert (case["business_type"], case["requested_amount"]) == ("menjahit", 4_500_000)
    assert case["overdue"] is False
    assert datetime.fromisoformat(case["created_at"]).utcoffset() == timedelta(0)
    assert applicant.nik not in created.get_data(as_text=True)


def test_kube_case_is_opened_for_a_group_and_shows_the_group_as_applicant(api_as, session, users):
    group = factories.make_group(session, users["caseworker"])
    body = _case_json(session, group, "KUBE") | {"person_id": None, "group_id": group.id}

    created = api_as("caseworker").post("/cases", json=body)

    assert created.status_code == 201
    applicant = created.get_json()["applicant"]
    assert applicant == {"kind": "group", "id": group.id, "name": group.name, "nik_masked": None}


def test_state_label_is_indonesian_by_default(api_as, session, users, indonesian):
    case = factories.make_case(session, users["caseworker"])

    assert api_as("caseworker").get(f"/cases/{case.id}").get_json()["state_label"] == "Konsep"


def test_second_open_case_of_the_same_applicant_is_a_duplicate(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("caseworker").post("/cases", json=_case_json(session, case.person))

    assert response.status_code == 409
    assert response.get_json()["error"]["existing_id"] == case.id


def test_case_list_filters_by_program_state_regency_year_and_number(api_as, session, users, store):
    wrse = factories.make_case(session, users["caseworker"])
    submitted = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    samarinda = factories.make_case(
        session, users["caseworker"], "UEP", village=factories.SAMARINDA_VILLAGE
    )
    api = api_as("manager")

    def ids(**query):
        response = api.get("/cases", query_string=query)
        assert response.status_code == 200
        return {c["id"] for c in response.get_json()["items"]}

    assert {wrse.id, submitted.id} <= ids(program="wrse")
    assert samarinda.id not in ids(program="WRSE")
    assert submitted.id in ids(state="submitted")
    assert wrse.id not in ids(state="submitted")
    assert samarinda.id in ids(regency="64.72")
    assert wrse.id not in ids(regency="64.72")
    assert ids(fiscal_year=1999) == set()
    assert ids(q=wrse.number.lower()) == {wrse.id}


def test_caseworker_of_a_kabupaten_lists_only_cases_of_her_kabupaten(api_as, session, users):
    kukar = factories.make_case(session, users["caseworker"])
    samarinda = factories.make_case(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )

    listed = api_as("kukar_caseworker").get("/cases", query_string={"per_page": 100})

    ids = {c["id"] for c in listed.get_json()["items"]}
    assert kukar.id in ids and samarinda.id not in ids


def test_overdue_filter_splits_cases_by_their_due_date(api_as, session, users, store):
    submitted = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    api = api_as("manager")

    with clock.frozen(submitted.due_at + timedelta(days=1)):
        overdue = api.get("/cases", query_string={"overdue": "true", "per_page": 100}).get_json()
        on_time = api.get("/cases", query_string={"overdue": "false", "per_page": 100}).get_json()

    assert submitted.id in {c["id"] for c in overdue["items"]}
    assert submitted.id not in {c["id"] for c in on_time["items"]}
    assert all(c["overdue"] for c in overdue["items"])


def test_case_list_pages_with_has_next(api_as, session, users):
    made = [factories.make_case(session, users["caseworker"], "UEP") for _ in range(3)]
    api = api_as("caseworker")
    query = {"program": "UEP", "fiscal_year": factories.current_year(), "per_page": 2}

    first = api.get("/cases", query_string=query).get_json()
    second = api.get("/cases", query_string=query | {"page": 2}).get_json()

    assert (first["page"], first["per_page"], first["has_next"]) == (1, 2, True)
    assert second["has_next"] is False
    assert "total" not in first
    listed = [c["id"] for c in first["items"] + second["items"]]
    assert listed == sorted((c.id for c in made), reverse=True)


def test_page_size_is_capped_by_the_configured_maximum(api_as, app):
    page = api_as("caseworker").get("/cases", query_string={"per_page": 10_000}).get_json()

    assert page["per_page"] == app.config["API_PAGE_SIZE_MAX"]


def test_submit_returns_the_case_in_its_new_state_with_new_version_and_actions(
    api_as, session, users
):
    case = factories.make_case(session, users["caseworker"])

    moved = api_as("caseworker").post(
        f"/cases/{case.id}/transitions", json={"trigger": "submit", "expected_version": 1}
    )
    seen_by_verifier = api_as("verifier").get(f"/cases/{case.id}").get_json()

    assert moved.status_code == 200
    body = moved.get_json()
    assert (body["state"], body["version"], body["allowed_triggers"]) == ("submitted", 2, [])
    assert body["due_at"] is not None
    assert seen_by_verifier["allowed_triggers"] == [
        "start_verification",
        "return_for_revision",
        "reject",
    ]
    events = api_as("verifier").get(f"/cases/{case.id}/events").get_json()
    assert [(e["trigger"], e["from_state"], e["to_state"]) for e in events] == [
        ("submit", "draft", "submitted")
    ]


def test_trigger_not_possible_in_the_state_is_a_409_listing_the_allowed_ones(
    api_as, session, users
):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("manager").post(f"/cases/{case.id}/transitions", json={"trigger": "decree"})

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["allowed_triggers"] == ["submit", "cancel"]


def test_stale_expected_version_is_a_409_version_conflict_and_nothing_moves(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("caseworker").post(
        f"/cases/{case.id}/transitions", json={"trigger": "submit", "expected_version": 7}
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "version_conflict"
    session.expire_all()
    assert (case.state, case.version) == ("draft", 1)


def test_role_that_may_not_fire_the_trigger_is_refused_with_403(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("finance").post(f"/cases/{case.id}/transitions", json={"trigger": "submit"})

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_allowed"


def test_case_outside_the_callers_region_is_not_found(api_as, session, users):
    case = factories.make_case(session, users["caseworker"], village=factories.SAMARINDA_VILLAGE)
    api = api_as("kukar_caseworker")

    read = api.get(f"/cases/{case.id}")
    moved = api.post(f"/cases/{case.id}/transitions", json={"trigger": "submit"})

    assert (read.status_code, moved.status_code) == (404, 404)
    assert read.get_json() == api.get("/cases/999999999").get_json()


def test_wrse_case_of_a_male_applicant_fails_the_sex_rule_on_submit(api_as, session, users):
    man = factories.make_person(session, users["caseworker"], sex="L")
    case = factories.make_case(session, users["caseworker"], "WRSE", applicant=man)

    response = api_as("caseworker", language="en").post(
        f"/cases/{case.id}/transitions", json={"trigger": "submit"}
    )

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["rule"]) == ("guard_failed", "applicant_sex_allowed")
    assert "WRSE" in error["message"]


def test_trigger_that_needs_a_reason_is_refused_without_one(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("caseworker").post(
        f"/cases/{case.id}/transitions", json={"trigger": "cancel"}
    )

    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]


def test_dprd_liaison_reads_programs_and_regions_but_not_cases_or_persons(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    api = api_as("dprd_liaison")

    assert api.get("/programs").status_code == 200
    assert api.get("/regions", query_string={"level": "regency"}).status_code == 200
    for path in (
        "/cases",
        f"/cases/{case.id}",
        "/persons",
        "/groups",
        f"/cases/{case.id}/documents",
    ):
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "not_allowed"


def test_auditor_reads_cases_but_every_write_is_refused_with_403(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    api = api_as("auditor")

    assert api.get(f"/cases/{case.id}").status_code == 200
    assert api.post("/cases", json=_case_json(session, case.person)).status_code == 403
    assert api.post(f"/cases/{case.id}/transitions", json={"trigger": "submit"}).status_code == 403
    assert api.post("/persons", json={}).status_code == 403
