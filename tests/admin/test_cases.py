"""The case screens: scoping, the transition buttons, bulk actions, create and edit."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.models import Case, CaseEvent, CaseState, User
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import login, page_token, translated


def _events(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)) or 0


def test_kukar_caseworker_sees_kutai_kartanegara_cases_but_not_samarinda_ones(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    kukar = factories.make_case(session, users["caseworker"])
    samarinda = factories.make_case(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )
    login(client, users["kukar_caseworker"])
    html = client.get("/admin/case/").get_data(as_text=True)
    assert kukar.number in html
    assert samarinda.number not in html


def test_samarinda_case_details_are_not_found_for_a_kukar_caseworker(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    samarinda = factories.make_case(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )
    login(client, users["kukar_caseworker"])
    assert client.get(f"/admin/case/details/?id={samarinda.id}").status_code == 404
    assert client.get(f"/admin/case/edit/?id={samarinda.id}").status_code == 404


def test_province_user_sees_cases_of_every_kabupaten(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    samarinda = factories.make_case(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )
    login(client, users["verifier"])
    assert samarinda.number in client.get("/admin/case/").get_data(as_text=True)


def test_search_finds_a_case_by_the_applicants_nik_typed_with_separators(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    other = factories.make_case(session, users["caseworker"])
    assert case.person is not None
    nik = case.person.nik
    typed = f"{nik[:6]}.{nik[6:12]}-{nik[12:]}"
    login(client, users["caseworker"])
    html = client.get("/admin/case/", query_string={"search": typed}).get_data(as_text=True)
    assert case.number in html
    assert other.number not in html


def test_search_by_name_prefix_and_case_number(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    person = factories.make_person(session, users["caseworker"], name="Siti Rahmawati")
    case = factories.make_case(session, users["caseworker"], applicant=person)
    other = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    by_name = client.get("/admin/case/?search=siti rah").get_data(as_text=True)
    assert case.number in by_name and other.number not in by_name
    by_number = client.get(f"/admin/case/?search={other.number.lower()}").get_data(as_text=True)
    assert other.number in by_number and case.number not in by_number


def test_state_filter_shows_only_cases_in_that_state(
    client: FlaskClient, session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    draft = factories.make_case(session, users["caseworker"])
    submitted = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    login(client, users["manager"])
    with client.application.test_request_context():
        from admin.cases import CaseView

        view = next(
            v for v in client.application.extensions["admin"][0]._views if isinstance(v, CaseView)
        )
        url = view.list_url(state="submitted")
    html = client.get(url).get_data(as_text=True)
    assert submitted.number in html
    assert draft.number not in html


def test_transition_button_fires_and_writes_one_case_event(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    details = f"/admin/case/details/?id={case.id}"
    html = client.get(details).get_data(as_text=True)
    assert 'data-trigger="submit"' in html
    response = client.post(
        f"/admin/case/{case.id}/transition/",
        data={
            "csrf_token": page_token(client, details),
            "trigger": "submit",
            "expected_version": str(case.version),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Case, case.id).state == CaseState.SUBMITTED.value
    assert _events(session, case) == 1


def test_reason_required_transition_without_reason_shows_the_error_and_does_not_move(
    app: Flask,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    before = _events(session, case)
    login(client, users["verifier"])
    details = f"/admin/case/details/?id={case.id}"
    response = client.post(
        f"/admin/case/{case.id}/transition/",
        data={
            "csrf_token": page_token(client, details),
            "trigger": "reject",
            "expected_version": str(case.version),
            "reason": "  ",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert escape(translated(app, "Some fields are not valid.")) in html
    assert escape(translated(app, "A reason is required for this action.")) in html
    session.expire_all()
    assert session.get(Case, case.id).state == CaseState.SUBMITTED.value
    assert _events(session, case) == before


def test_stale_version_is_reported_as_changed_by_someone_else(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    details = f"/admin/case/details/?id={case.id}"
    response = client.post(
        f"/admin/case/{case.id}/transition/",
        data={
            "csrf_token": page_token(client, details),
            "trigger": "submit",
            "expected_version": str(case.version - 1 or 99),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    expected = translated(
        app,
        "The case was changed by someone else (version %(current)s, "
        "you had %(expected)s). Reload it and try again.",
    )
    assert escape(expected.split("(")[0].strip()) in html
    session.expire_all()
    assert session.get(Case, case.id).state == CaseState.DRAFT.value


def test_auditor_sees_the_case_but_no_transition_buttons_or_forms(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["auditor"])
    html = client.get(f"/admin/case/details/?id={case.id}").get_data(as_text=True)
    assert case.number in html
    assert "transition-form" not in html
    assert "document-form" not in html
    assert "/admin/case/new/" not in html


def test_auditor_cannot_fire_a_transition_by_posting(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["auditor"])
    token = page_token(client, "/admin/")
    client.post(
        f"/admin/case/{case.id}/transition/",
        data={"csrf_token": token, "trigger": "submit"},
    )
    session.expire_all()
    assert session.get(Case, case.id).state == CaseState.DRAFT.value


def test_bulk_action_moves_the_selected_cases_and_reports_the_others(
    client: FlaskClient, session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    first = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    second = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    draft = factories.make_case(session, users["caseworker"])
    login(client, users["verifier"])
    response = client.post(
        "/admin/case/action/",
        data={
            "csrf_token": page_token(client, "/admin/case/"),
            "action": "start_verification",
            "rowid": [str(first.id), str(second.id), str(draft.id)],
            "url": "/admin/case/",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    session.expire_all()
    states = {c.id: session.get(Case, c.id).state for c in (first, second, draft)}
    assert states == {
        first.id: CaseState.ADMIN_VERIFICATION.value,
        second.id: CaseState.ADMIN_VERIFICATION.value,
        draft.id: CaseState.DRAFT.value,
    }
    assert draft.number in html  # the refusal names the case that did not move


def test_bulk_actions_offered_follow_the_role(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["finance"])
    html = client.get("/admin/case/").get_data(as_text=True)
    assert 'data-model-action="start_procurement"' in html
    assert 'data-model-action="start_verification"' not in html
    assert 'data-model-action="reject"' not in html  # needs a reason: not in bulk


def test_case_edit_form_has_no_state_field(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    html = client.get(f"/admin/case/edit/?id={case.id}").get_data(as_text=True)
    assert 'name="requested_amount"' in html
    assert 'name="state"' not in html


def test_editing_a_draft_case_changes_its_details_through_the_service(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    url = f"/admin/case/edit/?id={case.id}"
    response = client.post(
        url,
        data={
            "csrf_token": page_token(client, url),
            "business_type": str(case.business_type_id),
            "requested_package": "Etalase dan kompor",
            "requested_amount": "3000000",
            "version": str(case.version),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(Case, case.id)
    assert changed.requested_amount == 3_000_000
    assert changed.state == CaseState.DRAFT.value


def test_creating_a_case_with_the_form_opens_a_draft(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    person = factories.make_person(session, users["caseworker"])
    wrse = factories.program(session, "WRSE")
    login(client, users["kukar_caseworker"])
    response = client.post(
        "/admin/case/new/",
        data={
            "csrf_token": page_token(client, "/admin/case/new/"),
            "program": str(wrse.id),
            "fiscal_year": str(factories.current_year()),
            "person": str(person.id),
            "group": "",
            "business_type": str(factories.business_type(session).id),
            "requested_package": "Mesin jahit",
            "requested_amount": "4000000",
        },
    )
    assert response.status_code == 302
    case = session.scalars(select(Case).where(Case.person_id == person.id)).one()
    assert case.state == CaseState.DRAFT.value
    assert response.headers["Location"].endswith(f"/admin/case/details/?id={case.id}")


def test_creating_a_case_above_the_unit_value_shows_the_amount_error(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    person = factories.make_person(session, users["caseworker"])
    login(client, users["caseworker"])
    response = client.post(
        "/admin/case/new/",
        data={
            "csrf_token": page_token(client, "/admin/case/new/"),
            "program": str(factories.program(session, "WRSE").id),
            "fiscal_year": str(factories.current_year()),
            "person": str(person.id),
            "business_type": str(factories.business_type(session).id),
            "requested_amount": "90000000",
        },
    )
    assert response.status_code == 200
    message = translated(app, "The amount is above the unit value of Rp%(limit)s.")
    assert escape(message.split("Rp")[0]) in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).where(Case.person_id == person.id)) == 0
