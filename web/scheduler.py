"""APScheduler jobs; each job is a boundary that opens and commits its own unit of work."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import func, select

from casework import clock
from casework.models.case import Case
from web.db import db

log = logging.getLogger("berdaya.scheduler")


def sweep_deadlines(app: Flask) -> dict[str, int]:
    """Count open cases past their due date, per state, and log one progress line."""
    with app.app_context():
        session = db.session()
        try:
            rows = session.execute(
                select(Case.state, func.count())
                .where(Case.due_at.is_not(None), Case.due_at < clock.now())
                .group_by(Case.state)
            ).all()
        finally:
            db.session.remove()
    overdue = {state: count for state, count in rows}
    log.info("deadline sweep: %s overdue cases %s", sum(overdue.values()), overdue)
    return overdue


def build_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="Asia/Makassar",
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )
    scheduler.add_job(
        sweep_deadlines,
        "cron",
        hour=6,
        minute=0,
        args=[app],
        id="sweep_deadlines",
        replace_existing=True,
    )
    return scheduler


def start_background(app: Flask) -> BackgroundScheduler:
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info("scheduler started with jobs: %s", [j.id for j in scheduler.get_jobs()])
    return scheduler


def run_forever(app: Flask) -> None:
    """Run the scheduler until SIGINT/SIGTERM."""
    scheduler = start_background(app)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()
