"""Verification data of a case: documents, DTSEN checks and the field assessment."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.case import Case
from casework.models.program import DocumentKind
from casework.models.user import User


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


DOCUMENT_KIND_LABELS = {
    DocumentKind.KTP: N_("KTP (identity card)"),
    DocumentKind.KK: N_("KK (family card)"),
    DocumentKind.DTSEN_PROOF: N_("DTSEN proof"),
    DocumentKind.SKTM: N_("SKTM (certificate of low income)"),
    DocumentKind.BUSINESS_PLAN: N_("Business plan"),
    DocumentKind.PHOTO: N_("Photo"),
    DocumentKind.OTHER: N_("Other document"),
}


class Document(Base):
    """An uploaded file: type checked by content, stored outside the web root."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(
        Enum(DocumentKind, native_enum=False, length=16, values_callable=_values)
    )
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[User | None] = relationship()


class DtsenStatus(enum.StrEnum):
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    UNCHECKED = "unchecked"


DTSEN_STATUS_LABELS = {
    DtsenStatus.REGISTERED: N_("Registered in DTSEN"),
    DtsenStatus.NOT_REGISTERED: N_("Not registered in DTSEN"),
    DtsenStatus.UNCHECKED: N_("Not checked yet"),
}


class DtsenSource(enum.StrEnum):
    SIKS_NG = "siks_ng"
    CEK_BANSOS = "cek_bansos"
    KABKOTA_LETTER = "kabkota_letter"
    API = "api"


DTSEN_SOURCE_LABELS = {
    DtsenSource.SIKS_NG: N_("SIKS-NG export from Dinsos kabupaten/kota"),
    DtsenSource.CEK_BANSOS: N_("Cek Bansos screenshot"),
    DtsenSource.KABKOTA_LETTER: N_("Letter from Dinsos kabupaten/kota"),
    DtsenSource.API: N_("Data-sharing API"),
}


class DtsenCheck(Base):
    """One check of the applicant against DTSEN (status, decile, source, date, officer)."""

    __tablename__ = "dtsen_checks"
    __table_args__ = (
        CheckConstraint("decile IS NULL OR (decile BETWEEN 1 AND 10)", name="decile_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[DtsenStatus] = mapped_column(
        Enum(DtsenStatus, native_enum=False, length=16, values_callable=_values)
    )
    decile: Mapped[int | None] = mapped_column(Integer, default=None)
    source: Mapped[DtsenSource] = mapped_column(
        Enum(DtsenSource, native_enum=False, length=16, values_callable=_values)
    )
    checked_on: Mapped[date] = mapped_column(Date)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    evidence_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), default=None
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    officer: Mapped[User | None] = relationship()
    evidence: Mapped[Document | None] = relationship()


class Assessment(Base):
    """The field assessment: feasibility and the package of goods with unit prices."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    feasibility_notes: Mapped[str] = mapped_column(Text)
    is_feasible: Mapped[bool]
    assessed_on: Mapped[date] = mapped_column(Date)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    assessor: Mapped[User | None] = relationship()
    items: Mapped[list[AssessmentItem]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        order_by="AssessmentItem.id",
        lazy="selectin",
    )

    @property
    def total(self) -> int:
        return sum(item.subtotal for item in self.items)


class AssessmentItem(Base):
    __tablename__ = "assessment_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20), default="unit")
    unit_price: Mapped[int] = mapped_column(BigInteger)

    assessment: Mapped[Assessment] = relationship(back_populates="items")

    @property
    def subtotal(self) -> int:
        return self.quantity * self.unit_price
