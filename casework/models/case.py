"""The aid case, its append-only event log and its number sequence."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.person import Group, Person
from casework.models.program import BusinessType, Program
from casework.models.region import Region
from casework.models.user import User


class CaseState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADMIN_VERIFICATION = "admin_verification"
    DTSEN_CHECK = "dtsen_check"
    FIELD_ASSESSMENT = "field_assessment"
    RECOMMENDED = "recommended"
    POKIR_REVIEW = "pokir_review"
    APPROVED = "approved"
    DECREED = "decreed"
    PROCUREMENT = "procurement"
    DELIVERED = "delivered"
    AWAITING_REPORT = "awaiting_report"
    MONITORING = "monitoring"
    CLOSED = "closed"
    NON_COMPLIANT = "non_compliant"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


STATE_LABELS = {
    CaseState.DRAFT: N_("Draft"),
    CaseState.SUBMITTED: N_("Submitted"),
    CaseState.ADMIN_VERIFICATION: N_("Administrative verification"),
    CaseState.DTSEN_CHECK: N_("DTSEN check"),
    CaseState.FIELD_ASSESSMENT: N_("Field assessment"),
    CaseState.RECOMMENDED: N_("Recommended"),
    CaseState.POKIR_REVIEW: N_("Pokir review"),
    CaseState.APPROVED: N_("Approved (awaiting decree)"),
    CaseState.DECREED: N_("Decreed"),
    CaseState.PROCUREMENT: N_("Procurement"),
    CaseState.DELIVERED: N_("Delivered"),
    CaseState.AWAITING_REPORT: N_("Awaiting usage report"),
    CaseState.MONITORING: N_("Monitoring"),
    CaseState.CLOSED: N_("Closed"),
    CaseState.NON_COMPLIANT: N_("Non-compliant"),
    CaseState.RETURNED: N_("Returned for revision"),
    CaseState.REJECTED: N_("Rejected"),
    CaseState.CANCELLED: N_("Cancelled"),
}

_STATE_LIST = ", ".join(f"'{s.value}'" for s in CaseState)


class Case(Base):
    """One application for aid, moved through its program's workflow by the engine only."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state_known"),
        CheckConstraint("(person_id IS NULL) <> (group_id IS NULL)", name="one_applicant"),
        CheckConstraint("requested_amount >= 0", name="amount_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_cases_state_due_at", "state", "due_at"),
        # The overdue dashboard's one scan (casework/services/overdue.py); its prefix also
        # serves the list filtered by kabupaten/kota and state.
        Index(
            "ix_cases_dashboard",
            "regency_code",
            "state",
            "program_id",
            "fiscal_year",
            "assignee_id",
            "pokir_line_id",
            "due_at",
        ),
        # The case list filtered by program and year, or by assignee (then state, deadline).
        Index("ix_cases_program_year_state_due", "program_id", "fiscal_year", "state", "due_at"),
        Index("ix_cases_assignee_state_due", "assignee_id", "state", "due_at"),
        # The case list at scale: a kabupaten's cases newest first, and the number prefix
        # search (LIKE 'ABC%' needs the pattern operator class on PostgreSQL).
        Index("ix_cases_regency_id", "regency_code", "id"),
        Index(
            "ix_cases_number_pattern", "number", postgresql_ops={"number": "varchar_pattern_ops"}
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id"), default=None, index=True
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None, index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    regency_code: Mapped[str] = mapped_column(String(5))
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_types.id"))
    requested_package: Mapped[str] = mapped_column(Text, default="")
    requested_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Written by workflows.engine only (tests/test_architecture.py checks it).
    state: Mapped[str] = mapped_column(String(24), default=CaseState.DRAFT.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state_entered_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), default=None, index=True
    )
    pokir_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("pokir_lines.id"), default=None, index=True
    )
    dtsen_override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    dtsen_override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    # Every update of a case checks and bumps its version: concurrent edits cannot pass
    # silently (optimistic locking; the engine also locks the row).
    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship(lazy="joined")
    person: Mapped[Person | None] = relationship()
    group: Mapped[Group | None] = relationship()
    village: Mapped[Region] = relationship()
    business_type: Mapped[BusinessType] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", viewonly=True
    )

    @property
    def applicant_name(self) -> str:
        if self.person is not None:
            return self.person.full_name
        return self.group.name if self.group is not None else ""

    def is_overdue(self, at: datetime | None = None) -> bool:
        return self.due_at is not None and self.due_at < (at or clock.now())

    def __str__(self) -> str:
        return self.number


class CaseEvent(Base):
    """One step of a case: who moved it from where to where, when and why. Append-only."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    case_version: Mapped[int] = mapped_column(Integer)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")


class CaseNumberSequence(Base):
    """Last number issued per program per fiscal year (e.g. WRSE-2026-000123)."""

    __tablename__ = "case_number_sequences"
    __table_args__ = (UniqueConstraint("program_code", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_code: Mapped[str] = mapped_column(String(16))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
