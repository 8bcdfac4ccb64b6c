"""Decrees (SK): the decree kind per program, decrees, their listed cases and corrections."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class DecreeKind(enum.StrEnum):
    GOVERNOR = "sk_gubernur"
    HEAD_OF_OFFICE = "sk_kepala_dinas"


DECREE_KIND_LABELS = {
    DecreeKind.GOVERNOR: N_("Governor's decree (SK Gubernur)"),
    DecreeKind.HEAD_OF_OFFICE: N_("Head of office decree (SK Kepala Dinas)"),
}


class DecreeStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


DECREE_STATUS_LABELS = {
    DecreeStatus.DRAFT: N_("Draft"),
    DecreeStatus.ISSUED: N_("Issued"),
}


class DecreeSetting(Base):
    """Which kind of decree fixes a program's recipients (configurable per program)."""

    __tablename__ = "decree_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), unique=True)
    kind: Mapped[DecreeKind] = mapped_column(
        Enum(DecreeKind, native_enum=False, length=20, values_callable=_values)
    )
    number_template: Mapped[str] = mapped_column(String(80), default="{seq}/{kind}/DINSOS/{year}")

    program: Mapped[Program] = relationship()


class DecreeNumberSequence(Base):
    """Last decree number issued per kind per year; a rolled-back issue uses none."""

    __tablename__ = "decree_number_sequences"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Decree(Base):
    """A decree (SK) listing the recipients it fixes; a corrective one points at its original."""

    __tablename__ = "decrees"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'issued')", name="status_known"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DecreeKind] = mapped_column(
        Enum(DecreeKind, native_enum=False, length=20, values_callable=_values)
    )
    status: Mapped[str] = mapped_column(String(10), default=DecreeStatus.DRAFT.value)
    number: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    decree_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    signatory_name: Mapped[str] = mapped_column(String(120))
    signatory_position: Mapped[str] = mapped_column(String(160))
    signatory_nip: Mapped[str] = mapped_column(String(18))
    considerations: Mapped[list[str]] = mapped_column(JSON, default=list)  # menimbang
    legal_basis: Mapped[list[str]] = mapped_column(JSON, default=list)  # mengingat
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("decrees.id"), default=None, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    issued_at: Mapped[datetime | None] = mapped_column(default=None)

    program: Mapped[Program] = relationship()
    corrects: Mapped[Decree | None] = relationship(remote_side=[id])
    entries: Mapped[list[DecreeEntry]] = relationship(
        back_populates="decree", order_by="DecreeEntry.id", cascade="all, delete-orphan"
    )
    changes: Mapped[list[DecreeChange]] = relationship(
        back_populates="decree", order_by="DecreeChange.id", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    @property
    def is_draft(self) -> bool:
        return self.status == DecreeStatus.DRAFT.value

    @property
    def total_amount(self) -> int:
        return sum(e.amount for e in self.entries if not e.revoked)

    def __str__(self) -> str:
        return self.number or f"draft #{self.id}"


class DecreeEntry(Base):
    """One case listed in a decree (the lampiran row), with the amount fixed for it.

    ``issued_case_id`` is set when the decree is issued: its unique constraint lets a case
    be in at most one issued decree, whatever the code above it does.
    """

    __tablename__ = "decree_entries"
    __table_args__ = (
        UniqueConstraint("decree_id", "case_id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decree_id: Mapped[int] = mapped_column(ForeignKey("decrees.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    issued_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id"), unique=True, default=None
    )
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    decree: Mapped[Decree] = relationship(back_populates="entries")
    case: Mapped[Case] = relationship(foreign_keys=[case_id])


class DecreeChangeKind(enum.StrEnum):
    REMOVE = "remove"
    AMOUNT = "amount"


DECREE_CHANGE_LABELS = {
    DecreeChangeKind.REMOVE: N_("Recipient removed"),
    DecreeChangeKind.AMOUNT: N_("Amount corrected"),
}


class DecreeChange(Base):
    """What a corrective decree (SK perubahan) changes for one case of its original."""

    __tablename__ = "decree_changes"
    __table_args__ = (
        UniqueConstraint("decree_id", "case_id"),
        CheckConstraint("new_amount IS NULL OR new_amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decree_id: Mapped[int] = mapped_column(ForeignKey("decrees.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[DecreeChangeKind] = mapped_column(
        Enum(DecreeChangeKind, native_enum=False, length=10, values_callable=_values)
    )
    old_amount: Mapped[int] = mapped_column(BigInteger)
    new_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reason: Mapped[str] = mapped_column(Text)

    decree: Mapped[Decree] = relationship(back_populates="changes")
    case: Mapped[Case] = relationship()
