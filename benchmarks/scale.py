"""The admin case list at scale: server time per page next to the raw SQL of the same page.

Measured in-process with the Flask test client, logged in as a province manager (the
whole province, every filter offered): the first page, a deep page, filtered by state +
kabupaten/kota + overdue, and searched by case number, by NIK and by name prefix. The
reference is the same SQL statements the page ran (captured with their parameters on the
first request), executed again through the driver with no ORM and no template.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from casework.models import Case, Person, Role, User
from casework.services.users import create_user
from web.db import db

GOAL_MS = 100.0
MANAGER = "bench-scale-manager"
PASSWORD = "bench-password-not-secret"
DEEP_OFFSET = 100_000  # rows skipped by the deep page (capped at half the cases)
PAGE_SIZE = 20


@dataclass
class PageFigures:
    name: str
    url: str
    page_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    statements: int = 0

    @property
    def page_median(self) -> float:
        return statistics.median(self.page_ms)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_ms)

    def row(self) -> list[str]:
        verdict = "met" if self.page_median <= GOAL_MS else "NOT met"
        return [
            self.name,
            f"{self.page_median:.1f}",
            f"{min(self.page_ms):.1f}–{max(self.page_ms):.1f}",
            f"{self.raw_median:.1f}",
            f"{self.statements}",
            f"≤ {GOAL_MS:.0f} ms: {verdict}",
        ]


HEADER = ["page", "median ms", "spread", "raw SQL ms", "statements", "goal"]


@contextmanager
def captured() -> Iterator[list[tuple[str, Any]]]:
    """(statement, parameters) of every SQL statement run in the block."""
    found: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        found.append((statement, parameters))

    assert db.engine is not None
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def manager_client(app: Flask) -> FlaskClient:
    """A test client logged in as the benchmark's province manager (created once)."""
    with app.app_context(), db.unit_of_work() as session:
        if session.scalar(select(User.id).where(User.username == MANAGER)) is None:
            create_user(
                session,
                username=MANAGER,
                full_name="Bench Manager",
                role=Role.MANAGER.value,
                password=PASSWORD,
            )
    db.session.remove()
    client = app.test_client()
    with app.app_context():
        login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": MANAGER, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code not in (200, 302):
        raise RuntimeError(f"bench manager could not log in: {response.status_code}")
    return client


@dataclass(frozen=True)
class Probe:
    """Values to search for, read from the data: a case number, a NIK, a name prefix."""

    number: str
    nik: str
    name_prefix: str
    cases: int


