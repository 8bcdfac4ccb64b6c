"""kill -9 in the middle of a bulk transition or a decree leaves all or nothing.

A real child process (tests/security/kill_child.py) runs the app on its own database (a
SQLite file; a separate PostgreSQL database when BERDAYA_TEST_DATABASE names one), seeds
thousands of cases, then writes every move in one unit of work and pauses right before
COMMIT. The parent SIGKILLs it there and reads the database with a fresh connection:
nothing moved, no number used, the database is sound. Then a second child runs the same
write to the end on that same database: everything moved, each number used once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from casework.models import Case, CaseEvent, CaseState
from casework.models.decree import Decree, DecreeEntry, DecreeNumberSequence, DecreeStatus
from casework.models.letter import Letter, LetterNumberSequence

CHILD = Path(__file__).with_name("kill_child.py")
ROOT = CHILD.parents[2]
CASES = 2000
CHILD_TIMEOUT = 180


@dataclass(frozen=True)
class Target:
    url: str
    workdir: Path


def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@contextmanager
def own_database(workdir: Path, label: str) -> Iterator[Target]:
    """A database of its own for child processes: a SQLite file in ``workdir``, or a new
    PostgreSQL database (dropped afterwards) when BERDAYA_TEST_DATABASE names one."""
    choice = os.environ.get("BERDAYA_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        yield Target(f"sqlite:///{workdir / f'{label}.sqlite3'}", workdir)
        return
    base = make_url(choice)
    name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
    _admin(choice, f'CREATE DATABASE "{name}"')
    try:
        yield Target(base.set(database=name).render_as_string(hide_password=False), workdir)
    finally:
        _admin(choice, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def target(tmp_path: Path) -> Iterator[Target]:
    with own_database(tmp_path, "kill") as made:
        yield made


def _child(target: Target, *args: str) -> list[str]:
    return [sys.executable, str(CHILD), target.url, str(target.workdir), *args]


def _run(target: Target, *args: str) -> None:
    done = subprocess.run(
        _child(target, *args), cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _kill_before_commit(target: Target, scenario: str) -> None:
    """Start the write, wait until the child is inside its transaction, SIGKILL it."""
    marker = target.workdir / "inside-the-transaction"
    child = subprocess.Popen(
        _child(target, "run", scenario, "--pause", str(marker)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while not marker.exists():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never reached its commit"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stderr:
            child.stderr.close()


@pytest.fixture()
def reader(target: Target) -> Iterator[Engine]:
    engines: list[Engine] = []

    def fresh() -> Engine:
        engine = create_engine(target.url)
        engines.append(engine)
        return engine

    yield fresh  # type: ignore[misc]
    for engine in engines:
        engine.dispose()


def _states(engine: Engine) -> dict[tuple[str, int], int]:
    """How many cases are in each (state, version)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Case.state, Case.version, func.count()).group_by(Case.state, Case.version)
        )
        return {(state, version): count for state, version, count in rows}


def _count(engine: Engine, stmt: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one() or 0)  # type: ignore[call-overload]


def _assert_sound(engine: Engine) -> None:
    """SQLite: integrity_check says ok. PostgreSQL: every table still reads."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        for table in (Case.__table__, CaseEvent.__table__, Decree.__table__, Letter.__table__):
            conn.execute(select(func.count()).select_from(table)).scalar_one()


def _events(engine: Engine, trigger: str) -> int:
    return _count(engine, select(func.count()).where(CaseEvent.trigger == trigger))


def test_kill_9_inside_a_bulk_transition_leaves_every_case_where_it_was(
    target: Target, reader: object
) -> None:
    _run(target, "setup", "bulk", str(CASES))
    _kill_before_commit(target, "bulk")

    engine = reader()  # type: ignore[operator]
    _assert_sound(engine)
    assert _states(engine) == {(CaseState.SUBMITTED.value, 1): CASES}
    assert _events(engine, "start_verification") == 0

    _run(target, "run", "bulk")
    engine = reader()  # type: ignore[operator]
    assert _states(engine) == {(CaseState.ADMIN_VERIFICATION.value, 2): CASES}
    assert _events(engine, "start_verification") == CASES
    _assert_sound(engine)


def _decree_numbers(engine: Engine) -> int:
    return _count(engine, select(func.coalesce(func.sum(DecreeNumberSequence.last_value), 0)))


def _letter_numbers(engine: Engine) -> int:
    return _count(engine, select(func.coalesce(func.sum(LetterNumberSequence.last_value), 0)))


def test_kill_9_inside_a_decree_issue_leaves_the_decree_a_draft_and_no_number_used(
    target: Target, reader: object
) -> None:
    _run(target, "setup", "decree", str(CASES))
    _kill_before_commit(target, "decree")

    engine = reader()  # type: ignore[operator]
    _assert_sound(engine)
    assert _states(engine) == {(CaseState.APPROVED.value, 2): CASES}
    assert _events(engine, "decree") == 0
    with engine.connect() as conn:
        status, number = conn.execute(select(Decree.status, Decree.number)).one()
    assert (status, number) == (DecreeStatus.DRAFT.value, None)
    assert _count(engine, select(func.count()).where(DecreeEntry.issued_case_id.is_not(None))) == 0
    assert _decree_numbers(engine) == 0
    assert _letter_numbers(engine) == 0
    assert _count(engine, select(func.count()).select_from(Letter)) == 0

    _run(target, "run", "decree")
    engine = reader()  # type: ignore[operator]
    assert _states(engine) == {(CaseState.DECREED.value, 3): CASES}
    assert _events(engine, "decree") == CASES
    with engine.connect() as conn:
        status, number = conn.execute(select(Decree.status, Decree.number)).one()
    assert status == DecreeStatus.ISSUED.value and number
    assert _decree_numbers(engine) == 1
    case_letters = Letter.case_id.is_not(None)
    letters = _count(engine, select(func.count()).where(case_letters))
    numbers = _count(engine, select(func.count(func.distinct(Letter.number))).where(case_letters))
    with_case = _count(engine, select(func.count(func.distinct(Letter.case_id))))
    assert letters == with_case == CASES  # one approval letter per decreed case
    assert numbers == _letter_numbers(engine) == CASES  # each letter number used once, no gap
    with engine.connect() as conn:  # the decree's own letter carries the decree's number
        own = conn.execute(select(Letter.number).where(Letter.case_id.is_(None))).scalars()
        assert list(own) == [number]
    _assert_sound(engine)
