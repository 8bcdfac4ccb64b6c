"""Engine and request-scoped session; the boundary (request, command, job) commits once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, scoped_session, sessionmaker


def make_engine(url: str, **options: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE.

    BEGIN IMMEDIATE makes SQLite serialise writers at the start of each transaction,
    so a read-then-write unit of work never fails half-way with "database is locked".
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, **options)
    _ping_idle_connections(engine)
    return engine


# A pooled connection idle longer than this is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """Pre-ping only connections that sat idle in the pool (``pool_pre_ping`` for all).

    ``pool_pre_ping`` costs a round trip on every checkout, i.e. on every request; a
    connection that served a request a moment ago is alive. One idle for longer (the
    server restarted, a firewall dropped it) is pinged, and a dead one is replaced before
    the request sees it (``DisconnectionError`` makes the pool retry with a new one). A
    connection that dies within the idle window fails its request once; SQLAlchemy then
    invalidates the pool, so the next requests reconnect.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


class Database:
    """Holds the engine and a scoped session bound to the app context."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] = sessionmaker(
            expire_on_commit=False, autoflush=False
        )
        # One session per thread (each request runs in its own thread or worker).
        self.session: scoped_session[Session] = scoped_session(self.session_factory)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(
            app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False)
        )
        self.session_factory.configure(bind=self.engine)
        app.teardown_appcontext(self._remove)
        app.extensions["berdaya_db"] = self

    def _remove(self, _exc: BaseException | None) -> None:
        self.session.remove()

    def current(self) -> Session:
        """The session of this thread's unit of work."""
        return self.session()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits at the end of the block, or rolls back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


db = Database()
