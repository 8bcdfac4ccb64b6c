"""The API under gunicorn on PostgreSQL, loaded by locust from a second process.

``python -m benchmarks.load --database postgresql+psycopg://... [--workers 3]
[--seconds 20] [--users 32]``: starts gunicorn (gunicorn.conf.py, WEB_WORKERS workers) on a
seeded database, waits for /healthz, then runs locust headless (32 users, bounded time)
once per kind of request: ``GET /healthz`` (the server's ceiling, the reference), case
read, case list, and transitions (each on its own ``submitted`` case, never reused).
The raw-SQL reference is the same case read as one SELECT by primary key through psycopg
from one connection. RSS of every gunicorn worker is read from /proc after the runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODES = ("healthz", "read", "list", "transition")
GOALS = {"read": 500.0, "list": 500.0, "transition": 200.0}
P99_GOAL_MS = 100.0
VERIFIER = "bench-load-verifier"


@dataclass(frozen=True)
class LoadFigure:
    mode: str
    requests: int
    failures: int
    rate: float
    p50_ms: float
    p99_ms: float

    def line(self) -> str:
        goal = GOALS.get(self.mode)
        verdict = ""
        if goal is not None:
            met = self.rate >= goal and self.p99_ms <= P99_GOAL_MS and self.failures == 0
            verdict = f"; goal ≥ {goal:.0f}/s, p99 ≤ {P99_GOAL_MS:.0f} ms, 0 errors: " + (
                "met" if met else "NOT met"
            )
        return (
            f"{self.mode}: {self.rate:,.0f} req/s, p50 {self.p50_ms:.0f} ms,"
            f" p99 {self.p99_ms:.0f} ms, {self.failures} errors of {self.requests:,}{verdict}"
        )


@dataclass(frozen=True)
class LoadResult:
    workers: int
    users: int
    seconds: int
    figures: list[LoadFigure]
    raw_reads_per_s: float
    worker_rss_mb: list[float]

    def lines(self) -> list[str]:
        rss = ", ".join(f"{m:.0f}" for m in self.worker_rss_mb)
        return [
            f"API under gunicorn ({self.workers} workers), locust {self.users} users,"
            f" {self.seconds} s per kind:",
            *[f"  {f.line()}" for f in self.figures],
            f"  raw psycopg SELECT by id, one connection: {self.raw_reads_per_s:,.0f}/s",
            f"  RSS per worker after the runs: {rss} MB",
        ]

    def markdown(self) -> str:
        head, *rest = self.lines()
        return "\n".join([head, "", *[f"- {line.strip()}" for line in rest], ""])


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


def prepare(database: str, directory: Path) -> tuple[str, Path, Path]:
    """A verifier token, a sample of case ids to read, the submitted cases to move."""
    os.environ.update({k: v for k, v in _app_env(database).items() if k.startswith("BERDAYA")})
    from sqlalchemy import select

    from casework.models import Case, CaseState, Role, User
    from casework.services.users import create_user, issue_token
    from web import create_app
    from web.db import db

    app = create_app({"DATABASE_URL": database, "SCHEDULER_ENABLED": False})
    with app.app_context(), db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == VERIFIER))
        if user is None:
            user = create_user(
                session,
                username=VERIFIER,
                full_name="Bench Load Verifier",
                role=Role.VERIFIER.value,
                password="bench-password-not-secret",
            )
        token = issue_token(session, user, label="bench load")
        ids = list(session.scalars(select(Case.id).order_by(Case.id.desc()).limit(200_000)))
        moving = list(
            session.scalars(
                select(Case.id).where(Case.state == CaseState.SUBMITTED.value).order_by(Case.id)
            )
        )
    assert db.engine is not None
    db.engine.dispose()
    reads, moves = directory / "read.txt", directory / "move.txt"
    reads.write_text("\n".join(map(str, random.Random(7).sample(ids, min(10_000, len(ids))))))
    moves.write_text("\n".join(map(str, moving)))
    return token, reads, moves


def start_gunicorn(database: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = _app_env(database) | {"WEB_WORKERS": str(workers), "WEB_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def run_locust(mode: str, port: int, users: int, seconds: int, env: dict[str, str]) -> LoadFigure:
    with tempfile.TemporaryDirectory(prefix="berdaya-locust-") as tmp:
        prefix = Path(tmp) / "run"
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "ERROR",
            ],
            env=env | {"BENCH_MODE": mode},
            cwd=ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return LoadFigure(
        mode=mode,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rate=float(row["Requests/s"]),
        p50_ms=float(row["50%"]),
        p99_ms=float(row["99%"]),
    )


def raw_reads(database: str, ids: Path, seconds: float = 5.0) -> float:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database).set(drivername="postgresql")
    sample = [int(x) for x in ids.read_text().split()]
    done = 0
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            conn.execute("SELECT * FROM cases WHERE id = %s", (random.choice(sample),)).fetchall()
            done += 1
        elapsed = time.perf_counter() - started
    return done / elapsed


def worker_rss(process: subprocess.Popen[bytes]) -> list[float]:
    children = psutil.Process(process.pid).children()
    return [child.memory_info().rss / 2**20 for child in children]


def measure_load(database: str, workers: int, users: int, seconds: int) -> LoadResult:
    port = 8765
    with tempfile.TemporaryDirectory(prefix="berdaya-load-") as tmp:
        token, reads, moves = prepare(database, Path(tmp))
        env = _app_env(database) | {
            "BENCH_TOKEN": token,
            "BENCH_CASE_IDS": str(reads),
            "BENCH_MOVE_IDS": str(moves),
        }
        server = start_gunicorn(database, workers, port)
        try:
            figures = []
            for mode in MODES:
                figure = run_locust(mode, port, users, seconds, env)
                print(f"  {figure.line()}", flush=True)
                figures.append(figure)
            rss = worker_rss(server)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        raw = raw_reads(database, reads)
    return LoadResult(workers, users, seconds, figures, raw, rss)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--database", default=os.environ.get("BERDAYA_DATABASE_URL", ""))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.database.startswith("postgresql"):
        parser.error("--database must be a PostgreSQL URL (seeded with `flask bench seed`)")
    result = measure_load(args.database, args.workers, args.users, args.seconds)
    print("\n".join(result.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