def probe(app: Flask) -> Probe:
    with app.app_context():
        session = db.current()
        total = int(session.scalar(select(func.count()).select_from(Case)) or 0)
        middle = session.scalar(select(Case).where(Case.person_id.is_not(None)).offset(total // 2))
        if middle is None or middle.person is None:
            raise RuntimeError("no person case to search for: seed the database first")
        person: Person = middle.person
        first, _, family = person.full_name.partition(" ")
        found = Probe(middle.number, person.nik, f"{first} {family[:3]}".strip(), total)
        session.rollback()
    db.session.remove()
    return found


def pages(found: Probe) -> list[PageFigures]:
    deep = max(1, min(DEEP_OFFSET, found.cases // 2) // PAGE_SIZE)
    overdue = "&flt0_1=admin_verification&flt1_2=64.02&flt2_3=1"
    return [
        PageFigures("first page", "/admin/case/"),
        PageFigures(f"deep page (page {deep:,})", f"/admin/case/?page={deep}"),
        PageFigures("state + kabupaten + overdue", f"/admin/case/?{overdue[1:]}"),
        PageFigures("search: case number", f"/admin/case/?search={found.number}"),
        PageFigures("search: NIK", f"/admin/case/?search={found.nik}"),
        PageFigures(
            f"search: name prefix '{found.name_prefix}'",
            f"/admin/case/?search={quote(found.name_prefix)}",
        ),
    ]


def _time_page(client: FlaskClient, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def _time_raw(app: Flask, statements: list[tuple[str, Any]]) -> float:
    """The page's SELECTs again, straight through the driver (one connection, no ORM)."""
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert db.engine is not None
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters in selects:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        cursor.close()
        conn.rollback()
    return elapsed


def measure_admin(app: Flask, runs: int) -> tuple[Probe, list[PageFigures]]:
    """Every page ``runs`` times after one warm-up request (captured for the reference)."""
    found = probe(app)
    client = manager_client(app)
    figures = pages(found)
    for figure in figures:
        with captured() as statements:
            _time_page(client, figure.url)
        figure.statements = len(statements)
        for _ in range(runs):
            figure.page_ms.append(_time_page(client, figure.url))
            figure.raw_ms.append(_time_raw(app, statements))
    return found, figures


def table(figures: list[PageFigures], markdown: bool = False) -> str:
    rows = [HEADER] + [f.row() for f in figures]
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


# --- the --scale run: sizes in turn on SQLite (and PostgreSQL), seeding resumed ------------

SECTION = "## At scale"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
MEASURED = (
    "Cases written by `flask --app wsgi bench seed` (benchmarks/seed.py): all programs,"
    " all states with a realistic distribution, every village of the ten kabupaten/kota,"
    " KUBE groups of five, the last three events per case, document metadata, pokir"
    " lines. Pages are `GET /admin/case/…` through the Flask test client as a province"
    " manager, 20 rows per page; the raw reference runs the same SELECTs the page ran"
    " (captured with their parameters) through the driver."
)


@dataclass
class SizeFigures:
    backend: str
    cases: int
    seed_seconds: float
    seeded: int
    admin: list[PageFigures]

    @property
    def seed_rate(self) -> float:
        return self.seeded / self.seed_seconds if self.seed_seconds > 0 else 0.0


def scale_app(database: str, directory: str) -> Flask:
    import logging

    from flask_migrate import upgrade

    from casework.services.reference import ensure_reference_data
    from casework.services.regions import load_regions
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": database,
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_DIR": f"{directory}/uploads",
        }
    )
    root = __file__.rsplit("/benchmarks/", 1)[0]
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade(directory=f"{root}/migrations", revision="heads")
        finally:
            logging.disable(logging.NOTSET)
        with db.unit_of_work() as session:
            load_regions(session, f"{root}/data/regions")
            ensure_reference_data(session)
        db.session.remove()
    return app


def seed_to(app: Flask, cases: int) -> tuple[int, float]:
    """Seed up to ``cases`` generator cases; (cases written now, seconds)."""
    from benchmarks.seed import finish, seed_batches

    started, written = time.perf_counter(), 0
    with app.app_context():
        for batch in seed_batches(db.unit_of_work, cases):
            written += batch
            print(f"    seeded {written:,} more", end="\r", flush=True)
        with db.unit_of_work() as session:
            finish(session)
        db.session.remove()
    return written, time.perf_counter() - started


def run_backend(
    backend: str, database: str, sizes: Sequence[int], runs: int, directory: str
) -> list[SizeFigures]:
    app = scale_app(database, directory)
    found: list[SizeFigures] = []
    for size in sizes:
        print(f"  {backend}: seeding to {size:,} cases", flush=True)
        written, seconds = seed_to(app, size)
        _probe, admin = measure_admin(app, runs)
        print(table(admin), flush=True)
        found.append(SizeFigures(backend, size, seconds, written, admin))
    assert db.engine is not None
    db.engine.dispose()
    return found


def growth_table(results: list[SizeFigures]) -> str:
    """Median page time per size, one column per size, one row per page and backend."""
    sizes = sorted({r.cases for r in results})
    header = ["backend", "page", *[f"{s:,} cases" for s in sizes]]
    lines = ["| " + " | ".join(header) + " |", "| --- | --- |" + " ---: |" * len(sizes)]
    for backend in dict.fromkeys(r.backend for r in results):
        by_size = {r.cases: r for r in results if r.backend == backend}
        names = [p.name for p in next(iter(by_size.values())).admin]
        for n, name in enumerate(names):
            cells = []
            for size in sizes:
                r = by_size.get(size)
                cells.append(f"{r.admin[n].page_median:.1f} ms" if r else "–")
            lines.append(f"| {backend} | {name.split(' (')[0]} | " + " | ".join(cells) + " |")
        seeds = [
            f"{by_size[s].seed_rate:,.0f}/s" if s in by_size and by_size[s].seeded else "–"
            for s in sizes
        ]
        lines.append(f"| {backend} | seeding (cases/s) | " + " | ".join(seeds) + " |")
    return "\n".join(lines)


def scale_markdown(results: list[SizeFigures], load: Any, runs: int, command: str) -> str:
    parts = [SECTION, "", f"Written by `{command}`; median and spread of {runs} runs.", ""]
    for r in results:
        parts += [f"### {r.backend}, {r.cases:,} cases", "", table(r.admin, markdown=True), ""]
    parts += ["### Growth", "", growth_table(results), "", MEASURED, ""]
    if load is not None:
        parts += ["### API under gunicorn (PostgreSQL)", "", load.markdown()]
    return "\n".join(parts)


def replace_section(text: str, section: str) -> str:
    """``text`` with its "## At scale" section replaced by ``section`` (or appended)."""
    start = text.find(SECTION + "\n")
    if start < 0:
        return text.rstrip("\n") + "\n" + section
    end = text.find("\n## ", start + len(SECTION))
    rest = text[end + 1 :] if end >= 0 else ""
    return text[:start] + section + rest
