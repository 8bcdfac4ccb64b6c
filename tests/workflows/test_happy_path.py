"""A WRSE case travels the whole path, and its event log tells the same story."""

from __future__ import annotations

from sqlalchemy import select

from casework.models import CaseEvent, CaseState
from tests import factories
from workflows.engine import definition_for, replay


def test_wrse_case_travels_from_draft_to_closed_with_one_event_per_step(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.CLOSED)

    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assert case.state == CaseState.CLOSED
    assert [e.to_state for e in events][-1] == "closed"
    assert len(events) == 12
    assert replay(definition_for(case), events) == case.state
    assert case.version == 13


def test_kube_case_reaches_recommended_with_the_assessed_amount(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.RECOMMENDED, "KUBE")

    assert case.state == CaseState.RECOMMENDED
    assert 0 < case.requested_amount <= 20_000_000
