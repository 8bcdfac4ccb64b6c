"""The API under gunicorn on PostgreSQL, loaded by wrk from a second process on loopback.

``python -m benchmarks.load --database postgresql+psycopg://... [--workers 3]
[--worker-class sync|gthread] [--threads 1] [--connections 32] [--seconds 20] [--runs 3]``:
starts gunicorn (gunicorn.conf.py) on a seeded database (``flask --app wsgi bench seed``),
waits for /healthz, warms every worker up, then runs wrk (Debian's ``wrk``, written in C:
it needs a fraction of a core where locust needed a whole one) once per kind of request
and per run, each bounded by time (``--seconds``) and by requests (``--max-requests``):

* ``GET /healthz``: the server's ceiling in this run (no token, ``SELECT 1`` and the schema
  revision): the reference every other rate is compared with, since the machine is shared;
* case read: ``GET /api/v1/cases/<id>`` of a random id of a sample of the whole table;
* case list: ``GET /api/v1/cases?page=<1..50>&per_page=20``;
* transition: ``POST /api/v1/cases/<id>/transitions`` (``start_verification``) on a
  ``submitted`` case; each wrk thread takes its own share of the ids, so no case is moved
  twice in a run (which stops early when they run out), and after each run the cases it
  moved are put back in ``submitted`` (``put_back_moves``), so every run finds the same.

The Lua scripts are in benchmarks/wrk/. Latency percentiles are wrk's (every request of the
run, including the time a request waits for a free worker). A response that is not 2xx, a
socket error or a timeout counts as an error. The raw-SQL reference is the case read as one
SELECT by primary key through psycopg from one connection. The memory of every gunicorn
worker (RSS, and USS: the pages only that worker holds) is read from /proc after the runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import psutil
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # the app's modules are imported once the environment is set
    from sqlalchemy.orm import Session

    from casework.models import Role, User

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WRK_DIR = ROOT / "benchmarks" / "wrk"
MODES = ("healthz", "read", "list", "transition")
GOALS = {"read": 500.0, "list": 500.0, "transition": 200.0}
P99_GOAL_MS = 100.0
VERIFIER = "bench-load-verifier"
TRANSITION_RATE_BOUND = 600  # transitions/s the runs are given submitted cases for
READ_SAMPLE = 10_000
WARM_UP_SECONDS = 3


@dataclass(frozen=True)
class CpuSplit:
    """Where the machine's CPU went during one run, in ms per request: the gunicorn
    workers, the PostgreSQL processes of the database, wrk, and everything else running
    on the machine meanwhile (other work: the machine is shared); ``cores`` is the whole
    machine's busy time over the run's length."""

    app_ms: float
    db_ms: float
    client_ms: float
    other_ms: float
    cores: float

    def text(self) -> str:
        return (
            f"app {self.app_ms:.2f}, PostgreSQL {self.db_ms:.2f}, wrk {self.client_ms:.2f},"
            f" others {self.other_ms:.2f} ms CPU/request"
        )


_CLIENT_BACKEND = re.compile(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]")


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def _database_processes(database: str) -> list[psutil.Process]:
    """The backends connected to ``database`` and the server's own auxiliary processes
    (WAL writer, checkpointer, ...); other databases' backends are left out."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] != "postgres":
            continue
        title = " ".join(process.info["cmdline"] or [])
        if not _CLIENT_BACKEND.search(title) or f" {database} " in title:
            found.append(process)
    return found


class CpuMeter:
    """CPU seconds of the server, the database and wrk, and of the whole machine."""

    def __init__(self, server: subprocess.Popen[bytes], database: str) -> None:
        self.server = psutil.Process(server.pid)
        self.database = database

    def sample(self) -> tuple[float, float, float, float, float]:
        app = _cpu_seconds(self.server) + sum(map(_cpu_seconds, self.server.children()))
        db = sum(map(_cpu_seconds, _database_processes(self.database)))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it is reaped
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        return app, db, children.ru_utime + children.ru_stime, busy, time.monotonic()

    @staticmethod
    def split(
        before: tuple[float, ...], after: tuple[float, ...], requests: int
    ) -> CpuSplit | None:
        if requests <= 0:
            return None
        app, db, client, busy, elapsed = (b - a for a, b in zip(before, after, strict=True))
        other = max(0.0, busy - app - db - client)
        per = 1000.0 / requests
        return CpuSplit(app * per, db * per, client * per, other * per, busy / elapsed)


