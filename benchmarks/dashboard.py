"""The overdue dashboard at 100,000 cases: the page's server time next to the raw scan.

Cases are inserted set-based by the benchmark's CaseFactory, then spread over states,
kabupaten/kota, deadlines (45 days late to 24 days ahead), assignees, two fiscal years and
40 pokir lines (a third of the cases outside any) with one UPDATE in plain SQL. This is
synthetic data for a measurement, written outside the app on purpose: no workflow ran, so
the engine is not the writer here.

Measured: ``GET /admin/`` for a province manager through the app (login session, the one
grouped scan of casework.services.overdue and its lookups of names, the template with every
link). Reference: the same grouped scan with ``sqlite3`` and the same boundaries, no ORM,
no template.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from benchmarks import raw
from benchmarks.dataset import PASSWORD
from benchmarks.scenarios import Bench, fresh_cases
from casework import clock
from casework.calendar import WorkCalendar
from casework.models import CaseState, Role
from casework.services.overdue import AgeingBounds
from casework.services.users import create_user
from web.db import db

GOAL_MS = 150.0
MEASURED = (
    "Cases spread over all states, 8 kabupaten/kota, deadlines from 45 days late to 24 days"
    " ahead, 6 assignees (every 5th case unassigned), two fiscal years and 40 pokir lines"
    " (every 3rd case outside any). The page is `GET /admin/` for a province manager (the"
    " one grouped scan of `casework/services/overdue.py` and the template with every link);"
    " the reference runs the same grouped scan with `sqlite3`."
)
BATCH = 10_000
REGENCIES = ("64.02", "64.72", "64.71", "64.01", "64.03", "64.08", "64.09", "64.74")
STATES = [s.value for s in CaseState]


@dataclass(frozen=True)
class DashboardFigures:
    cases: int
    page_ms: list[float]
    raw_ms: list[float]

    @property
    def page_median(self) -> float:
        return statistics.median(self.page_ms)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_ms)

    def markdown(self) -> str:
        """A section for docs/benchmarks.md."""
        head, *figures = self.lines()
        items = [f"- {line.strip()}" for line in figures]
        return "\n".join(["## Overdue dashboard", "", head, "", *items, "", MEASURED, ""])

    def lines(self) -> list[str]:
        verdict = "met" if self.page_median <= GOAL_MS else "NOT met"
        return [
            f"Overdue dashboard at {self.cases:,} cases (median of {len(self.page_ms)} runs):",
            f"  GET /admin/ as a province manager: {self.page_median:.1f} ms"
            f" (spread {min(self.page_ms):.1f}–{max(self.page_ms):.1f});"
            f" goal ≤ {GOAL_MS:.0f} ms: {verdict}",
            f"  raw sqlite3, the same grouped scan: {self.raw_median:.1f} ms"
            f" (spread {min(self.raw_ms):.1f}–{max(self.raw_ms):.1f});"
            f" ratio page/raw: {self.page_median / self.raw_median:.1f}",
        ]


def seed(bench: Bench, count: int) -> tuple[int, int]:
    """Insert ``count`` cases in batches and spread them; return the id range."""
    ids: list[int] = []
    while len(ids) < count:
        ids += fresh_cases(bench, min(BATCH, count - len(ids)))
    spread(bench.path, ids[0], ids[-1], staff_ids(bench.app), pokir_lines(bench.path))
    return ids[0], ids[-1]


def staff_ids(app: Flask) -> list[int]:
    """Six assignees (caseworkers and verifiers) and the manager who opens the page."""
    with app.app_context(), db.unit_of_work() as session:
        made = [
            create_user(
                session,
                username=f"bench-dash-{n}",
                full_name=f"Bench Petugas {n}",
                role=(Role.CASEWORKER if n % 2 else Role.VERIFIER).value,
                password=PASSWORD,
            )
            for n in range(6)
        ]
        session.flush()
        found = [user.id for user in made]
    db.session.remove()
    return found


POKIR_LINES = 40


def pokir_lines(path: Path) -> list[int]:
    """Five DPRD members with eight pokir lines each (entered, not yet validated)."""
    year = clock.today_wita().year
    with raw.connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        program = conn.execute("SELECT id FROM programs ORDER BY id LIMIT 1").fetchone()[0]
        ids: list[int] = []
        for m in range(5):
            member = conn.execute(
                "INSERT INTO dprd_members (name, fraksi, dapil, komisi, active)"
                " VALUES (?, 'Fraksi Bench', 'Kaltim 1', 'IV', 1)",
                (f"Anggota Bench {m}",),
            ).lastrowid
            for n in range(POKIR_LINES // 5):
                cursor = conn.execute(
                    "INSERT INTO pokir_lines (fiscal_year, member_id, sipd_ref, program_id,"
                    " regency_code, quota, ceiling, proposal, reses_date, state, version,"
                    " created_at) VALUES (?, ?, ?, ?, ?, 100, 500000000, '', ?, 'input', 1,"
                    " ?)",
                    (
                        year,
                        member,
                        f"SIPD-BENCH-{m}-{n}",
                        program,
                        REGENCIES[n % len(REGENCIES)],
                        f"{year}-02-01",
                        f"{year}-02-01 00:00:00.000000",
                    ),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
        conn.execute("COMMIT")
    return ids


def _case_of(column: str, values: list[str]) -> str:
    branches = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
    return f"CASE {column} % {len(values)} {branches} END"


def spread(path: Path, low: int, high: int, assignees: list[int], lines: list[int]) -> None:
    """Vary state, regency, deadline, assignee, year and pokir line over the cases (one UPDATE)."""
    base = datetime.combine(clock.today_wita(), day_time(15, 59, 59))  # 23:59:59 WITA in UTC
    who = " ".join(f"WHEN {n} THEN {uid}" for n, uid in enumerate(assignees))
    line = " ".join(f"WHEN {n} THEN {lid}" for n, lid in enumerate(lines))
    sql = f"""
        UPDATE cases SET
          state = {_case_of("(id / 7)", STATES)},
          regency_code = {_case_of("id", list(REGENCIES))},
          due_at = strftime('%Y-%m-%d %H:%M:%S', ?, ((id % 70) - 45) || ' days') || '.000000',
          assignee_id = CASE WHEN id % 5 = 0 THEN NULL
                             ELSE CASE id % {len(assignees)} {who} END END,
          fiscal_year = fiscal_year - (id % 3 = 0),
          pokir_line_id = CASE WHEN id % 3 = 1 THEN NULL
                               ELSE CASE (id / 3) % {len(lines)} {line} END END
        WHERE id BETWEEN ? AND ?
    """
    with raw.connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (base.strftime("%Y-%m-%d %H:%M:%S"), low, high))
        conn.execute("COMMIT")
        conn.execute("ANALYZE")


def raw_group_bys(path: Path, bounds: AgeingBounds) -> int:
    """The dashboard's grouped scan in plain SQL; returns the number of groups read back."""
    now, soon = raw.sql_datetime(bounds.now), raw.sql_datetime(bounds.soon_until)
    six, twenty_one = raw.sql_datetime(bounds.six_days), raw.sql_datetime(bounds.twenty_one_days)
    before = ", ".join("sum(CASE WHEN due_at < ? THEN 1 ELSE 0 END)" for _ in range(4))
    sql = (
        "SELECT regency_code, state, program_id, fiscal_year, assignee_id, pokir_line_id,"
        f" count(*), {before} FROM cases"
        " GROUP BY regency_code, state, program_id, fiscal_year, assignee_id, pokir_line_id"
    )
    with raw.connect(path) as conn:
        return len(conn.execute(sql, (twenty_one, six, now, soon)).fetchall())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def measure_dashboard(bench: Bench, count: int, runs: int) -> DashboardFigures:
    """Seed ``count`` cases, then time the page and the raw queries, alternating."""
    seed(bench, count)
    manager = _manager(bench.app)
    client = bench.app.test_client()
    _login(client, manager)
    bounds = AgeingBounds.at(datetime.now(UTC), WorkCalendar())
    _page(client)  # warm up: templates, caches, SQLite pages
    raw_group_bys(bench.path, bounds)
    page_ms: list[float] = []
    raw_ms: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        _page(client)
        page_ms.append(_ms(started))
        started = time.perf_counter()
        raw_group_bys(bench.path, bounds)
        raw_ms.append(_ms(started))
    return DashboardFigures(count, page_ms, raw_ms)


def _login(client: FlaskClient, username: str) -> None:
    """Log in through the real form, as a browser does (CSRF token from the page)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    if client.post("/login", data=form).status_code != 302:
        raise RuntimeError("the benchmark manager could not log in")


def _page(client: FlaskClient) -> None:
    response = client.get("/admin/")
    body = response.get_data(as_text=True)
    if response.status_code != 200 or "regency-state-table" not in body:
        raise RuntimeError(f"dashboard answered {response.status_code}")


def _manager(app: Flask) -> str:
    with app.app_context(), db.unit_of_work() as session:
        user = create_user(
            session,
            username="bench-dash-manager",
            full_name="Bench Kabid",
            role=Role.MANAGER.value,
            password=PASSWORD,
        )
        found = user.username
    db.session.remove()
    return found
