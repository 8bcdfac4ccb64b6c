"""Notifications written before they are sent, inbox messages, and the scheduler lease."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.case import Case
from casework.models.user import User


class NotificationKind(enum.StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    REPORT_REMINDER = "report_reminder"


KIND_LABELS = {
    NotificationKind.DUE_SOON: N_("Deadline approaching"),
    NotificationKind.OVERDUE: N_("Overdue"),
    NotificationKind.ESCALATION: N_("Escalation"),
    NotificationKind.REPORT_REMINDER: N_("Usage report reminder"),
}


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """One message to one recipient about one state entry of a case.

    The unique key (case, state entry, kind, recipient) makes the sweep idempotent; a row is
    claimed (pending → sending) by one conditional UPDATE before it is sent, so a retry or a
    second scheduler never sends it twice. ``recipient`` is ``<channel>:user:<id>`` or
    ``email:person:<id>``.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("case_id", "state_entered_at", "kind", "recipient"),
        Index("ix_notifications_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    state_entered_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    case: Mapped[Case] = relationship()
    user: Mapped[User | None] = relationship()


class InboxMessage(Base):
    """A notification delivered to a user's in-app inbox (the admin's "Kotak masuk")."""

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id"), unique=True, default=None
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    case: Mapped[Case | None] = relationship()


class SchedulerLease(Base):
    """Who runs the scheduler's jobs: the holder until ``expires_at`` (renewed while alive)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]
