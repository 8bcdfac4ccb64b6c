"""Concurrent transitions: many threads or processes, one real database, one winner.

The data is committed (other connections must see it) and removed after each test.
SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL with the engine's row lock.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from casework.errors import DomainError, InvalidTransition, VersionConflict
from casework.models import Case, CaseEvent, User
from tests.workflows import race_support
from tests.workflows.bulk_worker import bulk_worker
from tests.workflows.race_support import Committed, new_session
from web.db import make_engine
from workflows.engine import advance

THREADS = 16
WON = "moved"


@pytest.fixture()
def race_engine(app: Any, database_url: str) -> Iterator[Engine]:
    """An engine with a pool big enough for every thread to hold a connection at once."""
    engine = make_engine(database_url, pool_size=THREADS + 2, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture()
def committed(race_engine: Engine) -> Iterator[Committed]:
    made = race_support.prepare(race_engine, cases=1)
    try:
        yield made
    finally:
        race_support.remove(race_engine, made)


def fire(
    engine: Engine,
    barrier: threading.Barrier,
    case_id: int,
    actor_id: int,
    trigger: str,
    expected_version: int | None = None,
) -> str | DomainError:
    """One thread's attempt, in its own session and transaction; commits when it wins."""
    barrier.wait(timeout=30)
    with new_session(engine) as session:
        try:
            case = session.get(Case, case_id)
            actor = session.get(User, actor_id)
            assert case is not None and actor is not None
            advance(
                session,
                case,
                trigger,
                actor=actor,
                reason="Diproses bersamaan.",
                expected_version=expected_version,
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            return exc
    return WON


def read_case(engine: Engine, case_id: int) -> tuple[str, int, list[CaseEvent]]:
    with new_session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        events = list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )
        return case.state, case.version, events


def race(engine: Engine, attempts: list[dict[str, Any]]) -> list[str | DomainError]:
    barrier = threading.Barrier(len(attempts))
    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        futures = [pool.submit(fire, engine, barrier, **attempt) for attempt in attempts]
        return [f.result(timeout=120) for f in futures]


def test_sixteen_threads_fire_the_same_transition_and_exactly_one_wins(race_engine, committed):
    case_id = committed.cases[0]
    verifier = committed.users["verifier"]
    state, version, events = read_case(race_engine, case_id)
    assert state == "submitted"

    outcomes = race(
        race_engine,
        [{"case_id": case_id, "actor_id": verifier, "trigger": "start_verification"}] * THREADS,
    )

    assert outcomes.count(WON) == 1
    losers = [o for o in outcomes if o != WON]
    assert all(isinstance(o, InvalidTransition | VersionConflict) for o in losers), losers
    assert {o.status for o in losers if isinstance(o, DomainError)} == {409}
    state_after, version_after, events_after = read_case(race_engine, case_id)
    assert (state_after, version_after) == ("admin_verification", version + 1)
    assert len(events_after) == len(events) + 1
    assert events_after[-1].trigger == "start_verification"


def test_with_an_expected_version_only_one_of_many_different_actions_wins(race_engine, committed):
    case_id = committed.cases[0]
    _, version, events = read_case(race_engine, case_id)
    verifier, manager = committed.users["verifier"], committed.users["manager"]
    choices = [
        ("start_verification", verifier),
        ("return_for_revision", verifier),
        ("reject", manager),
        ("cancel", manager),
    ]
    attempts = [
        {
            "case_id": case_id,
            "actor_id": actor,
            "trigger": trigger,
            "expected_version": version,
        }
        for trigger, actor in choices * (THREADS // len(choices))
    ]

    outcomes = race(race_engine, attempts)

    assert outcomes.count(WON) == 1
    losers = [o for o in outcomes if o != WON]
    assert all(isinstance(o, InvalidTransition | VersionConflict) for o in losers), losers
    winner = attempts[outcomes.index(WON)]["trigger"]
    state_after, version_after, events_after = read_case(race_engine, case_id)
    assert version_after == version + 1
    assert len(events_after) == len(events) + 1
    assert events_after[-1].trigger == winner
    assert state_after == events_after[-1].to_state


@pytest.fixture()
def many_committed(race_engine: Engine) -> Iterator[Committed]:
    made = race_support.prepare(race_engine, cases=12)
    try:
        yield made
    finally:
        race_support.remove(race_engine, made)


def test_processes_moving_overlapping_sets_move_every_case_exactly_once(
    race_engine, many_committed, database_url
):
    ids = many_committed.cases
    workers = 4
    # Each process takes six consecutive cases, wrapping round: every case is in two sets.
    sets = [[ids[(w * 3 + k) % len(ids)] for k in range(6)] for w in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=bulk_worker,
            args=(database_url, chunk, many_committed.users["verifier"], barrier, results),
        )
        for chunk in sets
    ]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=120) for _ in processes]
    except queue.Empty:  # pragma: no cover - a hung worker is a failure, not a hang
        pytest.fail("a worker process did not report")
    finally:
        for process in processes:
            process.join(timeout=30)
    assert all(r[0] != "error" for r in reports), reports

    moved = [case_id for r in reports for case_id in r[0]]
    assert sorted(moved) == sorted(ids)  # every case once, none twice
    with new_session(race_engine) as session:
        states = set(session.scalars(select(Case.state).where(Case.id.in_(ids))))
        per_case = dict(
            session.execute(
                select(CaseEvent.case_id, func.count())
                .where(CaseEvent.case_id.in_(ids), CaseEvent.trigger == "start_verification")
                .group_by(CaseEvent.case_id)
            ).all()
        )
    assert states == {"admin_verification"}
    assert per_case == dict.fromkeys(ids, 1)
