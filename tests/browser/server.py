"""Serve Berdaya for the browser tests: a migrated, seeded database (the demo data plus the
records of tests/browser/seeds.py) and a werkzeug server thread on 127.0.0.1 at a free port.
Letters go to the instance directory; their QR codes link to this server's verify page.
As under ``make run``, where the scheduler's ``render_letters`` job is the backstop of the
rendering after the response, a thread here renders what is still pending every few seconds
(the other scheduler jobs stay off: reminders would change the records under the journeys).

It runs in its own process (``python -m tests.browser.server DATABASE_URL INSTANCE_DIR``):
the app's database handle is process-wide, so a second app inside the pytest process
would take it from the rolled-back fixtures of the other tests. The port is printed on
stdout once the server listens; closing stdin stops it.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

import config
from casework.services.demo import seed_demo
from casework.services.reference import ensure_reference_data
from casework.services.regions import load_regions
from casework.storage import DocumentStore
from tests.browser.seeds import seed_journeys
from web import create_app
from web.db import db
from web.verify import render_for_app

ROOT = Path(__file__).resolve().parents[2]
DEMO_CASES = 36
BACKSTOP_SECONDS = 3.0
log = logging.getLogger(__name__)


def settings(database_url: str, instance: Path) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "browser-test-secret",
        "DATABASE_URL": database_url,
        "SCHEDULER_ENABLED": False,
        "UPLOAD_DIR": str(instance / "uploads"),
        "LETTER_DIR": str(instance / "letters"),
    }
    for key in ("DATA_KEYS", "HMAC_KEY"):  # the privacy keys of the test configuration
        if getattr(config.TestConfig, key, None):
            overrides[key] = getattr(config.TestConfig, key)
    return overrides


def build(database_url: str, instance: Path) -> Flask:
    app = create_app(settings(database_url, instance))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        store = DocumentStore(app.config["UPLOAD_DIR"], app.config["MAX_UPLOAD_BYTES"])
        with db.unit_of_work() as session:
            load_regions(session, ROOT / "data" / "regions")
            ensure_reference_data(session)
            seed_demo(session, store=store, cases=DEMO_CASES)
            seed_journeys(session, store, instance)
        db.session.remove()
    return app


def render_backstop(app: Flask, stop: threading.Event) -> None:
    """Render the letters still pending until ``stop`` is set (the scheduler's job)."""
    while not stop.wait(BACKSTOP_SECONDS):
        try:
            with app.app_context():
                if rendered := render_for_app(app):
                    log.info("the backstop rendered %s letters", rendered)
        except Exception:
            log.exception("the backstop render failed")


def main(database_url: str, instance: str) -> None:
    app = build(database_url, Path(instance))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # The QR code on a letter links to the verify page of this very server.
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    with app.app_context():
        render_for_app(app)  # the demo's letters, before any page shows them
    stop = threading.Event()
    backstop = threading.Thread(target=render_backstop, args=(app, stop), daemon=True)
    backstop.start()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(server.server_port, flush=True)
    sys.stdin.read()
    stop.set()
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
