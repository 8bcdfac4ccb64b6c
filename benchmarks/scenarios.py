"""The two scenarios, each through the engine and as raw SQL, on fresh cases every run.

Single: one ``advance`` per case and one commit per case, as a request does it.
Bulk: one ``advance_many`` over all cases and one commit, as a bulk admin action does it.
Setup (inserting the cases, loading them) is outside the timed part; every run is checked
afterwards, so a benchmark that silently moved nothing cannot report a rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from benchmarks import raw
from benchmarks.dataset import CaseFactory, Staff, database_path, load_user
from benchmarks.measure import Run, timed
from casework import clock
from casework.models import Case, CaseEvent, CaseState, User
from web.db import db
from workflows.engine import advance, advance_many, due_at_for

TRIGGER = "start_verification"
SOURCE = CaseState.SUBMITTED.value
DEST = CaseState.ADMIN_VERIFICATION.value


@dataclass
class Bench:
    """What every scenario needs; use inside the app context."""

    app: Flask
    factory: CaseFactory
    staff: Staff

    @property
    def path(self) -> Path:
        return database_path(self.app)


def fresh_cases(bench: Bench, count: int) -> list[int]:
    """Insert ``count`` submitted cases in their own unit of work; return their ids."""
    with db.unit_of_work() as session:
        ids = bench.factory.insert_submitted(session, count)
    db.session.remove()
    return ids


def _load_cases(ids: list[int]) -> list[Case]:
    session = db.current()
    cases = list(
        session.scalars(select(Case).where(Case.id.between(ids[0], ids[-1])).order_by(Case.id))
    )
    session.commit()
    return cases


def check_moved(ids: list[int]) -> None:
    """Fail loudly unless every case moved once, to version 2, with its event."""
    session = db.current()
    in_range = Case.id.between(ids[0], ids[-1])
    moved = session.scalar(
        select(func.count()).where(in_range, Case.state == DEST, Case.version == 2)
    )
    events = session.scalar(
        select(func.count()).where(
            CaseEvent.case_id.between(ids[0], ids[-1]),
            CaseEvent.trigger == TRIGGER,
            CaseEvent.case_version == 2,
        )
    )
    session.commit()
    db.session.remove()
    if moved != len(ids) or events != len(ids):
        raise RuntimeError(f"expected {len(ids)} moved cases, got {moved} and {events} events")


@dataclass
class SingleSetup:
    """Cases loaded and the actor, ready for ``advance_each``."""

    ids: list[int]
    cases: list[Case]
    verifier: User


def prepare_single(bench: Bench, count: int) -> SingleSetup:
    """Fresh cases, loaded (as a request would have loaded its case) before the clock runs."""
    ids = fresh_cases(bench, count)
    cases = _load_cases(ids)
    verifier = load_user(db.current(), bench.staff.verifier_id)
    db.current().commit()
    return SingleSetup(ids, cases, verifier)


def advance_each(setup: SingleSetup) -> None:
    """One ``advance`` per case, each in its own unit of work (one commit each)."""
    for case in setup.cases:
        with db.unit_of_work() as session:
            advance(session, case, TRIGGER, actor=setup.verifier)


def engine_single(bench: Bench, count: int) -> Run:
    """``count`` single transitions through the engine, one commit each."""
    setup = prepare_single(bench, count)
    run = timed(count, lambda: advance_each(setup))
    db.session.remove()
    check_moved(setup.ids)
    return run


def _due_at(bench: Bench) -> str | None:
    """The deadline the engine gives a case entering DEST now, as SQLite stores it."""
    state = bench.factory.definition.state(DEST)
    due = due_at_for(state, Case(fiscal_year=bench.factory.fiscal_year), clock.now())
    return raw.sql_datetime(due) if due is not None else None


def raw_single(bench: Bench, count: int) -> Run:
    """The same writes as ``engine_single`` with sqlite3: one transaction per case."""
    ids = fresh_cases(bench, count)
    due = _due_at(bench)
    with raw.connect(bench.path) as conn:

        def work() -> None:
            for case_id in ids:
                raw.move_one(
                    conn,
                    case_id,
                    1,
                    trigger=TRIGGER,
                    source=SOURCE,
                    dest=DEST,
                    actor_id=bench.staff.verifier_id,
                    due_at=due,
                )

        run = timed(count, work)
    check_moved(ids)
    return run


def engine_bulk(bench: Bench, count: int) -> Run:
    """One ``advance_many`` over ``count`` cases and one commit."""
    ids = fresh_cases(bench, count)
    verifier = load_user(db.current(), bench.staff.verifier_id)
    db.current().commit()

    def work() -> None:
        with db.unit_of_work() as session:
            result = advance_many(session, ids, TRIGGER, actor=verifier)
        if result.refused:
            raise RuntimeError(f"advance_many refused {len(result.refused)} cases")

    run = timed(count, work)
    db.session.remove()
    check_moved(ids)
    return run


def raw_bulk(bench: Bench, count: int) -> Run:
    """The same set-based writes as ``advance_many`` with sqlite3, in one transaction."""
    ids = fresh_cases(bench, count)
    due = _due_at(bench)
    with raw.connect(bench.path) as conn:
        run = timed(
            count,
            lambda: raw.move_set(
                conn,
                ids,
                trigger=TRIGGER,
                source=SOURCE,
                dest=DEST,
                actor_id=bench.staff.verifier_id,
                due_at=due,
            ),
        )
    check_moved(ids)
    return run
