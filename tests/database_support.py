"""Statements a test run sends to the database server itself (CREATE/DROP DATABASE), outside
any transaction: shared by the suite's database fixture and the browser tests' server; and
the statements the app's engine runs in a block, for the tests that count them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text


def admin_execute(url: str, statement: str) -> None:
    """Run ``statement`` on ``url`` in autocommit mode (no transaction around it)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block, whitespace collapsed
    (``before_cursor_execute``: the test harness's savepoints included)."""
    from web.db import db

    found: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found.append(" ".join(statement.split()))

    assert db.engine is not None
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
