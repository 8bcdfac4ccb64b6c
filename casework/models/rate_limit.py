"""Counters of the web layer's rate limits (logins, the public verify and status look-ups),
kept in the database so that every worker process and every host counts against the same
limit (web/limits.py, the ``berdaya+db://`` storage)."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base


class RateLimitCounter(Base):
    """One fixed window of one limit for one caller: how many hits, until when."""

    __tablename__ = "rate_limit_counters"

    # web/limits.py stores a longer key as its SHA-256.
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch (what the `limits` library works in).
    expires_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)
