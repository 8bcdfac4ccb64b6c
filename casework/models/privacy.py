"""The reveal log: every time a full NIK, KK or account number (or a person's whole file)
was shown to someone, who, when, which record and why. Append-only."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.errors import NotAllowed
from casework.i18n import N_
from casework.models.base import Base
from casework.models.person import Person
from casework.models.user import User


class RevealField(enum.StrEnum):
    NIK = "nik"
    KK = "kk_number"
    ACCOUNT = "account_number"
    SUBJECT_ACCESS_EXPORT = "subject_access_export"


REVEAL_FIELD_LABELS = {
    RevealField.NIK: N_("NIK"),
    RevealField.KK: N_("KK number"),
    RevealField.ACCOUNT: N_("Account number"),
    RevealField.SUBJECT_ACCESS_EXPORT: N_("Data-subject access export"),
}


class RevealLog(Base):
    """One reveal of personal data. Rows are only ever inserted."""

    __tablename__ = "reveal_logs"
    __table_args__ = (Index("ix_reveal_logs_person_id_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), default=None)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiary_accounts.id"), default=None, index=True
    )
    field: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def field_label(self) -> str:
        return REVEAL_FIELD_LABELS[RevealField(self.field)]


def _refuse_change(mapper: Any, connection: Any, target: RevealLog) -> None:
    raise NotAllowed(N_("The reveal log cannot be changed or deleted."))


event.listen(RevealLog, "before_update", _refuse_change)
event.listen(RevealLog, "before_delete", _refuse_change)
