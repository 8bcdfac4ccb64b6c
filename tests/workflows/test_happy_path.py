"""A case travels the whole path, and its event log tells the same story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casework import clock
from casework.models import CaseEvent, CaseState
from casework.services.demo import HAPPY_PATH, drive_to
from tests import factories
from workflows.engine import allowed_triggers, definition_for, replay


def test_wrse_case_travels_from_draft_to_closed_with_one_event_per_step(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.CLOSED)

    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assert case.state == CaseState.CLOSED
    assert [e.to_state for e in events][-1] == "closed"
    assert len(events) == 13
    assert replay(definition_for(case), events) == case.state
    assert case.version == 14


def test_kube_case_reaches_recommended_with_the_assessed_amount(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.RECOMMENDED, "KUBE")

    assert case.state == CaseState.RECOMMENDED
    assert 0 < case.requested_amount <= 20_000_000


@pytest.mark.parametrize("program_code", ["KUBE", "WRSE", "UEP"])
def test_every_program_follows_the_same_thirteen_steps_to_closed(
    session, users, store, program_code
):
    case = factories.case_in_state(session, users, store, CaseState.CLOSED, program_code)

    events = list(case.events)
    assert [(e.trigger, e.to_state) for e in events] == [(t, s.value) for t, s in HAPPY_PATH]
    assert [e.from_state for e in events] == ["draft"] + [s.value for _, s in HAPPY_PATH[:-1]]
    assert [e.case_version for e in events] == list(range(2, 15))
    assert allowed_triggers(case, users["manager"]) == []


def test_a_case_driven_over_months_has_its_events_in_time_order(session, users, store):
    start = datetime(2026, 2, 2, 1, 0, tzinfo=UTC)
    with clock.frozen(start):
        case = factories.make_case(session, users["caseworker"], "UEP")
        drive_to(
            session,
            case,
            CaseState.MONITORING,
            actors=factories.actors(users),
            store=store,
            step=timedelta(days=9),
        )

    times = [e.at for e in case.events]
    assert times == [start + timedelta(days=9 * n) for n in range(len(times))]
    assert case.state_entered_at == times[-1]


def test_the_event_names_the_actor_and_the_reason_of_a_side_step(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.RETURNED)

    last = case.events[-1]
    assert (last.trigger, last.from_state, last.to_state) == (
        "return_for_revision",
        "admin_verification",
        "returned",
    )
    assert last.actor_id == users["verifier"].id
    assert last.reason
    assert allowed_triggers(case, users["caseworker"]) == ["resubmit", "cancel"]
    assert allowed_triggers(case, users["verifier"]) == []
    assert allowed_triggers(case, users["samarinda_caseworker"]) == []
