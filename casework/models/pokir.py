"""DPRD members, their pokir lines (pokok-pokok pikiran) and the pokir lines' event log.

A pokir line moves through its own workflow (workflows/pokir.py), run by the same
machinery as cases: only workflows/records.py writes ``PokirLine.state``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
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
from casework.models.budget import BudgetLine
from casework.models.program import Program
from casework.models.user import User


class PokirState(enum.StrEnum):
    INPUT = "input"
    VERIFIED_SETWAN = "verified_setwan"
    VALIDATED_BAPPEDA = "validated_bappeda"
    VALIDATED_OPD = "validated_opd"
    VALIDATED_TAPD = "validated_tapd"
    IN_APBD = "in_apbd"
    REJECTED = "rejected"


POKIR_STATE_LABELS = {
    PokirState.INPUT: N_("Input"),
    PokirState.VERIFIED_SETWAN: N_("Verified by the DPRD secretariat"),
    PokirState.VALIDATED_BAPPEDA: N_("Validated by Bappeda"),
    PokirState.VALIDATED_OPD: N_("Validated by the OPD"),
    PokirState.VALIDATED_TAPD: N_("Validated by TAPD"),
    PokirState.IN_APBD: N_("In the APBD"),
    PokirState.REJECTED: N_("Rejected"),
}

_POKIR_STATES = ", ".join(f"'{s.value}'" for s in PokirState)


class DprdMember(Base):
    """A member of the provincial DPRD: fraksi (party group), dapil (constituency), komisi."""

    __tablename__ = "dprd_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    fraksi: Mapped[str] = mapped_column(String(80))
    dapil: Mapped[str] = mapped_column(String(80))
    komisi: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.fraksi}, {self.dapil})"


class PokirLine(Base):
    """One pokir proposal of a DPRD member: who, what program, where, how many, how much."""

    __tablename__ = "pokir_lines"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "sipd_ref"),
        CheckConstraint(f"state IN ({_POKIR_STATES})", name="state_known"),
        CheckConstraint("quota > 0", name="quota_positive"),
        CheckConstraint("ceiling > 0", name="ceiling_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "state NOT IN ('validated_tapd', 'in_apbd') OR budget_line_id IS NOT NULL",
            name="budget_line_once_validated",
        ),
        Index("ix_pokir_lines_year_program_state", "fiscal_year", "program_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("dprd_members.id"), index=True)
    sipd_ref: Mapped[str] = mapped_column(String(60))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    regency_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    village_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    quota: Mapped[int] = mapped_column(Integer)
    ceiling: Mapped[int] = mapped_column(BigInteger)
    proposal: Mapped[str] = mapped_column(Text, default="")
    reses_date: Mapped[date] = mapped_column(Date)
    budget_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("budget_lines.id"), default=None, index=True
    )
    # Written by workflows.records only (tests/test_architecture.py checks it).
    state: Mapped[str] = mapped_column(String(24), default=PokirState.INPUT.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    __mapper_args__ = {"version_id_col": version}

    member: Mapped[DprdMember] = relationship(lazy="joined")
    program: Mapped[Program] = relationship()
    budget_line: Mapped[BudgetLine | None] = relationship()
    events: Mapped[list[PokirEvent]] = relationship(
        back_populates="pokir_line", order_by="PokirEvent.id", viewonly=True
    )

    @property
    def target_code(self) -> str:
        """The most precise target region: village, else district, else regency."""
        return self.village_code or self.district_code or self.regency_code

    def __str__(self) -> str:
        return f"{self.sipd_ref} ({self.fiscal_year})"


class PokirEvent(Base):
    """One step of a pokir line: who moved it, when, from where to where, with what note."""

    __tablename__ = "pokir_events"
    __table_args__ = (Index("ix_pokir_events_line_id_id", "pokir_line_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pokir_line_id: Mapped[int] = mapped_column(ForeignKey("pokir_lines.id"))
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    record_version: Mapped[int] = mapped_column(Integer)

    pokir_line: Mapped[PokirLine] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
