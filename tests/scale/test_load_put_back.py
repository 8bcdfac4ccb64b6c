"""The API load benchmark puts back the cases its transition runs moved (benchmarks/load.py,
``put_back_moves``), so every run finds the same ``submitted`` cases: each comes back as it
was before the move, and nothing else is touched."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.load import MOVE, VERIFIER, bench_user, put_back_moves
from casework.models import Case, CaseEvent, CaseState, Role, User
from casework.storage import DocumentStore
from tests import factories
from web.db import db
from workflows.engine import advance


def _as_stored(session: Session, case: Case) -> tuple[object, ...]:
    session.refresh(case)
    events = session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))
    return (case.state, case.version, case.state_entered_at, case.due_at, events)


def test_cases_a_transition_run_moved_are_put_back_in_submitted_as_they_were(
    session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    bench = bench_user(session, VERIFIER, "Bench Load Verifier", Role.VERIFIER)
    moved = [factories.case_in_state(session, users, store, CaseState.SUBMITTED) for _ in range(3)]
    before = [_as_stored(session, case) for case in moved]
    for case in moved:
        advance(session, case, MOVE, actor=bench)
    session.flush()

    assert put_back_moves(db.unit_of_work) == 3

    assert [_as_stored(session, case) for case in moved] == before
    assert put_back_moves(db.unit_of_work) == 0, "nothing is put back twice"


def test_only_the_benchmarks_own_last_moves_are_put_back(
    session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    bench = bench_user(session, VERIFIER, "Bench Load Verifier", Role.VERIFIER)
    by_someone_else, moved_on, kept = (
        factories.case_in_state(session, users, store, CaseState.SUBMITTED) for _ in range(3)
    )
    advance(session, by_someone_else, MOVE, actor=users["verifier"])
    advance(session, moved_on, MOVE, actor=bench)
    advance(session, moved_on, "return_for_revision", actor=users["verifier"], reason="KTP buram")
    session.flush()
    after = [_as_stored(session, case) for case in (by_someone_else, moved_on, kept)]

    assert put_back_moves(db.unit_of_work) == 0

    assert [_as_stored(session, case) for case in (by_someone_else, moved_on, kept)] == after
    assert by_someone_else.state == CaseState.ADMIN_VERIFICATION.value
    assert moved_on.state == CaseState.RETURNED.value
