"""The audit log: every write recorded with who, from where and what changed; the audit
log and the case history cannot be changed, by the application or by raw SQL."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from casework.audit_context import Actor, acting_as
from casework.models import AuditEntry, CaseEvent, Role, User
from casework.services.audit import AppendOnly, entries_for
from casework.services.cases import update_case_details
from casework.services.users import issue_token
from tests import factories
from tests.admin.helpers import login, page_token
from workflows.engine import advance

ADDRESS = "10.20.30.40"

Entries = Callable[[str, int], list[AuditEntry]]


@pytest.fixture()
def entries_of(session: Session) -> Entries:
    """The log of one record, of the entries written since the test began. On SQLite a
    record id comes back once the row with the highest id is gone, and the tests that
    commit from real threads and processes (tests/workflows/test_race.py) remove their
    rows afterwards, but not their audit entries: the log cannot be changed."""
    floor = session.scalar(select(func.max(AuditEntry.id))) or 0

    def entries(entity_type: str, entity_id: int) -> list[AuditEntry]:
        return [e for e in entries_for(session, entity_type, entity_id) if e.id > floor]

    return entries


def _person_json() -> dict[str, object]:
    data = dataclasses.asdict(factories.person_input())
    data["birth_date"] = data["birth_date"].isoformat()
    return data


def _bearer(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(session, user, label='audit')}"}


def test_a_person_registered_over_the_api_is_audited_with_actor_address_and_no_clear_nik(
    client: FlaskClient, session: Session, users: dict[str, User], entries_of: Entries
) -> None:
    caseworker = users["caseworker"]
    body = _person_json()
    response = client.post(
        "/api/v1/persons",
        json=body,
        headers=_bearer(session, caseworker),
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    assert response.status_code == 201, response.get_json()
    person_id = response.get_json()["id"]

    [entry] = entries_of("persons", person_id)
    assert (entry.action, entry.actor_id, entry.actor_name) == (
        "create",
        caseworker.id,
        caseworker.username,
    )
    assert entry.ip == ADDRESS
    assert entry.request_id == response.headers["X-Request-ID"]
    assert "full_name" in entry.changes
    assert all(value is None for value in entry.changes.values())
    logged = json.dumps(entry.changes)
    assert str(body["nik"]) not in logged and str(body["kk_number"]) not in logged
    assert str(body["full_name"]) not in logged


def test_changing_a_person_over_the_api_is_audited_by_field_name(
    client: FlaskClient, session: Session, users: dict[str, User], entries_of: Entries
) -> None:
    person = factories.make_person(session, users["caseworker"])
    body = _person_json() | {"nik": person.nik, "kk_number": person.kk_number}
    body |= {"full_name": "Nur Hasanah", "birth_date": person.birth_date.isoformat()}
    session.flush()

    response = client.put(
        f"/api/v1/persons/{person.id}", json=body, headers=_bearer(session, users["verifier"])
    )

    assert response.status_code == 200, response.get_json()
    [change] = [e for e in entries_of("persons", person.id) if e.action == "update"]
    assert change.actor_id == users["verifier"].id
    assert "full_name" in change.changes and change.changes["full_name"] is None
    assert "Nur Hasanah" not in json.dumps(change.changes)


def test_a_case_field_edit_keeps_the_old_and_new_value_and_the_actor(
    session: Session, users: dict[str, User], entries_of: Entries
) -> None:
    caseworker = users["caseworker"]
    case = factories.make_case(session, caseworker, "WRSE")
    old_amount = case.requested_amount

    with acting_as(Actor(caseworker.id, caseworker.username), ip="192.0.2.7"):
        update_case_details(
            session,
            case,
            business_type_id=case.business_type_id,
            requested_package=case.requested_package,
            requested_amount=old_amount + 250_000,
            actor=caseworker,
        )

    [change] = [e for e in entries_of("cases", case.id) if e.action == "update"]
    assert change.changes == {"requested_amount": [old_amount, old_amount + 250_000]}
    assert (change.actor_id, change.ip) == (caseworker.id, "192.0.2.7")


def test_writes_without_a_bound_actor_are_recorded_as_the_system(
    session: Session, users: dict[str, User], entries_of: Entries
) -> None:
    person = factories.make_person(session, users["caseworker"])
    [entry] = entries_of("persons", person.id)
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, "system", None)


def test_password_hashes_never_reach_the_log(session: Session, entries_of: Entries) -> None:
    user = factories.make_user(session, Role.FINANCE)
    [entry] = entries_of("users", user.id)
    assert entry.changes["password_hash"] is None
    assert entry.changes["username"] == [None, user.username]
    assert user.password_hash not in json.dumps(entry.changes)


def _an_event(session: Session, users: dict[str, User]) -> CaseEvent:
    case = factories.make_case(session, users["caseworker"], "WRSE")
    advance(session, case, "submit", actor=users["caseworker"])
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    return event


def test_the_application_refuses_to_change_or_delete_a_case_event(
    session: Session, users: dict[str, User]
) -> None:
    event = _an_event(session, users)
    event_id = event.id

    event.reason = "rewritten history"
    with pytest.raises(AppendOnly):
        session.flush()
    session.expire(event)

    session.delete(event)
    with pytest.raises(AppendOnly):
        session.flush()
    session.expunge_all()

    with pytest.raises(AppendOnly):
        session.execute(update(CaseEvent).where(CaseEvent.id == event_id).values(reason="x"))
    with pytest.raises(AppendOnly):
        session.execute(delete(CaseEvent).where(CaseEvent.id == event_id))
    with pytest.raises(AppendOnly):
        session.execute(delete(AuditEntry))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_events SET reason = 'rewritten' WHERE id = :id",
        "DELETE FROM case_events WHERE id = :id",
    ],
)
def test_the_database_refuses_raw_sql_that_rewrites_case_events(
    session: Session, connection: Connection, users: dict[str, User], statement: str
) -> None:
    event = _an_event(session, users)
    session.commit()  # into the test's savepoint; the raw statement runs on the connection

    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement), {"id": event.id})
    savepoint.rollback()

    reason = connection.execute(
        text("SELECT reason FROM case_events WHERE id = :id"), {"id": event.id}
    ).scalar_one()
    assert reason is None


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET actor_name = 'nobody'", "DELETE FROM audit_entries"],
)
def test_the_database_refuses_raw_sql_that_rewrites_the_audit_log(
    session: Session, connection: Connection, statement: str
) -> None:
    factories.make_user(session, Role.AUDITOR)
    session.commit()

    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()


def test_the_audit_log_screen_is_read_only_for_auditors(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["auditor"])
    entry_id = session.scalars(
        select(AuditEntry.id)
        .where(AuditEntry.action == "login.success")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry_id is not None

    listing = client.get("/admin/auditlog/?flt0_2=login.success")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert users["auditor"].username in html
    assert "/admin/auditlog/new/" not in html and "/admin/auditlog/edit/" not in html
    assert client.get(f"/admin/auditlog/details/?id={entry_id}").status_code == 200
    for url in ("/admin/auditlog/new/", f"/admin/auditlog/edit/?id={entry_id}"):
        assert client.get(url).status_code in (302, 403)
    token = page_token(client, "/admin/myaccount/")
    refused = client.post(
        "/admin/auditlog/delete/", data={"id": str(entry_id), "csrf_token": token}
    )
    assert refused.status_code in (302, 403)
    session.expire_all()
    assert session.get(AuditEntry, entry_id) is not None


def test_the_audit_log_screen_is_hidden_from_caseworkers(
    client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["caseworker"])
    assert client.get("/admin/auditlog/").status_code == 403
    assert "/admin/auditlog/" not in client.get("/admin/").get_data(as_text=True)


def test_the_audit_log_can_be_filtered_by_record(
    client: FlaskClient, session: Session, users: dict[str, User], entries_of: Entries
) -> None:
    person = factories.make_person(session, users["caseworker"])
    other = factories.make_person(session, users["caseworker"])
    session.flush()
    [mine] = entries_of("persons", person.id)
    [theirs] = entries_of("persons", other.id)
    login(client, users["admin"])

    html = client.get(f"/admin/auditlog/?flt0_3=persons&flt1_4={person.id}").get_data(as_text=True)

    shown = {int(i) for i in re.findall(r"details/\?id=(\d+)", html)}
    assert mine.id in shown
    assert theirs.id not in shown
