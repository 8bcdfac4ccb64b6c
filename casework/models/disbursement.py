"""Procurement (goods), handover records (BAST), bank accounts and cash payments."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.case import Case
from casework.models.user import User
from casework.privacy import EncryptedString


class Procurement(Base):
    """A procurement contract for the goods of decreed cases."""

    __tablename__ = "procurements"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor: Mapped[str] = mapped_column(String(200))
    contract_number: Mapped[str] = mapped_column(String(80), unique=True)
    contract_date: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(BigInteger)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    items: Mapped[list[ProcurementItem]] = relationship(
        back_populates="procurement", order_by="ProcurementItem.id", cascade="all, delete-orphan"
    )
    cases: Mapped[list[ProcurementCase]] = relationship(
        back_populates="procurement", order_by="ProcurementCase.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.contract_number


class ProcurementItem(Base):
    __tablename__ = "procurement_items"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurements.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)

    procurement: Mapped[Procurement] = relationship(back_populates="items")


class ProcurementCase(Base):
    """A case covered by a procurement; a case is covered by at most one."""

    __tablename__ = "procurement_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurements.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)

    procurement: Mapped[Procurement] = relationship(back_populates="cases")
    case: Mapped[Case] = relationship()


class Handover(Base):
    """The handover record (BAST) of one case's goods: a case is delivered at most once."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    handed_over_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    receiver_name: Mapped[str] = mapped_column(String(120))
    photo_stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    photo_content_type: Mapped[str] = mapped_column(String(40))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class IdempotentRequest(Base):
    """A request's Idempotency-Key and the answer it got: a replay returns the first answer."""

    __tablename__ = "idempotent_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    scope: Mapped[str] = mapped_column(String(40))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class BeneficiaryAccount(Base):
    """The bank account a case's cash aid is paid to (encrypted at rest, shown masked)."""

    __tablename__ = "beneficiary_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    bank_code: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(EncryptedString("account_number"))
    holder_name: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def masked_number(self) -> str:
        return mask_account(self.account_number)


def mask_account(number: str) -> str:
    """All digits but the last four hidden: ``******7890``."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: N_("Pending"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Failed"),
}


class PaymentBatch(Base):
    """A payment batch under one SP2D, sent to one bank as a transfer file."""

    __tablename__ = "payment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    sp2d_number: Mapped[str] = mapped_column(String(80), unique=True)
    sp2d_date: Mapped[date] = mapped_column(Date)
    bank_code: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    payments: Mapped[list[Payment]] = relationship(
        back_populates="batch", order_by="Payment.id", cascade="all, delete-orphan"
    )

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.payments)

    def __str__(self) -> str:
        return self.sp2d_number


class Payment(Base):
    """One transfer of a batch. ``paid_case_id`` is set on success: unique, so paid once."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status_known"),
        CheckConstraint(
            "(status = 'paid') = (paid_case_id IS NOT NULL)", name="paid_case_when_paid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_code: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(EncryptedString("account_number"))
    holder_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=PaymentStatus.PENDING.value)
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    paid_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id"), unique=True, default=None
    )
    settled_at: Mapped[datetime | None] = mapped_column(default=None)

    batch: Mapped[PaymentBatch] = relationship(back_populates="payments")
    case: Mapped[Case] = relationship(foreign_keys=[case_id])

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)
