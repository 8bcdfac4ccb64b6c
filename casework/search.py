"""Prefix search that an index can answer on SQLite and on PostgreSQL.

``column LIKE 'abc%'`` uses a btree index on PostgreSQL when the index has the pattern
operator class (``varchar_pattern_ops``), but on SQLite only with a NOCASE column or
``case_sensitive_like``. SQLite gets the equivalent range instead: ``column >= 'abc' AND
column < 'abd'`` (binary collation, so the range holds exactly the strings starting with
the prefix). Callers normalise the term (upper-case numbers, lower-case name keys).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

_MAX_CHAR = 0x10FFFF


def upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    stripped = prefix.rstrip(chr(_MAX_CHAR))
    if not stripped:
        return prefix + chr(_MAX_CHAR)
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def prefix_match(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix`` (non-empty), in the form the dialect indexes."""
    if not prefix:
        raise ValueError("prefix_match needs a non-empty prefix")
    if dialect == "sqlite":
        return and_(column >= prefix, column < upper_bound(prefix))
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return column.like(escaped + "%", escape="/")
