"""Statements a test run sends to the database server itself (CREATE/DROP DATABASE), outside
any transaction: shared by the suite's database fixture and the browser tests' server."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def admin_execute(url: str, statement: str) -> None:
    """Run ``statement`` on ``url`` in autocommit mode (no transaction around it)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()
