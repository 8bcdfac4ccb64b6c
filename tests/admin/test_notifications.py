"""The inbox ("Kotak masuk"), extra days off and SLA overrides in the admin, by role."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.models import CaseState, InboxMessage, User
from casework.models.calendar import DayOff, SlaOverride
from casework.services.deadlines import add_day_off, set_sla_override
from tests import factories
from tests.admin.helpers import login, page_token, translated


def _message(
    session: Session, user: User, subject: str, case_id: int | None = None
) -> InboxMessage:
    message = InboxMessage(user_id=user.id, subject=subject, body=f"Isi {subject}", case_id=case_id)
    session.add(message)
    session.flush()
    return message


def _read_at(session: Session, message: InboxMessage) -> object:
    session.expire_all()
    return session.get_one(InboxMessage, message.id).read_at


# The inbox


@pytest.mark.parametrize("role", ["admin", "caseworker", "finance", "dprd_liaison", "auditor"])
def test_every_role_can_open_its_inbox(
    client: FlaskClient, users: dict[str, User], role: str
) -> None:
    login(client, users[role])
    assert client.get("/admin/inbox/").status_code == 200


def test_the_inbox_lists_only_the_messages_of_the_logged_in_user(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    _message(session, users["verifier"], "Tenggat verifikasi mendekat", case.id)
    _message(session, users["manager"], "Eskalasi untuk kabid")
    login(client, users["verifier"])
    html = client.get("/admin/inbox/").get_data(as_text=True)
    assert "Tenggat verifikasi mendekat" in html
    assert f"/admin/case/details/?id={case.id}" in html  # the case is a link
    assert "Eskalasi untuk kabid" not in html


def test_opening_a_message_shows_it_and_marks_it_read(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    message = _message(session, users["verifier"], "Tenggat verifikasi")
    login(client, users["verifier"])
    html = client.get(f"/admin/inbox/details/?id={message.id}").get_data(as_text=True)
    assert "Isi Tenggat verifikasi" in html
    assert _read_at(session, message) is not None


def test_another_users_message_cannot_be_opened_nor_marked_read(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    message = _message(session, users["manager"], "Eskalasi rahasia")
    login(client, users["verifier"])
    html = client.get(f"/admin/inbox/details/?id={message.id}", follow_redirects=True)
    assert "Isi Eskalasi rahasia" not in html.get_data(as_text=True)
    client.post(
        "/admin/inbox/action/",
        data={
            "csrf_token": page_token(client, "/admin/inbox/"),
            "action": "mark_read",
            "rowid": [str(message.id)],
        },
    )
    assert _read_at(session, message) is None


def test_the_mark_read_action_marks_the_selected_messages_read(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    first = _message(session, users["verifier"], "Satu")
    second = _message(session, users["verifier"], "Dua")
    untouched = _message(session, users["verifier"], "Tiga")
    login(client, users["verifier"])
    client.post(
        "/admin/inbox/action/",
        data={
            "csrf_token": page_token(client, "/admin/inbox/"),
            "action": "mark_read",
            "rowid": [str(first.id), str(second.id)],
        },
    )
    assert _read_at(session, first) is not None
    assert _read_at(session, second) is not None
    assert _read_at(session, untouched) is None


# Extra days off


def test_a_manager_adds_an_extra_day_off_through_the_form(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["manager"])
    client.post(
        "/admin/dayoff/new/",
        data={
            "csrf_token": page_token(client, "/admin/dayoff/new/"),
            "day": "2026-01-21",
            "description": "Hari jadi Provinsi Kalimantan Timur",
        },
    )
    row = session.scalar(select(DayOff).where(DayOff.day == date(2026, 1, 21)))
    assert row is not None and row.description == "Hari jadi Provinsi Kalimantan Timur"


def test_adding_a_day_off_twice_shows_the_translated_refusal(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    add_day_off(session, date(2026, 1, 21), "Hari jadi")
    login(client, users["admin"])
    response = client.post(
        "/admin/dayoff/new/",
        data={"csrf_token": page_token(client, "/admin/dayoff/new/"), "day": "2026-01-21"},
        follow_redirects=True,
    )
    expected = translated(app, "This day off is already on the list.")
    assert str(escape(expected)) in response.get_data(as_text=True)
    assert len(session.scalars(select(DayOff)).all()) == 1


def test_an_admin_deletes_a_day_off(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    row = add_day_off(session, date(2026, 1, 21), "Hari jadi")
    login(client, users["admin"])
    client.post(
        "/admin/dayoff/delete/",
        data={"csrf_token": page_token(client, "/admin/dayoff/"), "id": str(row.id)},
    )
    assert session.scalar(select(DayOff.id).where(DayOff.id == row.id)) is None


def test_a_caseworker_sees_the_days_off_but_cannot_add_or_delete_one(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    row = add_day_off(session, date(2026, 1, 21), "Hari jadi Provinsi")
    login(client, users["caseworker"])
    html = client.get("/admin/dayoff/").get_data(as_text=True)
    assert "Hari jadi Provinsi" in html
    assert "/admin/dayoff/new/" not in html
    token = page_token(client, "/admin/inbox/")
    client.post("/admin/dayoff/new/", data={"csrf_token": token, "day": "2026-02-02"})
    client.post("/admin/dayoff/delete/", data={"csrf_token": token, "id": str(row.id)})
    session.expire_all()
    assert session.scalars(select(DayOff.day)).all() == [date(2026, 1, 21)]


# SLA overrides per program and state


def test_a_manager_sets_a_programs_deadline_for_a_state(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    kube = factories.program(session, "KUBE")
    login(client, users["manager"])
    client.post(
        "/admin/slaoverride/new/",
        data={
            "csrf_token": page_token(client, "/admin/slaoverride/new/"),
            "program_id": str(kube.id),
            "state": CaseState.ADMIN_VERIFICATION.value,
            "working_days": "7",
        },
    )
    row = session.scalar(select(SlaOverride).where(SlaOverride.program_id == kube.id))
    assert row is not None
    assert (row.state, row.working_days) == (CaseState.ADMIN_VERIFICATION.value, 7)


def test_the_override_list_shows_the_workflow_default_next_to_it_and_can_be_edited(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    kube = factories.program(session, "KUBE")
    row = set_sla_override(session, kube.id, CaseState.ADMIN_VERIFICATION.value, 7)
    login(client, users["admin"])
    html = client.get("/admin/slaoverride/").get_data(as_text=True)
    assert ">7<" in html.replace(" ", "").replace("\n", "")
    assert ">10<" in html.replace(" ", "").replace("\n", "")  # the definition's 10 days
    url = f"/admin/slaoverride/edit/?id={row.id}"
    client.post(url, data={"csrf_token": page_token(client, url), "working_days": "12"})
    session.expire_all()
    assert session.get_one(SlaOverride, row.id).working_days == 12


def test_deleting_an_override_goes_back_to_the_workflow_default(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    kube = factories.program(session, "KUBE")
    row = set_sla_override(session, kube.id, CaseState.ADMIN_VERIFICATION.value, 7)
    login(client, users["manager"])
    client.post(
        "/admin/slaoverride/delete/",
        data={"csrf_token": page_token(client, "/admin/slaoverride/"), "id": str(row.id)},
    )
    assert session.scalar(select(SlaOverride.id).where(SlaOverride.id == row.id)) is None


def test_a_final_state_cannot_be_given_a_deadline(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    kube = factories.program(session, "KUBE")
    login(client, users["manager"])
    response = client.post(
        "/admin/slaoverride/new/",
        data={
            "csrf_token": page_token(client, "/admin/slaoverride/new/"),
            "program_id": str(kube.id),
            "state": CaseState.CLOSED.value,
            "working_days": "3",
        },
    )
    # "closed" is final: not among the choices, so the form refuses it before the service
    assert response.status_code == 200
    assert session.scalars(select(SlaOverride)).all() == []


@pytest.mark.parametrize("role", ["caseworker", "verifier", "dprd_liaison"])
def test_only_admin_and_manager_open_the_sla_overrides(
    client: FlaskClient, users: dict[str, User], role: str
) -> None:
    login(client, users[role])
    assert client.get("/admin/slaoverride/").status_code == 403
