"""The daily deadline sweep over 100,000 open cases, next to the same SQL run raw.

Cases are inserted set-based by the benchmark's CaseFactory, then spread over the open
states, 8 kabupaten/kota, deadlines from 45 days late to 24 days ahead and 6 assignees
(every 5th case unassigned) with one UPDATE in plain SQL (synthetic data for a measurement,
written outside the app on purpose).

Measured: ``casework.services.notifications.sweep`` in a unit of work with its commit (the
calendar loaded, the INSERT … SELECT … ON CONFLICT DO NOTHING statements built and run
through the ORM session). Reference: the very same INSERT … SELECT statements, compiled once,
run with ``sqlite3``. Before every run the notifications of the previous one are deleted
(untimed), so each run writes the same rows; a last run of the app's sweep on top of a full
table shows the idempotent re-run (nothing new written).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from benchmarks import raw
from benchmarks.dashboard import REGENCIES
from benchmarks.dataset import PASSWORD
from benchmarks.scenarios import Bench, fresh_cases
from casework import clock
from casework.calendar import calendar_for
from casework.models import CaseState, Role
from casework.services.notifications import ReminderSettings, sweep, sweep_statements
from casework.services.users import create_user
from web.db import db

GOAL_S = 2.0
BATCH = 10_000
FINAL = {"draft", "closed", "non_compliant", "rejected", "cancelled"}
OPEN = [s.value for s in CaseState if s.value not in FINAL]
MEASURED = (
    "Open cases spread over the open states, 8 kabupaten/kota, deadlines from 45 days late"
    " to 24 days ahead and 6 assignees (every 5th case unassigned). The sweep is"
    " `casework.services.notifications.sweep` with its commit; the reference runs the same"
    " INSERT … SELECT statements, compiled once, with `sqlite3`."
)


@dataclass(frozen=True)
class SweepFigures:
    cases: int
    written: int
    sweep_s: list[float]
    raw_s: list[float]
    rerun_s: float

    def lines(self) -> list[str]:
        median = statistics.median(self.sweep_s)
        raw_median = statistics.median(self.raw_s)
        verdict = "met" if median <= GOAL_S else "NOT met"
        return [
            f"Deadline sweep over {self.cases:,} open cases, {self.written:,} notifications"
            f" written (median of {len(self.sweep_s)} runs):",
            f"  sweep + commit: {median:.2f} s (spread {min(self.sweep_s):.2f}–"
            f"{max(self.sweep_s):.2f}); goal ≤ {GOAL_S:.0f} s: {verdict}",
            f"  raw sqlite3, the same INSERT … SELECT: {raw_median:.2f} s (spread"
            f" {min(self.raw_s):.2f}–{max(self.raw_s):.2f}); ratio sweep/raw:"
            f" {median / raw_median:.2f}",
            f"  re-run on a full table (nothing new): {self.rerun_s:.2f} s",
        ]

    def markdown(self) -> str:
        """A section for docs/benchmarks.md."""
        head, *figures = self.lines()
        items = [f"- {line.strip()}" for line in figures]
        return "\n".join(["## Deadline sweep", "", head, "", *items, "", MEASURED, ""])


def _case_of(column: str, values: Sequence[object]) -> str:
    branches = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
    return f"CASE {column} % {len(values)} {branches} END"


def spread_open(path: Path, low: int, high: int, assignees: list[int]) -> None:
    """Vary open state, regency, deadline and assignee over the cases (one UPDATE)."""
    base = datetime.combine(clock.today_wita(), day_time(15, 59, 59))  # 23:59:59 WITA in UTC
    who = " ".join(f"WHEN {n} THEN {uid}" for n, uid in enumerate(assignees))
    sql = f"""
        UPDATE cases SET
          state = {_case_of("(id / 7)", OPEN)},
          regency_code = {_case_of("id", list(REGENCIES))},
          due_at = strftime('%Y-%m-%d %H:%M:%S', ?, ((id % 70) - 45) || ' days') || '.000000',
          assignee_id = CASE WHEN id % 5 = 0 THEN NULL
                             ELSE CASE id % {len(assignees)} {who} END END
        WHERE id BETWEEN ? AND ?
    """
    with raw.connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (base.strftime("%Y-%m-%d %H:%M:%S"), low, high))
        conn.execute("COMMIT")
        conn.execute("ANALYZE")


def _staff() -> list[int]:
    """Six province assignees (caseworkers and verifiers) and a manager for escalations."""
    roles = [Role.CASEWORKER, Role.VERIFIER] * 3 + [Role.MANAGER]
    with db.unit_of_work() as session:
        made = [
            create_user(
                session,
                username=f"bench-sweep-{n}",
                full_name=f"Bench Sweep {n}",
                role=role.value,
                password=PASSWORD,
            )
            for n, role in enumerate(roles)
        ]
        session.flush()
        found = [user.id for user in made if user.role != Role.MANAGER]
    db.session.remove()
    return found


def seed(bench: Bench, count: int) -> tuple[int, int]:
    """Insert ``count`` open cases and spread them; return the id range."""
    ids: list[int] = []
    while len(ids) < count:
        ids += fresh_cases(bench, min(BATCH, count - len(ids)))
    spread_open(bench.path, ids[0], ids[-1], _staff())
    return ids[0], ids[-1]


def remove_cases(path: Path, low: int, high: int) -> None:
    """Delete the bench's cases again, so the benchmarks after this one do not see them.

    The case history is append-only (database triggers); on this throwaway database the
    triggers are lifted for the delete and put back in the same transaction.
    """
    with raw.connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM notifications")
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'case_events'"
        ).fetchall()
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("DELETE FROM case_events WHERE case_id BETWEEN ? AND ?", (low, high))
        for _name, sql in triggers:
            conn.execute(sql)
        persons = "SELECT person_id FROM cases WHERE id BETWEEN ? AND ?"
        conn.execute("CREATE TEMP TABLE bench_persons AS " + persons, (low, high))
        conn.execute("DELETE FROM cases WHERE id BETWEEN ? AND ?", (low, high))
        conn.execute("DELETE FROM persons WHERE id IN (SELECT person_id FROM bench_persons)")
        conn.execute("DROP TABLE bench_persons")
        conn.execute("COMMIT")


def _raw_value(value: Any) -> Any:
    return raw.sql_datetime(value) if isinstance(value, datetime) else value


def compiled_statements(now: datetime) -> list[tuple[str, list[Any]]]:
    """The sweep's statements as SQLite SQL with their parameters, in sqlite3's format."""
    with db.unit_of_work() as session:
        calendar = calendar_for(session)
    db.session.remove()
    found = []
    for _, statement in sweep_statements("sqlite", calendar, ReminderSettings(), now):
        compiled = statement.compile(
            dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}
        )
        params = compiled.construct_params()
        values = [_raw_value(params[name]) for name in compiled.positiontup or []]
        found.append((compiled.string, values))
    return found


def raw_sweep(path: Path, statements: list[tuple[str, list[Any]]]) -> int:
    """Run the compiled statements in one transaction; return the rows written."""
    written = 0
    with raw.connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        for sql, values in statements:
            written += len(conn.execute(sql, values).fetchall())
        conn.execute("COMMIT")
    return written


def app_sweep() -> int:
    with db.unit_of_work() as session:
        written = sum(sweep(session).values())
    db.session.remove()
    return written


def _clear(path: Path) -> None:
    with raw.connect(path) as conn:
        conn.execute("DELETE FROM notifications")


def _seconds(work: Any) -> tuple[float, int]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def measure_sweep(bench: Bench, count: int, runs: int) -> SweepFigures:
    """Seed ``count`` open cases, time the sweep and the raw statements (alternating), then
    delete the cases again."""
    low, high = seed(bench, count)
    try:
        return _measure(bench, count, runs)
    finally:
        remove_cases(bench.path, low, high)


def _measure(bench: Bench, count: int, runs: int) -> SweepFigures:
    now = datetime.now(UTC)
    with clock.frozen(now):  # both sides see the same windows, run after run
        return _alternate(bench, count, runs, compiled_statements(now))


def _alternate(
    bench: Bench, count: int, runs: int, statements: list[tuple[str, list[Any]]]
) -> SweepFigures:
    sweep_s: list[float] = []
    raw_s: list[float] = []
    written = 0
    for _ in range(runs):
        _clear(bench.path)
        seconds, written = _seconds(app_sweep)
        sweep_s.append(seconds)
        _clear(bench.path)
        seconds, raw_written = _seconds(lambda: raw_sweep(bench.path, statements))
        raw_s.append(seconds)
        if raw_written != written:
            raise RuntimeError(f"the sweep wrote {written} rows, the raw statements {raw_written}")
    _clear(bench.path)
    app_sweep()
    rerun, again = _seconds(app_sweep)
    if again:
        raise RuntimeError(f"a second sweep wrote {again} rows again")
    return SweepFigures(count, written, sweep_s, raw_s, rerun)
