"""APBD budget lines and the commitments of cases against pokir lines and budget lines."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from casework.models.case import Case
    from casework.models.pokir import PokirLine

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.program import Program
from casework.models.user import User


class BudgetVersion(enum.StrEnum):
    MURNI = "murni"
    PERUBAHAN = "perubahan"


BUDGET_VERSION_LABELS = {
    BudgetVersion.MURNI: N_("APBD (original)"),
    BudgetVersion.PERUBAHAN: N_("APBD-P (revised)"),
}


class CommitmentStatus(enum.StrEnum):
    COMMITTED = "committed"
    RELEASED = "released"
    REALISED = "realised"


COMMITMENT_STATUS_LABELS = {
    CommitmentStatus.COMMITTED: N_("Committed"),
    CommitmentStatus.RELEASED: N_("Released"),
    CommitmentStatus.REALISED: N_("Realised"),
}
OPEN_STATUSES = (CommitmentStatus.COMMITTED.value, CommitmentStatus.REALISED.value)
_OPEN = "status IN ('committed', 'realised')"


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class BudgetLine(Base):
    """A line of the APBD: sub-kegiatan and kode rekening with a ceiling in Rupiah."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "version", "sub_activity_code", "account_code"),
        CheckConstraint("ceiling > 0", name="ceiling_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    version: Mapped[BudgetVersion] = mapped_column(
        Enum(BudgetVersion, native_enum=False, length=10, values_callable=_values),
        default=BudgetVersion.MURNI,
    )
    sub_activity_code: Mapped[str] = mapped_column(String(40))
    """Kode sub-kegiatan, e.g. 1.06.04.2.01.0001."""
    account_code: Mapped[str] = mapped_column(String(40))
    """Kode rekening, e.g. 5.4.02.05.01.0001 (belanja hibah barang)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    ceiling: Mapped[int] = mapped_column(BigInteger)

    program: Mapped[Program] = relationship()

    def __str__(self) -> str:
        return (
            f"{self.fiscal_year} {self.version.value} {self.sub_activity_code}/{self.account_code}"
        )


class Commitment(Base):
    """One case's claim on a pokir line's quota and ceiling and on a budget line.

    committed at approval; released when the case is rejected, cancelled or returned;
    realised at delivery or payment. A case has at most one open (committed or realised)
    commitment: a partial unique index says so.
    """

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in _values(CommitmentStatus))})",
            name="status_known",
        ),
        Index(
            "uq_commitments_open_case",
            "case_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index("ix_commitments_pokir_line_status", "pokir_line_id", "status"),
        Index("ix_commitments_budget_line_status", "budget_line_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    pokir_line_id: Mapped[int] = mapped_column(ForeignKey("pokir_lines.id"))
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default=CommitmentStatus.COMMITTED.value)
    committed_at: Mapped[datetime] = mapped_column(default=clock.now)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    realised_at: Mapped[datetime | None] = mapped_column(default=None)
    realised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    case: Mapped[Case] = relationship()
    pokir_line: Mapped[PokirLine] = relationship()
    budget_line: Mapped[BudgetLine] = relationship()
    committed_by: Mapped[User | None] = relationship(foreign_keys=[committed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
