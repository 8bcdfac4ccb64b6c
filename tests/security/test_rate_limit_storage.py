"""Rate limits counted in the database (``berdaya+db://``, the default on PostgreSQL): a
limit holds for the whole deployment, not per gunicorn worker. Counts go up
within a window and start again after it; hits from several processes at once each get
their own count; under gunicorn with three workers the 31st look-up of a 30-a-minute limit
is refused whichever worker serves it."""

from __future__ import annotations

import multiprocessing
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import make_url

from casework.models import RateLimitCounter
from tests.process_support import GUNICORN, gunicorn, production_setting
from web import limits
from web.db import db, make_engine
from web.limits import DatabaseStorage, purge_ended_windows, storage_uri


@pytest.fixture()
def engine(app: Flask, database_url: str) -> Iterator[Engine]:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("the database storage is for PostgreSQL (SQLite serves one process)")
    assert db.engine is not None
    yield db.engine
    with db.engine.begin() as connection:  # the storage commits: leave no counters behind
        connection.execute(delete(RateLimitCounter))


@pytest.fixture()
def key() -> str:
    return f"LIMITER/test/{uuid.uuid4().hex}"


def test_hits_count_up_within_a_window_and_start_again_once_it_has_ended(
    engine: Engine, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = DatabaseStorage()
    monkeypatch.setattr(limits, "now", lambda: 1_000.0)

    assert storage.get(key) == 0
    assert [storage.incr(key, 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr(key, 60, amount=2) == 5
    assert storage.get(key) == 5
    assert storage.get_expiry(key) == 1_060.0

    monkeypatch.setattr(limits, "now", lambda: 1_060.0)  # the window has ended
    assert storage.get(key) == 0
    assert storage.get_expiry(key) == 1_060.0
    assert storage.incr(key, 60) == 1
    assert storage.get_expiry(key) == 1_120.0

    storage.clear(key)
    assert storage.get(key) == 0
    assert storage.check() is True


def test_a_key_longer_than_the_column_counts_like_any_other(engine: Engine) -> None:
    storage = DatabaseStorage()
    long = "LIMITER/login-account:" + "x" * 2_000
    other = long[:-1] + "y"

    assert [storage.incr(long, 60) for _ in range(2)] == [1, 2]
    assert storage.incr(other, 60) == 1
    assert storage.get(long) == 2
    storage.clear(long)
    assert storage.get(long) == 0
    assert storage.get(other) == 1


def test_counters_of_ended_windows_are_purged_and_running_ones_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = DatabaseStorage()
    monkeypatch.setattr(limits, "now", lambda: 5_000.0)
    storage.incr("LIMITER/ended", 60)
    storage.incr("LIMITER/running", 3_600)

    monkeypatch.setattr(limits, "now", lambda: 5_200.0)
    assert purge_ended_windows(engine) == 1

    with engine.connect() as connection:
        left = connection.scalars(select(RateLimitCounter.key)).all()
    assert left == ["LIMITER/running"]


def _hit_many(url: str, key: str, hits: int, start: multiprocessing.synchronize.Event) -> list[int]:
    db.engine = make_engine(url)
    storage = DatabaseStorage()
    start.wait(30)
    counts = [storage.incr(key, 600) for _ in range(hits)]
    db.engine.dispose()
    return counts


def test_hits_from_four_processes_at_once_each_get_their_own_count(
    engine: Engine, key: str, database_url: str
) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(4) as pool:
            pending = [
                pool.apply_async(_hit_many, (database_url, key, 25, start)) for _ in range(4)
            ]
            time.sleep(1.0)  # let the four connect, then start them together
            start.set()
            counts = [c for result in pending for c in result.get(timeout=120)]

    assert sorted(counts) == list(range(1, 101))
    assert DatabaseStorage().get(key) == 100


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this venv")
def test_under_gunicorn_with_three_workers_a_limit_holds_for_all_of_them(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    env = {
        "BERDAYA_DATABASE_URL": database_url,
        "BERDAYA_SECRET_KEY": "rate-limit-test",
        "BERDAYA_INSTANCE_DIR": str(tmp_path / "instance"),
        "BERDAYA_RATELIMIT_STORAGE_URI": "berdaya+db://",
        "BERDAYA_RATELIMIT": "1",
        "BERDAYA_SCHEDULER": "0",
        "WEB_WORKERS": "3",
    }
    log = tmp_path / "gunicorn.log"
    statuses = []
    with gunicorn(log, env) as base:
        url = f"{base}/verify/{uuid.uuid4().hex}"
        for _ in range(31):  # a new connection each time: any of the three workers answers
            try:
                urllib.request.urlopen(url, timeout=10).close()
                statuses.append(200)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)

    assert statuses[:30] == [404] * 30, log.read_text()  # an unknown code, looked up
    assert statuses[30] == 429


PG = "postgresql+psycopg://berdaya@db.example/berdaya"
LITE = "sqlite:///berdaya.sqlite3"


@pytest.mark.parametrize(
    ("configured", "database", "counted_in"),
    [
        ("", PG, "berdaya+db://"),  # several workers and hosts: one count for all
        ("", LITE, "memory://"),  # SQLite serves one process
        ("memory://", PG, "memory://"),
        ("redis://cache.example:6379", PG, "redis://cache.example:6379"),
    ],
)
def test_limits_count_in_the_database_on_postgresql_unless_told_otherwise(
    configured: str, database: str, counted_in: str
) -> None:
    assert storage_uri(configured, database) == counted_in


def test_every_environment_leaves_the_choice_to_the_database_unless_told() -> None:
    assert production_setting("RATELIMIT_STORAGE_URI") == ""
    told = production_setting("RATELIMIT_STORAGE_URI", BERDAYA_RATELIMIT_STORAGE_URI="memory://")
    assert told == "memory://"


def test_the_database_storage_with_sqlite_stops_the_app_at_start_with_a_clear_error() -> None:
    bare = Flask("rate-limit-setting")
    bare.config.update(RATELIMIT_STORAGE_URI="berdaya+db://", DATABASE_URL=LITE)
    with pytest.raises(RuntimeError, match=r"berdaya\+db:// needs PostgreSQL"):
        limits.init_limits(bare)
