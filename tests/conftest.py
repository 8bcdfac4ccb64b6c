"""Test fixtures: one schema per run (built by the migrations), one rolled-back transaction
per test (SQLAlchemy's "join a session into an external transaction" recipe).

BERDAYA_TEST_DATABASE chooses the database: "sqlite" (default, a file in a temporary
directory) or a PostgreSQL URL (``make test`` runs the suite on both).
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from casework.models import Base, Role, User
from casework.services.demo import ensure_demo_letter_settings
from casework.services.reference import ensure_reference_data
from casework.services.regions import load_regions
from casework.storage import DocumentStore
from config import TestConfig
from tests import factories
from tests.database_support import admin_execute
from web.db import db

ROOT = Path(__file__).resolve().parent.parent


def _database_url(tmp_dir: Path) -> str:
    choice = os.environ.get("BERDAYA_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        return f"sqlite:///{tmp_dir / 'test.sqlite3'}"
    return choice


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite: a new file. PostgreSQL: a new database for this run, dropped at the end, so
    runs side by side (two developers, two checkouts) never reset each other's schema."""
    url = _database_url(tmp_path_factory.mktemp("db"))
    if make_url(url).get_backend_name() != "postgresql":
        yield url
        return
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}"
    admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    admin_execute(url, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()
        admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from web import create_app

    instance = tmp_path_factory.mktemp("instance")
    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "SCHEDULER_ENABLED": False,
            "UPLOAD_DIR": str(instance / "uploads"),
            "LETTER_DIR": str(instance / "letters"),
            "SERVER_NAME": "berdaya.test",
            "DATA_KEYS": TestConfig.DATA_KEYS,
            "HMAC_KEY": TestConfig.HMAC_KEY,
        }
    )
    with flask_app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        with db.unit_of_work() as session:
            load_regions(session, ROOT / "data" / "regions")
            ensure_reference_data(session)
            ensure_demo_letter_settings(session)
        db.session.remove()
    yield flask_app


@pytest.fixture(scope="session")
def engine(app: Flask) -> Any:
    assert db.engine is not None
    return db.engine


@pytest.fixture()
def connection(engine: Any) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    db.session.remove()
    db.session_factory.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        db.session.remove()
        db.session_factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
        outer.rollback()
        conn.close()


@pytest.fixture()
def session(connection: Connection) -> Iterator[Session]:
    """The test's own session on the test's connection; all is rolled back after the test.

    Requests made with ``client`` get their own sessions on the same connection, so each
    sees what the other flushed; call ``session.expire_all()`` to see a request's writes
    on objects already loaded.
    """
    test_session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    try:
        yield test_session
    finally:
        test_session.close()


@pytest.fixture()
def client(app: Flask, connection: Connection) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def store(app: Flask) -> DocumentStore:
    return DocumentStore(app.config["UPLOAD_DIR"], app.config["MAX_UPLOAD_BYTES"])


@pytest.fixture()
def users(session: Session) -> dict[str, User]:
    """One province-wide user per role, plus kabupaten-bound ones (kukar_*, samarinda_*)."""
    made = {role.value: factories.make_user(session, role) for role in Role}
    made["kukar_caseworker"] = factories.make_user(session, Role.CASEWORKER, region="64.02")
    made["kukar_verifier"] = factories.make_user(session, Role.VERIFIER, region="64.02")
    made["kukar_manager"] = factories.make_user(session, Role.MANAGER, region="64.02")
    made["samarinda_caseworker"] = factories.make_user(session, Role.CASEWORKER, region="64.72")
    return made


@pytest.fixture(autouse=True)
def _no_real_mail(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Fail any test that opens an SMTP connection outside the SMTP server fixture."""
    if "smtp_server" in request.fixturenames:
        return

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a test tried to send real mail outside the smtp_server fixture")

    monkeypatch.setattr(smtplib.SMTP, "connect", refuse)


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {os.environ.get('BERDAYA_TEST_DATABASE', 'sqlite')}"


__all__ = ["Base"]
