"""Calendar configuration the admin edits: extra days off and per-program SLA overrides."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base
from casework.models.program import Program


class DayOff(Base):
    """A day off declared locally (e.g. a provincial holiday), on top of the national ones."""

    __tablename__ = "extra_days_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.description}"


class SlaOverride(Base):
    """A program's own deadline for a state, in working days (the definition's is the default)."""

    __tablename__ = "sla_overrides"
    __table_args__ = (
        UniqueConstraint("program_id", "state"),
        CheckConstraint("working_days >= 0", name="days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    state: Mapped[str] = mapped_column(String(24))
    working_days: Mapped[int] = mapped_column(Integer)

    program: Mapped[Program] = relationship()
