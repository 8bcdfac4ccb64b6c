"""Programs (KUBE, WRSE, UEP, …), their rules per fiscal year, and business types."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base


class ApplicantKind(enum.StrEnum):
    PERSON = "person"
    GROUP = "group"


class DocumentKind(enum.StrEnum):
    KTP = "ktp"
    KK = "kk"
    DTSEN_PROOF = "dtsen_proof"
    SKTM = "sktm"
    BUSINESS_PLAN = "business_plan"
    PHOTO = "photo"
    OTHER = "other"


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class Program(Base):
    """An aid program: master data, not code (DOMAIN.md)."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    workflow: Mapped[str] = mapped_column(String(32))
    applicant_kind: Mapped[ApplicantKind] = mapped_column(
        Enum(ApplicantKind, native_enum=False, length=10, values_callable=_values)
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    years: Mapped[list[ProgramYear]] = relationship(
        back_populates="program", order_by="ProgramYear.fiscal_year", cascade="all, delete-orphan"
    )

    def rules_for(self, fiscal_year: int) -> ProgramYear | None:
        """This program's rules for ``fiscal_year`` (None when not configured)."""
        return next((y for y in self.years if y.fiscal_year == fiscal_year), None)

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class ProgramYear(Base):
    """Unit value and eligibility rules of a program in one fiscal year."""

    __tablename__ = "program_years"
    __table_args__ = (UniqueConstraint("program_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    unit_value: Mapped[int] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer, default=None)
    max_age: Mapped[int | None] = mapped_column(Integer, default=None)
    required_sex: Mapped[str | None] = mapped_column(String(1), default=None)
    max_decile: Mapped[int] = mapped_column(Integer, default=5)
    group_min_members: Mapped[int | None] = mapped_column(Integer, default=None)
    group_max_members: Mapped[int | None] = mapped_column(Integer, default=None)
    required_documents: Mapped[str] = mapped_column(String(200), default="ktp,kk,business_plan")

    program: Mapped[Program] = relationship(back_populates="years")

    @property
    def required_document_options(self) -> list[list[DocumentKind]]:
        """Each requirement as its acceptable kinds: "ktp,dtsen_proof|sktm" -> [[ktp], [..]]."""
        return [
            [DocumentKind(k.strip()) for k in requirement.split("|") if k.strip()]
            for requirement in self.required_documents.split(",")
            if requirement.strip()
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}"


class BusinessType(Base):
    """Jenis usaha: menjahit, kuliner, perbengkelan, … (extendable by an administrator)."""

    __tablename__ = "business_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name
