"""After delivery: the usage report (LPJ) and the monitoring visits (monev) of a case."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.case import Case
from casework.models.program import Program
from casework.models.user import User

DEFAULT_REPORT_DUE_MONTH = 1
DEFAULT_REPORT_DUE_DAY = 10
DEFAULT_VISIT_OFFSETS = "3,6,12"


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class FollowupRule(Base):
    """Per program: when the LPJ of a fiscal year is due, and the monitoring offsets.

    A program without a row uses the defaults (10 January of the next year; 3, 6, 12 months).
    """

    __tablename__ = "followup_rules"
    __table_args__ = (
        CheckConstraint("report_due_month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("report_due_day BETWEEN 1 AND 28", name="day_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), unique=True)
    report_due_month: Mapped[int] = mapped_column(Integer, default=DEFAULT_REPORT_DUE_MONTH)
    report_due_day: Mapped[int] = mapped_column(Integer, default=DEFAULT_REPORT_DUE_DAY)
    visit_offsets: Mapped[str] = mapped_column(String(60), default=DEFAULT_VISIT_OFFSETS)

    program: Mapped[Program] = relationship()

    @property
    def offsets(self) -> list[int]:
        """The visit offsets in months after delivery, ascending: "3,6,12" -> [3, 6, 12]."""
        return parse_offsets(self.visit_offsets)


def parse_offsets(text: str) -> list[int]:
    """Months from a comma-separated text; ValueError when one is not a positive number."""
    months = sorted({int(part) for part in text.split(",") if part.strip()})
    if not months or months[0] < 1:
        raise ValueError(text)
    return months


class ReportStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    SENT_BACK = "sent_back"


REPORT_STATUS_LABELS = {
    ReportStatus.SUBMITTED: N_("Received, awaiting review"),
    ReportStatus.ACCEPTED: N_("Accepted"),
    ReportStatus.SENT_BACK: N_("Sent back"),
}


class UsageReport(Base):
    """One LPJ received for a case: the document, the declared figures, and the review."""

    __tablename__ = "usage_reports"
    __table_args__ = (
        CheckConstraint("income_before >= 0", name="income_not_negative"),
        CheckConstraint("size_bytes > 0", name="not_empty"),
        CheckConstraint(
            "status = 'submitted' OR reviewed_by_id IS NOT NULL", name="review_has_reviewer"
        ),
        CheckConstraint(
            "status <> 'sent_back' OR review_note IS NOT NULL", name="send_back_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    income_before: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(Text, default="")
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=12, values_callable=_values),
        default=ReportStatus.SUBMITTED,
    )
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    case: Mapped[Case] = relationship()
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class BusinessStatus(enum.StrEnum):
    ACTIVE = "active"
    GROWING = "growing"
    STOPPED = "stopped"


BUSINESS_STATUS_LABELS = {
    BusinessStatus.ACTIVE: N_("Active"),
    BusinessStatus.GROWING: N_("Growing"),
    BusinessStatus.STOPPED: N_("Stopped"),
}
SURVIVING = (BusinessStatus.ACTIVE.value, BusinessStatus.GROWING.value)


class MonitoringVisit(Base):
    """A monitoring visit planned at an offset after delivery; done once it is recorded."""

    __tablename__ = "monitoring_visits"
    __table_args__ = (
        UniqueConstraint("case_id", "offset_months"),
        CheckConstraint("offset_months > 0", name="offset_positive"),
        CheckConstraint(
            "monthly_income IS NULL OR monthly_income >= 0", name="income_not_negative"
        ),
        CheckConstraint(
            "visited_on IS NULL OR (business_status IS NOT NULL AND monthly_income IS NOT NULL)",
            name="done_visit_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    offset_months: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    visited_on: Mapped[date | None] = mapped_column(Date, default=None)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    business_status: Mapped[BusinessStatus | None] = mapped_column(
        Enum(BusinessStatus, native_enum=False, length=10, values_callable=_values),
        default=None,
    )
    monthly_income: Mapped[int | None] = mapped_column(BigInteger, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_name: Mapped[str | None] = mapped_column(String(255), default=None)
    photo_stored_name: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    photo_content_type: Mapped[str | None] = mapped_column(String(40), default=None)
    recorded_at: Mapped[datetime | None] = mapped_column(default=None)

    case: Mapped[Case] = relationship()
    officer: Mapped[User | None] = relationship()

    @property
    def done(self) -> bool:
        return self.visited_on is not None
