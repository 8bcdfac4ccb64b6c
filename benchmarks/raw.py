"""The reference: the same writes with the sqlite3 module, no ORM and no engine.

The connection gets what ``web.db.make_engine`` gives the app's connections (WAL,
synchronous=NORMAL, foreign keys on, BEGIN IMMEDIATE per transaction), so the only
difference left is the Python between the application and SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

_INSERT_EVENT_COLUMNS = "case_id, trigger, from_state, to_state, actor_id, reason, at, case_version"


def sql_datetime(value: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it in SQLite (naive, microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A sqlite3 connection with the app's PRAGMAs, in autocommit mode (we BEGIN ourselves)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        yield conn
    finally:
        conn.close()


def move_one(
    conn: sqlite3.Connection,
    case_id: int,
    version: int,
    *,
    trigger: str,
    source: str,
    dest: str,
    actor_id: int,
    due_at: str | None,
) -> None:
    """One transition as one transaction: versioned UPDATE + event INSERT + COMMIT."""
    now = sql_datetime(datetime.now(UTC))
    conn.execute("BEGIN IMMEDIATE")
    moved = conn.execute(
        "UPDATE cases SET state = ?, version = version + 1, state_entered_at = ?, due_at = ? "
        "WHERE id = ? AND version = ?",
        (dest, now, due_at, case_id, version),
    ).rowcount
    if moved != 1:
        conn.execute("ROLLBACK")
        raise RuntimeError(f"case {case_id} was not at version {version}")
    conn.execute(
        f"INSERT INTO case_events ({_INSERT_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        (case_id, trigger, source, dest, actor_id, now, version + 1),
    )
    conn.execute("COMMIT")


def move_set(
    conn: sqlite3.Connection,
    case_ids: list[int],
    *,
    trigger: str,
    source: str,
    dest: str,
    actor_id: int,
    due_at: str | None,
    chunk: int = 500,
) -> None:
    """All cases in one transaction: per chunk one UPDATE and one INSERT … SELECT."""
    now = sql_datetime(datetime.now(UTC))
    conn.execute("BEGIN IMMEDIATE")
    for start in range(0, len(case_ids), chunk):
        ids = case_ids[start : start + chunk]
        marks = ", ".join("?" * len(ids))
        conn.execute(
            "UPDATE cases SET state = ?, version = version + 1, state_entered_at = ?, "
            f"due_at = ? WHERE id IN ({marks}) AND state = ?",
            (dest, now, due_at, *ids, source),
        )
        conn.execute(
            f"INSERT INTO case_events ({_INSERT_EVENT_COLUMNS}) "
            f"SELECT id, ?, ?, ?, ?, NULL, ?, version FROM cases WHERE id IN ({marks})",
            (trigger, source, dest, actor_id, now, *ids),
        )
    conn.execute("COMMIT")
