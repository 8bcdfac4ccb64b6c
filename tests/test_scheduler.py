"""The scheduler in real processes: one lease holder, each notification sent once.

Each test builds its own database (the scheduler processes must see committed data) and
runs ``flask --app wsgi scheduler run`` as separate processes against a real SMTP server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from casework import clock
from casework.clock import WITA
from casework.models import Role, SchedulerLease
from casework.privacy import configure_keys
from casework.services.deadlines import acquire_lease
from casework.services.reference import ensure_reference_data
from casework.services.regions import load_regions
from config import TestConfig
from tests import factories
from tests.casework.test_notifications import Mailbox, smtp_server  # noqa: F401
from web.db import make_engine
from workflows.engine import advance

ROOT = Path(__file__).resolve().parent.parent


def _env(url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "BERDAYA_DATABASE_URL": url,
        "BERDAYA_SECRET_KEY": "scheduler-test",
        "BERDAYA_SMTP_HOST": "127.0.0.1",
        "BERDAYA_SMTP_PORT": str(port),
        "BERDAYA_SCHEDULER_DELIVER_SECONDS": "1",
        "BERDAYA_SCHEDULER_LEASE_SECONDS": "3",
        # the keys the test's own app encrypted the seeded persons with
        "BERDAYA_DATA_KEYS": ",".join(TestConfig.DATA_KEYS),
        "BERDAYA_HMAC_KEY": TestConfig.HMAC_KEY,
    }


@pytest.fixture()
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database with regions and programs (committed, not rolled back)."""
    base = make_url(database_url)
    if base.get_backend_name() == "postgresql":
        name = f"{base.database}_sched"
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'scheduler.sqlite3'}"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    env = _env(url, 25)
    subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    engine = make_engine(url)
    with Session(engine) as session:
        load_regions(session, ROOT / "data" / "regions")
        ensure_reference_data(session)
        session.commit()
    engine.dispose()
    yield url
    if base.get_backend_name() == "postgresql":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed_overdue_case(url: str, staff: dict[str, Any] | None = None) -> dict[str, Any]:
    """A case in 64.02 submitted a month ago (overdue and escalated by now); commits."""
    configure_keys(TestConfig.DATA_KEYS, TestConfig.HMAC_KEY)  # as the processes are
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        if staff is None:
            staff = {
                "caseworker": factories.make_user(session, Role.CASEWORKER, region="64.02"),
                "verifier": factories.make_user(session, Role.VERIFIER, region="64.02"),
                "manager": factories.make_user(session, Role.MANAGER, region="64.02"),
            }
            staff["verifier"].email = "verif@kukar.test"
            staff["manager"].email = "kabid@kukar.test"
        else:
            staff = {k: session.merge(v) for k, v in staff.items()}
        case = factories.make_case(session, staff["caseworker"])
        with clock.frozen(datetime.now(WITA) - timedelta(days=40)):
            advance(session, case, "submit", actor=staff["caseworker"])
        session.commit()
    engine.dispose()
    return staff


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=ROOT,
        env=_env(url, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)


def _wait_for(mailbox: Mailbox, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # long enough for a duplicate to show up, were there one


def _received(mailbox: Mailbox) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), str(m["Subject"]).strip()) for m in mailbox.messages)


def test_two_scheduler_processes_send_each_notification_once(own_database, smtp_server):  # noqa: F811
    mailbox, settings = smtp_server
    _seed_overdue_case(own_database)
    first, second = _start(own_database, settings.port), _start(own_database, settings.port)
    try:
        _wait_for(mailbox, 2)
    finally:
        _stop(first, second)
    received = _received(mailbox)
    assert [to for to, _ in received] == ["kabid@kukar.test", "verif@kukar.test"]
    assert len(set(received)) == 2


def test_notifications_due_while_the_scheduler_was_down_go_out_once_after_restart(
    own_database,
    smtp_server,  # noqa: F811
):
    mailbox, settings = smtp_server
    staff = _seed_overdue_case(own_database)
    process = _start(own_database, settings.port)
    try:
        _wait_for(mailbox, 2)
    finally:
        _stop(process)
    assert len(mailbox.messages) == 2
    _seed_overdue_case(own_database, staff)  # became overdue while nothing ran
    process = _start(own_database, settings.port)
    try:
        _wait_for(mailbox, 4)
    finally:
        _stop(process)
    received = _received(mailbox)
    assert len(received) == 4 and len(set(received)) == 4


def test_a_lease_left_by_a_crashed_process_is_taken_over_and_the_backlog_sent_at_once(
    own_database,
    smtp_server,  # noqa: F811
):
    mailbox, settings = smtp_server
    _seed_overdue_case(own_database)
    engine = make_engine(own_database)
    with Session(engine) as session:  # the dead holder's lease runs out in a few seconds
        expires = clock.now() + timedelta(seconds=4)
        session.add(SchedulerLease(name="scheduler", holder="crashed:1", expires_at=expires))
        session.commit()
    engine.dispose()
    process = _start(own_database, settings.port)
    try:
        _wait_for(mailbox, 2)  # well before the hourly sweep
    finally:
        _stop(process)
    assert [to for to, _ in _received(mailbox)] == ["kabid@kukar.test", "verif@kukar.test"]


def test_concurrent_renewals_by_one_holder_all_keep_the_lease(own_database):
    engine = make_engine(own_database)
    start = threading.Barrier(6)

    def take(_: int) -> bool:
        with engine.connect() as connection:
            start.wait()
            return acquire_lease(connection, "race", "me", 30)

    try:
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(take, range(6)))
        with engine.connect() as connection:
            other = acquire_lease(connection, "race", "someone-else", 30)
    finally:
        engine.dispose()
    assert results == [True] * 6
    assert other is False
