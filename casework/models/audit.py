"""The append-only audit log: every write and every login, with who, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework import clock
from casework.i18n import N_
from casework.models.base import Base

AUDIT_ACTION_LABELS = {
    "login.success": N_("Login"),
    "login.failure": N_("Failed login"),
    "login.locked": N_("Login refused (locked)"),
    "logout": N_("Logout"),
    "create": N_("Created"),
    "update": N_("Changed"),
    "delete": N_("Deleted"),
    "history.unlock": N_("Case history unlocked for maintenance"),
}


class AuditEntry(Base):
    """One audited event. Rows are only ever inserted (triggers refuse UPDATE and DELETE).

    ``actor_id`` is deliberately not a foreign key: the log outlives the accounts it names,
    and ``actor_name`` keeps who it was. ``changes`` maps a field name to ``[old, new]``, or
    to ``null`` for a personal or secret field (only the fact that it changed is kept).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        Index("ix_audit_entries_actor_id_at", "actor_id", "at"),
        Index("ix_audit_entries_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_name: Mapped[str] = mapped_column(String(120))
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(64), default=None)
    entity_id: Mapped[str | None] = mapped_column(String(64), default=None)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type or ''} {self.entity_id or ''}".strip()
