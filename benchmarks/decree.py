"""Issuing a decree (SK) of 1,500 cases, next to raw sqlite3 doing the same writes.

Setup, untimed: fresh submitted cases from the CaseFactory are put in ``approved`` with one
UPDATE in plain SQL (synthetic data: no review ran), and a draft decree lists them through
``casework.services.decrees.add_cases``. Measured: ``issue_decree`` in one unit of work (the
number, ``advance_many`` of every case to ``decreed`` with its event, the entries marked
issued, the decree stamped) and its commit. Reference: the same writes with ``sqlite3`` in
one transaction. Every run is checked afterwards.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from benchmarks import raw
from benchmarks.dataset import PASSWORD, load_user
from benchmarks.scenarios import Bench, fresh_cases
from casework import clock
from casework.models import Case, CaseEvent, CaseState, Role
from casework.models.decree import Decree
from casework.services.decrees import DecreeInput, add_cases, create_decree, issue_decree
from casework.services.users import create_user
from web.db import db
from workflows.engine import due_at_for

GOAL_SECONDS = 1.0
TRIGGER = "decree"
SOURCE = CaseState.APPROVED.value
DEST = CaseState.DECREED.value
MEASURED = (
    "Fresh cases are put in `approved` with plain SQL and listed in a draft decree (untimed);"
    " the measured step is `issue_decree` and its commit: the decree number, `advance_many` of"
    " every case to `decreed` with its event, the entries marked issued, the decree stamped."
    " The reference does the same writes with `sqlite3` in one transaction."
)


@dataclass(frozen=True)
class DecreeFigures:
    cases: int
    engine_s: list[float]
    raw_s: list[float]

    @property
    def engine_median(self) -> float:
        return statistics.median(self.engine_s)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_s)

    def lines(self) -> list[str]:
        verdict = "met" if self.engine_median <= GOAL_SECONDS else "NOT met"
        return [
            f"Issuing a decree of {self.cases:,} cases (median of {len(self.engine_s)} runs):",
            f"  issue_decree + commit: {self.engine_median:.3f} s"
            f" (spread {min(self.engine_s):.3f}–{max(self.engine_s):.3f});"
            f" goal ≤ {GOAL_SECONDS:.0f} s: {verdict}",
            f"  raw sqlite3, the same writes: {self.raw_median:.3f} s"
            f" (spread {min(self.raw_s):.3f}–{max(self.raw_s):.3f});"
            f" ratio engine/raw: {self.engine_median / self.raw_median:.1f}",
        ]

    def markdown(self) -> str:
        """A section for docs/benchmarks.md."""
        head, *figures = self.lines()
        items = [f"- {line.strip()}" for line in figures]
        return "\n".join(["## Decree issue", "", head, "", *items, "", MEASURED, ""])


def _manager_id() -> int:
    with db.unit_of_work() as session:
        manager = create_user(
            session,
            username=f"bench-manager-{time.monotonic_ns()}",
            full_name="Bench Manager",
            role=Role.MANAGER.value,
            password=PASSWORD,
        )
        manager_id = manager.id
    db.session.remove()
    return manager_id


def _draft(bench: Bench, count: int, manager_id: int) -> tuple[int, list[int]]:
    """A draft decree listing ``count`` fresh approved cases (untimed setup)."""
    ids = fresh_cases(bench, count)
    with db.unit_of_work() as session:
        session.execute(
            update(Case)
            .where(Case.id.between(ids[0], ids[-1]))
            .values(state=SOURCE, version=Case.version + 1)
            .execution_options(synchronize_session=False)
        )
        manager = load_user(session, manager_id)
        decree = create_decree(
            session,
            DecreeInput(
                program_id=bench.factory.program_id,
                fiscal_year=bench.factory.fiscal_year,
                title="Penetapan Penerima Bantuan WRSE (benchmark)",
                decree_date=clock.today_wita(),
                signatory_name="Kepala Dinas",
                signatory_position="Kepala Dinas Sosial Provinsi Kalimantan Timur",
                signatory_nip="197001011990031001",
                considerations=["bahwa untuk pemberdayaan ekonomi"],
                legal_basis=["Undang-Undang Nomor 11 Tahun 2009"],
            ),
            actor=manager,
        )
        add_cases(session, decree, ids, actor=manager)
        decree_id = decree.id
    db.session.remove()
    return decree_id, ids


def _check(decree_id: int, ids: list[int]) -> None:
    """Fail loudly unless the decree is issued and every case moved once with its event."""
    session = db.current()
    in_range = Case.id.between(ids[0], ids[-1])
    moved = session.scalar(select(func.count()).where(in_range, Case.state == DEST))
    events = session.scalar(
        select(func.count()).where(
            CaseEvent.case_id.between(ids[0], ids[-1]), CaseEvent.trigger == TRIGGER
        )
    )
    decree = session.get(Decree, decree_id)
    issued = decree is not None and decree.status == "issued" and decree.number is not None
    session.commit()
    db.session.remove()
    if moved != len(ids) or events != len(ids) or not issued:
        raise RuntimeError(f"expected {len(ids)} decreed cases, got {moved} and {events} events")


def engine_issue(bench: Bench, count: int, manager_id: int) -> float:
    decree_id, ids = _draft(bench, count, manager_id)
    started = time.perf_counter()
    with db.unit_of_work() as session:
        decree = session.get(Decree, decree_id)
        assert decree is not None
        issue_decree(session, decree, actor=load_user(session, manager_id))
    elapsed = time.perf_counter() - started
    db.session.remove()
    _check(decree_id, ids)
    return elapsed


def _due_at(bench: Bench) -> str | None:
    state = bench.factory.definition.state(DEST)
    due = due_at_for(state, Case(fiscal_year=bench.factory.fiscal_year), clock.now())
    return raw.sql_datetime(due) if due is not None else None


def raw_issue(bench: Bench, count: int, manager_id: int) -> float:
    """The same writes as ``issue_decree`` with sqlite3, in one transaction."""
    decree_id, ids = _draft(bench, count, manager_id)
    due = _due_at(bench)
    year = clock.today_wita().year
    with raw.connect(bench.path) as conn:
        started = time.perf_counter()
        now = raw.sql_datetime(datetime.now(UTC))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO decree_number_sequences (kind, year, last_value) VALUES (?, ?, 0) "
            "ON CONFLICT (kind, year) DO NOTHING",
            ("raw", year),
        )
        conn.execute(
            "UPDATE decree_number_sequences SET last_value = last_value + 1 "
            "WHERE kind = ? AND year = ?",
            ("raw", year),
        )
        (seq,) = conn.execute(
            "SELECT last_value FROM decree_number_sequences WHERE kind = ? AND year = ?",
            ("raw", year),
        ).fetchone()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            conn.execute(
                "UPDATE cases SET state = ?, version = version + 1, state_entered_at = ?, "
                f"due_at = ? WHERE id IN ({marks}) AND state = ?",
                (DEST, now, due, *chunk, SOURCE),
            )
            conn.execute(
                "INSERT INTO case_events (case_id, trigger, from_state, to_state, actor_id, "
                f"reason, at, case_version) SELECT id, ?, ?, ?, ?, NULL, ?, version "
                f"FROM cases WHERE id IN ({marks})",
                (TRIGGER, SOURCE, DEST, manager_id, now, *chunk),
            )
        conn.execute(
            "UPDATE decree_entries SET issued_case_id = case_id WHERE decree_id = ?", (decree_id,)
        )
        conn.execute(
            "UPDATE decrees SET number = ?, status = 'issued', issued_at = ?, issued_by_id = ? "
            "WHERE id = ?",
            (f"{seq:03d}/RAW/{year}/{decree_id}", now, manager_id, decree_id),
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
    _check(decree_id, ids)
    return elapsed


def measure_decree(bench: Bench, count: int, runs: int) -> DecreeFigures:
    """Issue ``runs`` decrees of ``count`` cases each way, alternating which goes first."""
    manager_id = _manager_id()
    engine_issue(bench, 50, manager_id)  # warm-up: imports, caches, SQLite pages
    raw_issue(bench, 50, manager_id)
    engine: list[float] = []
    reference: list[float] = []
    for n in range(runs):
        sides = [(engine, engine_issue), (reference, raw_issue)]
        for series, side in sides if n % 2 == 0 else reversed(sides):
            series.append(side(bench, count, manager_id))
        print(
            f"  decree run {n + 1}/{runs}: engine {engine[-1]:.3f} s, raw {reference[-1]:.3f} s",
            flush=True,
        )
    return DecreeFigures(count, engine, reference)
