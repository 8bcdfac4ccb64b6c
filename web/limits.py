"""Rate limits (Flask-Limiter): one limiter for the whole app.

Views that need a limit decorate themselves with ``@limiter.limit("5/minute")``.
Storage is configured with ``RATELIMIT_STORAGE_URI``:

- ``berdaya+db://`` (the default on PostgreSQL): counters in the app's own database
  (``rate_limit_counters``), so every gunicorn worker and every host counts against the
  same limit without another service to run;
- ``memory://`` (the default on SQLite): counters in the process, right for one process;
- a shared store of the `limits` library such as ``redis://`` works as well.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, cast

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import Engine, Table, case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from casework.models.rate_limit import RateLimitCounter
from web.db import db

limiter = Limiter(key_func=get_remote_address, default_limits=[])

DATABASE_SCHEME = "berdaya+db"
COUNTERS = cast(Table, RateLimitCounter.__table__)
KEY_LENGTH = 500


def stored_key(key: str) -> str:
    """The key as stored: itself, or its SHA-256 when longer than the column (a key holds
    what a caller sent, such as the username typed at login)."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def now() -> float:
    """Seconds since the epoch (the `limits` library's clock)."""
    return time.time()


class DatabaseStorage(Storage):
    """Fixed-window counters in the app's PostgreSQL database: one row per limit and caller
    (``key``), its hits and the end of its window.

    A hit is one statement (an upsert that starts a new window when the old one has ended
    and returns the count), in a transaction of its own on a connection of its own: it
    counts even when the request's unit of work rolls back (a failed login is the point),
    and two workers hitting the same key at once each get their own count.
    """

    STORAGE_SCHEME = [DATABASE_SCHEME]

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        if db.engine is None:
            raise RuntimeError("the database is not set up (init_app) before the limiter")
        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        key = stored_key(key)
        at = now()
        ended = COUNTERS.c.expires_at <= at
        hit = insert(COUNTERS).values(key=key, count=amount, expires_at=at + expiry)
        stmt = hit.on_conflict_do_update(
            index_elements=[COUNTERS.c.key],
            set_={
                "count": case((ended, amount), else_=COUNTERS.c.count + amount),
                "expires_at": case((ended, at + expiry), else_=COUNTERS.c.expires_at),
            },
        ).returning(COUNTERS.c.count)
        with self._engine().begin() as connection:
            return int(connection.execute(stmt).scalar_one())

    def _current(self, key: str, column: Any) -> Any:
        stmt = select(column).where(
            COUNTERS.c.key == stored_key(key), COUNTERS.c.expires_at > now()
        )
        with self._engine().connect() as connection:
            return connection.execute(stmt).scalar()

    def get(self, key: str) -> int:
        return int(self._current(key, COUNTERS.c.count) or 0)

    def get_expiry(self, key: str) -> float:
        expires_at = self._current(key, COUNTERS.c.expires_at)
        return float(expires_at) if expires_at is not None else now()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(COUNTERS).where(COUNTERS.c.key == stored_key(key)))


def purge_ended_windows(engine: Engine, *, older_than: float = 60.0) -> int:
    """Delete the counters whose window ended more than ``older_than`` seconds ago (the
    scheduler, hourly); return how many. A caller's next hit starts a new row."""
    with engine.begin() as connection:
        stmt = delete(COUNTERS).where(COUNTERS.c.expires_at <= now() - older_than)
        return connection.execute(stmt).rowcount


def storage_uri(configured: str, database_url: str) -> str:
    """Where the limits count: as configured, else in the database on PostgreSQL (several
    workers and hosts) and in the process on SQLite (which serves one process). The database
    storage on SQLite is refused: its writer lock would wait on the request's own."""
    on_postgresql = database_url.startswith("postgresql")
    uri = configured or (f"{DATABASE_SCHEME}://" if on_postgresql else "memory://")
    if uri.startswith(f"{DATABASE_SCHEME}:") and not on_postgresql:
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI {DATABASE_SCHEME}:// needs PostgreSQL (BERDAYA_DATABASE_URL);"
            " with SQLite (one process) use memory://"
        )
    return uri


def init_limits(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(
        str(app.config.get("RATELIMIT_STORAGE_URI") or ""), str(app.config["DATABASE_URL"])
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
