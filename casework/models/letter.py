"""Official letters (Tata Naskah Dinas): the letter row, its number sequence, its settings.

A letter row is written by the workflow engine in the transaction of the transition that
issues it (the outbox, ARCHITECTURE.md rule 3); the PDF is rendered after commit. A
re-issue is a new row (same number, next ``version``) and the old row is marked
superseded; a void keeps the number. Stored PDFs are never overwritten.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
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
from casework.models.case import Case
from casework.models.user import User


class LetterStatus(enum.StrEnum):
    PENDING = "pending"
    RENDERED = "rendered"
    VOIDED = "voided"


LETTER_STATUS_LABELS = {
    LetterStatus.PENDING: N_("Being prepared"),
    LetterStatus.RENDERED: N_("Issued"),
    LetterStatus.VOIDED: N_("Voided"),
}

_STATUSES = ", ".join(f"'{s.value}'" for s in LetterStatus)


class Letter(Base):
    """One issued letter (one version of it): number, recipient, verify code and stored PDF."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("unit", "year", "seq", "version"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("status <> 'rendered' OR sha256 IS NOT NULL", name="rendered_has_file"),
        Index("ix_letters_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None, index=True)
    decree_id: Mapped[int | None] = mapped_column(
        ForeignKey("decrees.id"), default=None, index=True
    )
    trigger: Mapped[str | None] = mapped_column(String(40), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    unit: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    letter_date: Mapped[date] = mapped_column(Date)
    template_name: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_nik_masked: Mapped[str] = mapped_column(String(24), default="")
    status: Mapped[str] = mapped_column(String(10), default=LetterStatus.PENDING.value)
    verify_code: Mapped[str] = mapped_column(String(64), unique=True)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    rendered_at: Mapped[datetime | None] = mapped_column(default=None)
    file_path: Mapped[str | None] = mapped_column(String(255), default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    size_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id"), default=None, unique=True
    )
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    reissue_reason: Mapped[str | None] = mapped_column(Text, default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)

    case: Mapped[Case | None] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    supersedes: Mapped[Letter | None] = relationship(remote_side=[id])

    @property
    def is_current(self) -> bool:
        """Neither voided nor replaced by a newer version."""
        return self.voided_at is None and self.superseded_at is None

    @property
    def verification(self) -> str:
        """What the public page says: valid, pending, superseded or voided."""
        if self.voided_at is not None:
            return "voided"
        if self.superseded_at is not None:
            return "superseded"
        return "valid" if self.status == LetterStatus.RENDERED.value else "pending"

    def __str__(self) -> str:
        return self.number if self.version == 1 else f"{self.number} (v{self.version})"


class LetterNumberSequence(Base):
    """Last letter number issued per unit per year (no gaps, never reused)."""

    __tablename__ = "letter_number_sequences"
    __table_args__ = (UniqueConstraint("unit", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class LetterSettings(Base):
    """The letterhead, numbering and signatory every letter uses (one row, edited by admins)."""

    __tablename__ = "letter_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    letterhead_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    logo_path: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(80), default="Samarinda")
    kka: Mapped[str] = mapped_column(String(20), default="400.9")
    unit_code: Mapped[str] = mapped_column(String(40), default="Dinsos")
    number_template: Mapped[str] = mapped_column(String(80), default="{kka}/{seq}/{unit}/{year}")
    signatory_position: Mapped[str] = mapped_column(String(200), default="")
    signatory_name: Mapped[str] = mapped_column(String(120), default="")
    signatory_rank: Mapped[str] = mapped_column(String(120), default="")
    signatory_nip: Mapped[str] = mapped_column(String(18), default="")
    tembusan: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