@dataclass(frozen=True)
class WrkRun:
    """One wrk run of one kind of request."""

    mode: str
    requests: int
    seconds: float
    socket_errors: int
    non2xx: int
    detail: str
    p50_ms: float
    p99_ms: float
    ran_out: bool = False
    cpu: CpuSplit | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non2xx


def parse_wrk(mode: str, output: str) -> WrkRun:
    """The ``WRK_RESULT key=value ...`` line printed by benchmarks/wrk/common.lua's done()."""
    line = next((x for x in output.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {mode}:\n{output[-2000:]}")
    values = dict(item.split("=", 1) for item in line.split()[1:])
    socket = sum(int(values[k]) for k in ("connect", "read", "write", "timeout"))
    return WrkRun(
        mode=mode,
        requests=int(values["requests"]),
        seconds=float(values["seconds"]),
        socket_errors=socket,
        non2xx=int(values["non2xx"]),
        detail=" ".join(
            f"{k} {values[k]}"
            for k in ("connect", "read", "write", "timeout", "non2xx")
            if values[k] != "0"
        ),
        p50_ms=float(values["p50_ms"]),
        p99_ms=float(values["p99_ms"]),
        ran_out=int(values["ranout"]) > 0,
    )


@dataclass
class ModeFigures:
    """The runs of one kind of request, with the /healthz runs they are compared with."""

    mode: str
    runs: list[WrkRun] = field(default_factory=list)
    ceilings: list[float] = field(default_factory=list)  # /healthz req/s of the same runs
    pace_ms: float = 0.0  # each connection's wait between requests (0: as fast as served)

    @property
    def name(self) -> str:
        if not self.pace_ms:
            return self.mode
        return (
            f"{self.mode} paced to ≥ {GOALS[self.mode]:.0f}/s (each connection waits"
            f" {self.pace_ms:.0f} ms between requests)"
        )

    @property
    def rates(self) -> list[float]:
        return [r.rate for r in self.runs]

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def of_ceiling(self) -> float:
        """Median over the runs of this rate / the /healthz rate of the same run."""
        return statistics.median(r / c for r, c in zip(self.rates, self.ceilings, strict=True))

    @property
    def cpu(self) -> CpuSplit | None:
        """The median of each part of the runs' CPU splits."""
        splits = [r.cpu for r in self.runs if r.cpu is not None]
        if not splits:
            return None
        return CpuSplit(
            *(
                statistics.median(getattr(c, name) for c in splits)
                for name in ("app_ms", "db_ms", "client_ms", "other_ms", "cores")
            )
        )

    def goal_met(self) -> bool | None:
        goal = GOALS.get(self.mode)
        if goal is None:
            return None
        complete = not any(r.ran_out for r in self.runs)  # a run cut short proves nothing
        return complete and self.rate >= goal and self.p99_ms <= P99_GOAL_MS and self.errors == 0

    def line(self) -> str:
        spread = f"{min(self.rates):,.0f}–{max(self.rates):,.0f}"
        p99s = f"{min(r.p99_ms for r in self.runs):.0f}–{max(r.p99_ms for r in self.runs):.0f}"
        text = (
            f"{self.name}: {self.rate:,.0f} req/s (runs {spread}),"
            f" p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms (runs {p99s}),"
            f" {self.errors} errors of {self.requests:,}"
        )
        if self.mode != "healthz" and not self.pace_ms:
            text += f", {self.of_ceiling:.0%} of /healthz"
        cpu = self.cpu
        if cpu is not None:
            text += f"; {cpu.text()}, machine busy {cpu.cores:.1f} cores"
        if any(r.ran_out for r in self.runs):
            text += " (ran out of submitted cases)"
        met = self.goal_met()
        if met is not None:
            goal = GOALS[self.mode]
            text += f"; goal ≥ {goal:.0f}/s, p99 ≤ {P99_GOAL_MS:.0f} ms, 0 errors: " + (
                "met" if met else "NOT met"
            )
        return text


@dataclass(frozen=True)
class Settings:
    workers: int
    worker_class: str
    threads: int
    connections: int
    wrk_threads: int
    seconds: int
    runs: int


@dataclass
class LoadResult:
    settings: Settings
    cases: int
    figures: list[ModeFigures]
    raw_reads_per_s: list[float]
    worker_rss_mb: list[float]
    worker_uss_mb: list[float]

    def head(self) -> str:
        s = self.settings
        kind = s.worker_class + (f" x {s.threads} threads" if s.worker_class == "gthread" else "")
        return (
            f"API under gunicorn ({s.workers} {kind} workers) on PostgreSQL at {self.cases:,}"
            f" cases; wrk {s.connections} connections ({s.wrk_threads} threads), {s.seconds} s"
            f" per kind and run, median of {s.runs} runs:"
        )

    def lines(self) -> list[str]:
        rss = ", ".join(f"{m:.0f}" for m in self.worker_rss_mb)
        uss = ", ".join(f"{m:.0f}" for m in self.worker_uss_mb)
        raw = statistics.median(self.raw_reads_per_s) if self.raw_reads_per_s else 0.0
        return [
            self.head(),
            *[f"  {f.line()}" for f in self.figures],
            f"  raw psycopg SELECT by id, one connection: {raw:,.0f}/s",
            f"  memory per worker after the runs: RSS {rss} MB; USS {uss} MB",
        ]

    def markdown(self) -> str:
        head, *rest = self.lines()
        return "\n".join([head, "", *[f"- {line.strip()}" for line in rest], "", NOTE, ""])


NOTE = (
    "wrk (C, `benchmarks/wrk/*.lua`) runs on the same machine, from its own process, over"
    " loopback. The machine is shared with other work, so every rate is also given as a"
    " share of `/healthz` measured in the same run, and the CPU of each run is split per"
    " request (from /proc): the gunicorn workers (app), the database's PostgreSQL processes,"
    " wrk, and everything else on the machine meanwhile (others). The app and PostgreSQL"
    " figures are what a request costs; when others is large, the rates say more about the"
    ' machine than about the application (docs/scaling.md, "The API under load").'
)
SUBSECTION = "### API under gunicorn (PostgreSQL)"


def write_into_docs(result: LoadResult, path: Path | None = None) -> Path:
    """Replace the API subsection of docs/benchmarks.md's "At scale" section (or add it)."""
    from benchmarks.report import DOCS

    path = path or DOCS
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{SUBSECTION}\n\n{result.markdown()}"
    start = text.find(SUBSECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        ends = [i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[:start] + block + text[end:]
    path.write_text(text, encoding="utf-8")
    return path


def _app_env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BERDAYA_DATABASE_URL=database,
        BERDAYA_SECRET_KEY=env.get("BERDAYA_SECRET_KEY", "bench-load"),
        BERDAYA_RATELIMIT="0",
        BERDAYA_SCHEDULER="0",
        BERDAYA_LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
    )
    return env


def _psycopg_url(database: str) -> str:
    return make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)


def bench_user(session: Session, username: str, full_name: str, role: Role) -> User:
    """The benchmark's user ``username`` (created the first time)."""
    from sqlalchemy import select

    from casework.models import User
    from casework.services.users import create_user

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(
            session,
            username=username,
            full_name=full_name,
            role=role.value,
            password="bench-password-not-secret",
        )
    return user


def prepare(database: str, directory: Path, submitted: int = 0) -> tuple[str, Path, int]:
    """A verifier token, a file with a random sample of case ids, the number of cases;
    at least ``submitted`` cases in state ``submitted`` when the data has them
    (``top_up_submitted``).

    Refuses a database whose personal data the configured keys cannot read (seeded with
    other keys than instance/keys or BERDAYA_DATA_KEYS): every read would answer 500.
    """
    os.environ.update({k: v for k, v in _app_env(database).items() if k.startswith("BERDAYA")})
    from sqlalchemy import func, select, text

    from casework.models import Case, Role
    from casework.privacy import DecryptionError
    from casework.services.users import issue_token
    from web import create_app
    from web.db import db

    app = create_app({"DATABASE_URL": database, "SCHEDULER_ENABLED": False})
    with app.app_context():
        upgrade_schema()
    with app.app_context(), db.unit_of_work() as session:
        cases = int(session.scalar(select(func.count()).select_from(Case)) or 0)
        if cases == 0:
            raise RuntimeError("no cases: seed with `flask --app wsgi bench seed --cases N`")
        sample = session.scalar(select(Case).where(Case.person_id.is_not(None)).limit(1))
        try:
            _ = sample.person.nik if sample is not None and sample.person else None
        except DecryptionError as error:
            raise RuntimeError(
                f"the database's personal data was written with other keys ({error}):"
                " seed it again with this instance's keys"
            ) from error
        user = bench_user(session, VERIFIER, "Bench Load Verifier", Role.VERIFIER)
        token = issue_token(session, user, label="bench load", days=1)
        percent = min(100.0, 100.0 * 3 * READ_SAMPLE / cases)
        ids = list(
            session.scalars(text(f"SELECT id FROM cases TABLESAMPLE SYSTEM ({percent:.4f})"))
        )
    if submitted:
        with app.app_context():
            returned = put_back_moves(db.unit_of_work)
            if returned:
                print(f"    {returned:,} cases moved by earlier runs put back", flush=True)
            top_up_submitted(submitted)
    assert db.engine is not None
    db.engine.dispose()
    reads = directory / "read.txt"
    chosen = random.Random(7).sample(ids, min(READ_SAMPLE, len(ids)))
    reads.write_text("\n".join(map(str, chosen)) + "\n")
    return token, reads, cases


MANAGER = "bench-load-manager"
TOP_UP_BATCH = 5_000


def top_up_submitted(wanted: int) -> None:
    """Move ``draft`` and ``returned`` cases to ``submitted`` through the engine (submit,
    resubmit, as a province manager; cases whose rules refuse stay) until ``wanted`` cases
    are submitted. Every transition run moves its cases on for good, so a seeded database
    would run out after a few runs; the cases it takes were waiting to be submitted anyway,
    and the number of cases stays the same."""
    from sqlalchemy import func, select

    from casework.models import Case, CaseState, Role
    from web.db import db
    from workflows.bulk import advance_many

    for source, trigger in ((CaseState.RETURNED, "resubmit"), (CaseState.DRAFT, "submit")):
        after = 0  # the cases refused stay behind: go on after the last one tried
        while True:
            with db.unit_of_work() as session:
                count = select(func.count()).where(Case.state == CaseState.SUBMITTED.value)
                missing = wanted - int(session.scalar(count) or 0)
                if missing <= 0:
                    return
                ids = list(
                    session.scalars(
                        select(Case.id)
                        .where(Case.state == source.value, Case.id > after)
                        .order_by(Case.id)
                        .limit(min(missing, TOP_UP_BATCH))
                    )
                )
                if not ids:
                    break
                after = ids[-1]
                manager = bench_user(session, MANAGER, "Bench Load Manager", Role.MANAGER)
                moved = advance_many(session, ids, trigger, actor=manager).moved
            print(f"    {trigger}: {len(moved):,} of {len(ids):,} cases submitted", flush=True)


PUT_BACK_BATCH = 5_000
MOVE = "start_verification"  # what benchmarks/wrk/transition.lua fires


def put_back_moves(unit_of_work: Callable[[], AbstractContextManager[Session]]) -> int:
    """Put every case a transition run moved back in ``submitted`` as it was; return how many.

    A run moves each case it is given once (``submitted`` to ``admin_verification``, by the
    benchmark's verifier, through the API and the engine), and those cases were gone for
    the next run: the seeded drafts that ``top_up_submitted`` submits ran out after a few
    runs. Only a move that is still the case's last change is put back: the case's state and
    version are the event's, and nothing else wrote to the case since. Its event is deleted,
    its version goes back by one, it re-enters ``submitted`` when its previous event (or its
    creation) says it did, with the deadline the engine gives a case entering ``submitted``
    then. The benchmark's own writes only, in plain SQL: a tear-down, not a transition. The
    case history is append-only; its events are deleted through the database owner's
    maintenance door (``case_history_unlocked``), which records each opening in the audit
    log: on the benchmark's database, never on one that serves people.
    """
    from sqlalchemy import Table, bindparam, delete, func, select, update
    from sqlalchemy.orm import aliased

    from casework.calendar import calendar_for
    from casework.models import Case, CaseEvent, CaseState, User
    from casework.services.audit import case_history_unlocked
    from workflows.engine import definition_for, due_at_for

    cases = cast(Table, Case.__table__)
    moved = aliased(CaseEvent)
    entered = (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == moved.case_id, CaseEvent.id < moved.id)
        .scalar_subquery()
    )
    restore = (
        update(cases)
        .where(cases.c.id == bindparam("case_id"), cases.c.version == bindparam("moved_version"))
        .values(
            state=CaseState.SUBMITTED.value,
            version=bindparam("moved_version") - 1,
            state_entered_at=bindparam("entered"),
            due_at=bindparam("due"),
        )
    )
    with unit_of_work() as session:
        verifier = session.scalar(select(User.id).where(User.username == VERIFIER))
    if verifier is None:
        return 0  # no run has moved anything here
    total = 0
    while True:
        with unit_of_work() as session:
            rows = session.execute(
                select(moved.id, Case, entered)
                .join(Case, Case.id == moved.case_id)
                .where(
                    moved.trigger == MOVE,
                    moved.actor_id == verifier,
                    moved.from_state == CaseState.SUBMITTED.value,
                    Case.state == moved.to_state,
                    Case.version == moved.case_version,
                )
                .limit(PUT_BACK_BATCH)
            ).all()
            if not rows:
                return total
            calendar = calendar_for(session)
            values = []
            for _, case, at in rows:
                at = at or case.created_at
                state = definition_for(case).state(CaseState.SUBMITTED.value)
                due = due_at_for(state, case, at, calendar)
                values.append(
                    {"case_id": case.id, "moved_version": case.version, "entered": at, "due": due}
                )
            session.expunge_all()
            session.connection().execute(restore, values)
            events = delete(CaseEvent).where(CaseEvent.id.in_([r[0] for r in rows]))
            with case_history_unlocked(session) as connection:  # recorded in the audit log
                connection.execute(events)
            total += len(rows)


def put_back(database: str) -> int:
    """``put_back_moves`` on ``database``, from this (the benchmark's) process."""
    from web import create_app
    from web.db import db

    app = create_app({"DATABASE_URL": database, "SCHEDULER_ENABLED": False})
    with app.app_context():
        try:
            return put_back_moves(db.unit_of_work)
        finally:
            assert db.engine is not None
            db.engine.dispose()


def upgrade_schema() -> None:
    """Migrate the database to the code's head(s): /healthz answers 503 otherwise."""
    import logging

    from flask_migrate import upgrade

    logging.disable(logging.INFO)
    try:
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    finally:
        logging.disable(logging.NOTSET)


def submitted_ids(database: str, path: Path) -> int:
    """Write the ids of every ``submitted`` case to ``path``; return how many."""
    import psycopg

    with psycopg.connect(_psycopg_url(database)) as conn:
        rows = conn.execute("SELECT id FROM cases WHERE state = 'submitted' ORDER BY id").fetchall()
    path.write_text("".join(f"{row[0]}\n" for row in rows))
    return len(rows)


def start_gunicorn(
    database: str, settings: Settings, port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = _app_env(database) | {
        "WEB_WORKERS": str(settings.workers),
        "WEB_WORKER_CLASS": settings.worker_class,
        "WEB_THREADS": str(settings.threads),
        "WEB_BIND": f"127.0.0.1:{port}",
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{server_problems(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def server_problems(log: Path, most: int = 20) -> str:
    """The server's warnings and errors (JSON lines, gunicorn's included), the last ``most``."""
    lines = [
        line
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if '"level": "INFO"' not in line and "weasyprint" not in line
    ]
    return "\n".join(["    server log (warnings and errors):", *lines[-most:]])


def free_port() -> int:
    """A TCP port of the loopback nobody listens on now (another benchmark may use 8765)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn and wait until its workers are gone too (they hold the socket)."""
    workers = psutil.Process(process.pid).children()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    psutil.wait_procs(workers, timeout=30)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError(
            "wrk is not installed: `bash scripts/system-packages.sh wrk` (Debian package wrk)"
        )
    return found


def run_wrk(
    mode: str,
    port: int,
    settings: Settings,
    *,
    token: str,
    ids: Path | None,
    seconds: int,
    max_requests: int,
    pace_ms: float = 0.0,
) -> WrkRun:
    """One bounded wrk run (``seconds``, at most ``max_requests`` requests); with
    ``pace_ms``, each connection waits that long after each response."""
    per_thread = -(-max_requests // settings.wrk_threads) if max_requests > 0 else 0
    command = [
        wrk_binary(),
        f"-t{settings.wrk_threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / f"{mode}.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        token,
        str(ids) if ids is not None else "-",
        str(per_thread),
        str(settings.wrk_threads),
    ]
    env = os.environ | {"WRK_PACE_MS": f"{pace_ms:.0f}"}
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60, env=env
    )
    return parse_wrk(mode, done.stdout + done.stderr)


def raw_reads(database: str, ids: Path, seconds: float = 5.0) -> float:
    import psycopg

    sample = [int(x) for x in ids.read_text().split()]
    done = 0
    with psycopg.connect(_psycopg_url(database)) as conn:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            conn.execute("SELECT * FROM cases WHERE id = %s", (random.choice(sample),)).fetchall()
            done += 1
        elapsed = time.perf_counter() - started
    return done / elapsed


def worker_memory(process: subprocess.Popen[bytes]) -> tuple[list[float], list[float]]:
    """RSS and USS (MB) of every gunicorn worker."""
    rss, uss = [], []
    for child in psutil.Process(process.pid).children():
        info = child.memory_full_info()
        rss.append(info.rss / 2**20)
        uss.append(info.uss / 2**20)
    return rss, uss


def pace_for(mode: str, connections: int) -> float:
    """The wait (ms) between a connection's requests that offers a fifth more than the goal
    (``connections`` / (wait + latency) >= goal while a request takes under a sixth)."""
    return 1000.0 * connections / (GOALS[mode] * 1.2)


def measure_load(
    database: str,
    settings: Settings,
    *,
    modes: Sequence[str] = MODES,
    max_requests: int = 200_000,
    port: int = 0,
    at_goal_rate: bool = False,
) -> LoadResult:
    """``settings.runs`` rounds of every mode, /healthz first in each round; with
    ``at_goal_rate``, each mode with a goal also runs paced to its goal's rate (the p99 at
    that rate, rather than when 32 connections send as fast as they are served)."""
    wrk_binary()
    port = port or free_port()
    kinds = [(mode, 0.0) for mode in ("healthz", *[m for m in modes if m != "healthz"])]
    if at_goal_rate:
        kinds += [(m, pace_for(m, settings.connections)) for m in modes if m in GOALS]
    figures = {
        (mode, pace): ModeFigures(mode, pace_ms=pace) for mode, pace in kinds if mode in modes
    }
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="berdaya-load-") as tmp:
        wanted = 0
        if "transition" in modes:  # enough for every transition run at a generous rate
            per_run = settings.seconds * (TRANSITION_RATE_BOUND + 250 * at_goal_rate)
            wanted = min(per_run * settings.runs, max_requests * settings.runs)
        token, reads, cases = prepare(database, Path(tmp), wanted)
        moves = Path(tmp) / "move.txt"
        log = Path(tmp) / "gunicorn.log"
        server = start_gunicorn(database, settings, port, log)
        try:
            meter = CpuMeter(server, make_url(database).database or "")
            wrk = functools.partial(
                run_wrk, port=port, settings=settings, token=token, max_requests=max_requests
            )
            for mode in ("read", "list"):  # imports, caches and connections of every worker
                wrk(mode, ids=reads, seconds=WARM_UP_SECONDS)
            for n in range(settings.runs):
                ceiling = None
                for mode, pace in kinds:
                    ids = reads
                    if mode == "transition":
                        left = submitted_ids(database, moves)
                        print(f"    {left:,} submitted cases left to move", flush=True)
                        ids = moves
                    before = meter.sample()
                    found = wrk(mode, ids=ids, seconds=settings.seconds, pace_ms=pace)
                    found = replace(found, cpu=meter.split(before, meter.sample(), found.requests))
                    if mode == "transition":  # untimed: the next run moves the same cases
                        print(f"    {put_back(database):,} moved cases put back", flush=True)
                    ceiling = found.rate if mode == "healthz" else ceiling
                    figure = figures.get((mode, pace))
                    if figure is not None:
                        figure.runs.append(found)
                        figure.ceilings.append(ceiling or found.rate)
                        print(
                            f"    run {n + 1}/{settings.runs} {figure.name}:"
                            f" {found.rate:,.0f} req/s, p50 {found.p50_ms:.0f} ms,"
                            f" p99 {found.p99_ms:.0f} ms,"
                            f" {found.errors} errors {found.detail}".rstrip()
                            + (f"; {found.cpu.text()}" if found.cpu else ""),
                            flush=True,
                        )
                raw.append(raw_reads(database, reads))
            rss, uss = worker_memory(server)
        finally:
            stop(server)
            if any(r.errors for f in figures.values() for r in f.runs):
                print(server_problems(log), flush=True)
    return LoadResult(settings, cases, list(figures.values()), raw, rss, uss)


def default_settings(seconds: int = 20, runs: int = 3) -> Settings:
    """What gunicorn.conf.py runs by default (WEB_* from the environment), 32 connections."""
    threads = int(os.environ.get("WEB_THREADS", "1"))
    worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread" if threads > 1 else "sync")
    workers = int(os.environ.get("WEB_WORKERS", min(8, (os.cpu_count() or 1) + 1)))
    return Settings(workers, worker_class, threads, 32, 2, seconds, runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    defaults = default_settings()
    parser.add_argument("--database", default=os.environ.get("BERDAYA_BENCH_PG", ""))
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--worker-class", default=defaults.worker_class)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--wrk-threads", type=int, default=defaults.wrk_threads)
    parser.add_argument("--seconds", type=int, default=defaults.seconds)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per run and kind")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated")
    parser.add_argument(
        "--at-goal-rate",
        action="store_true",
        help="also run each kind with a goal paced to its goal's rate (its p99 at that rate)",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"replace '{SUBSECTION}' in docs/benchmarks.md with the figures",
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("postgresql"):
        parser.error("--database must be a PostgreSQL URL (seeded with `flask bench seed`)")
    settings = Settings(
        args.workers,
        args.worker_class,
        args.threads,
        args.connections,
        args.wrk_threads,
        args.seconds,
        args.runs,
    )
    modes = [m for m in args.modes.split(",") if m]
    result = measure_load(
        args.database,
        settings,
        modes=modes,
        max_requests=args.max_requests,
        at_goal_rate=args.at_goal_rate,
    )
    print("\n".join(result.lines()))
    if args.write_docs:
        print(f"Wrote {write_into_docs(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
