"""APScheduler in exactly one process: a database lease decides who runs the jobs.

Every process that starts a scheduler (``flask serve`` workers, ``flask scheduler run``)
tries to take the lease ``scheduler`` every few seconds on its own connection; only its
holder runs the jobs, the others keep trying and run nothing. Each job is a boundary that
opens and commits its own units of work. The sweep and delivery are idempotent and based
on the current time, so the run at start-up catches up once on whatever a downtime missed;
the unique notification keys make sure nothing is sent twice.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.orm import Session

from casework.channels import Channel
from casework.channels.email import EmailChannel, SmtpSettings
from casework.channels.inbox import InboxChannel
from casework.services.deadlines import acquire_lease, release_lease
from casework.services.notifications import (
    ChannelsFor,
    ReminderSettings,
    deliver_pending,
    release_stale_claims,
    sweep,
)
from web.db import db

log = logging.getLogger("berdaya.scheduler")
LEASE = "scheduler"
SWEEP_JOB = "sweep_deadlines"
TZ = "Asia/Makassar"


class Lease:
    """This process's claim on the scheduler lease, renewed on a connection of its own."""

    def __init__(self, app: Flask, on_taken: Callable[[], None] | None = None) -> None:
        self.app = app
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.seconds = int(app.config["SCHEDULER_LEASE_SECONDS"])
        self.held = False
        self.on_taken = on_taken
        # The jobs renew from several threads at once (all run at start-up): one at a time,
        # or a concurrent first INSERT of our own makes us believe another process holds it.
        self._lock = threading.Lock()

    def renew(self) -> bool:
        assert db.engine is not None
        with self._lock:
            with db.engine.connect() as connection:
                held = acquire_lease(connection, LEASE, self.holder, self.seconds)
            taken = held and not self.held
            if held != self.held:
                log.info("scheduler lease %s by %s", "taken" if held else "lost", self.holder)
            self.held = held
        if taken and self.on_taken is not None:
            self.on_taken()
        return held

    def release(self) -> None:
        if self.held and db.engine is not None:
            with db.engine.connect() as connection:
                release_lease(connection, LEASE, self.holder)
            self.held = False


def reminder_settings(app: Flask) -> ReminderSettings:
    c = app.config
    return ReminderSettings(c["DUE_SOON_DAYS"], c["ESCALATION_DAYS"], c["REPORT_REMINDER_DAYS"])


def channels_for(app: Flask) -> ChannelsFor:
    """A function giving the channels for one delivery transaction."""
    c = app.config
    email = (
        EmailChannel(
            SmtpSettings(
                c["SMTP_HOST"],
                int(c["SMTP_PORT"]),
                c["SMTP_USER"] or None,
                c["SMTP_PASSWORD"] or None,
                bool(c["SMTP_STARTTLS"]),
                c["SMTP_FROM"],
            )
        )
        if c["SMTP_HOST"]
        else None
    )

    def build(session: Session) -> Mapping[str, Channel]:
        found: dict[str, Channel] = {"inbox": InboxChannel(session)}
        if email is not None:
            found["email"] = email
        return found

    return build


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    try:
        with db.unit_of_work() as session:
            yield session
    finally:
        db.session.remove()


def run_reminders(app: Flask) -> dict[str, int]:
    """Sweep the deadlines, then deliver what is pending (one job, idempotent)."""
    with app.app_context():
        with _unit_of_work() as session:
            written = sweep(session, reminder_settings(app))
        return {**written, "sent": deliver(app)}


def deliver(app: Flask) -> int:
    """Deliver pending notifications (and give up on claims a crash left behind)."""
    with app.app_context():
        with _unit_of_work() as session:
            release_stale_claims(session)
        return deliver_pending(
            _unit_of_work,
            channels_for(app),
            settings=reminder_settings(app),
        )


def render_letters(app: Flask) -> int:
    """Render the letters still pending (those the requests did not render, a decree's
    hundreds) in batches across processes (casework/letters/bulk.py; idempotent)."""
    from casework.letters.bulk import render_letters as render_pending

    with app.app_context():
        return render_pending(
            _unit_of_work,
            app.config["LETTER_DIR"],
            base_url=app.config["PUBLIC_BASE_URL"],
            workers=app.config.get("LETTER_RENDER_WORKERS"),
        )


def purge_rate_limits(app: Flask) -> int:
    """Delete the rate limit counters whose window has ended (web/limits.py)."""
    from web.limits import purge_ended_windows

    with app.app_context():
        assert db.engine is not None
        return purge_ended_windows(db.engine)


def _if_holder(lease: Lease, job: object, app: Flask) -> None:
    if not lease.renew():
        return
    job(app)  # type: ignore[operator]


def build_scheduler(app: Flask, lease: Lease | None = None) -> BackgroundScheduler:
    """The scheduler with its fixed job ids.

    The sweep runs hourly and, to catch up on a downtime, whenever this process takes the
    lease (at start-up, or when the holder died): waiting for the next hourly run would leave
    what came due meanwhile unsent for up to an hour.
    """
    lease = lease or Lease(app)
    scheduler = BackgroundScheduler(
        timezone=TZ,
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )
    lease.on_taken = lambda: _run_soon(scheduler, SWEEP_JOB)
    now = datetime.now(scheduler.timezone)
    scheduler.add_job(lease.renew, "interval", seconds=max(lease.seconds // 3, 1),
                      id="renew_lease", replace_existing=True, next_run_time=now)  # fmt: skip
    scheduler.add_job(_if_holder, "cron", minute=5, args=[lease, run_reminders, app],
                      id=SWEEP_JOB, replace_existing=True)  # fmt: skip
    scheduler.add_job(_if_holder, "interval", seconds=app.config["SCHEDULER_DELIVER_SECONDS"],
                      args=[lease, deliver, app], id="deliver_notifications",
                      replace_existing=True, next_run_time=now)  # fmt: skip
    scheduler.add_job(_if_holder, "interval", seconds=app.config["SCHEDULER_LETTER_SECONDS"],
                      args=[lease, render_letters, app], id="render_letters",
                      replace_existing=True, next_run_time=now)  # fmt: skip
    scheduler.add_job(_if_holder, "cron", minute=35, args=[lease, purge_rate_limits, app],
                      id="purge_rate_limits", replace_existing=True)  # fmt: skip
    scheduler.berdaya_lease = lease
    return scheduler


def _run_soon(scheduler: BackgroundScheduler, job_id: str) -> None:
    """Run the job now (once more, not instead of its schedule)."""
    scheduler.modify_job(job_id, next_run_time=datetime.now(scheduler.timezone))


def start_background(app: Flask) -> BackgroundScheduler:
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info("scheduler started with jobs: %s", [j.id for j in scheduler.get_jobs()])
    return scheduler


def stop(scheduler: BackgroundScheduler) -> None:
    """Stop the jobs and hand the lease over at once."""
    scheduler.shutdown()
    scheduler.berdaya_lease.release()


def run_forever(app: Flask) -> None:
    """Run the scheduler until SIGINT/SIGTERM."""
    scheduler = start_background(app)
    finished = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: finished.set())
    try:
        finished.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(scheduler)
