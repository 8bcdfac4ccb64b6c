"""Pooled connections to a database server are pinged only after they sat idle
(web/db.py), not on every checkout: a connection that died while idle is replaced before a
request uses it, and one that served a request a moment ago is handed out without a round
trip. (An SQLite file has no server to lose: its connections are never pinged.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from web import db as web_db
from web.db import make_engine


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("pings are for a database server (PostgreSQL)")
    made = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        yield made
    finally:
        made.dispose()


def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The pings the engine's dialect sends from now on (the dialect's own method, spied)."""
    sent: list[object] = []
    ping = engine.dialect.do_ping

    def spied(dbapi_connection: Any) -> bool:
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", spied)
    return sent


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    sent = pings(engine, monkeypatch)

    for _ in range(3):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1

    assert sent == []


def test_a_connection_idle_longer_than_the_limit_is_pinged_once_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    monkeypatch.setattr(web_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    sent = pings(engine, monkeypatch)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1

    assert len(sent) == 1


def test_a_connection_that_died_while_idle_is_replaced_before_the_request_uses_it(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn:
        dead = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = make_engine(database_url)
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    killer.dispose()
    monkeypatch.setattr(web_db, "PING_AFTER_IDLE_SECONDS", 0.0)

    with engine.connect() as conn:
        alive = conn.execute(text("SELECT pg_backend_pid()")).scalar()

    assert alive != dead
