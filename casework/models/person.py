"""Persons (applicants and KUBE members) and KUBE groups."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.sql.elements import ColumnElement

from casework import clock
from casework.i18n import N_
from casework.identity import mask_number
from casework.models.base import Base
from casework.models.program import BusinessType
from casework.models.region import Region
from casework.privacy import HASH_LENGTH, EncryptedString, blind_index


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class Sex(enum.StrEnum):
    MALE = "L"
    FEMALE = "P"


class MaritalStatus(enum.StrEnum):
    SINGLE = "belum_kawin"
    MARRIED = "kawin"
    DIVORCED = "cerai_hidup"
    WIDOWED = "cerai_mati"


SEX_LABELS = {Sex.MALE: N_("Male"), Sex.FEMALE: N_("Female")}
MARITAL_LABELS = {
    MaritalStatus.SINGLE: N_("Not married"),
    MaritalStatus.MARRIED: N_("Married"),
    MaritalStatus.DIVORCED: N_("Divorced"),
    MaritalStatus.WIDOWED: N_("Widowed"),
}


def name_key(name: str) -> str:
    """The search key of a name: lower case, single spaces (prefix search on an index)."""
    return " ".join(name.split()).lower()


def _name_key_default(context: DefaultExecutionContext) -> str:
    """name_key for inserts that do not give it (Core executemany included)."""
    params = context.get_current_parameters()
    return name_key(params.get("full_name") or params.get("name") or "")


# Prefix LIKE uses a btree index on PostgreSQL only with the pattern operator class.
_PATTERN_OPS = {"name_key": "varchar_pattern_ops"}


class Person(Base):
    """A person identified by NIK. Domicile (village) comes from the KTP/KK address.

    ``nik`` and ``kk_number`` are plain strings in Python and encrypted in the database
    (casework/privacy.py); setting one also sets its keyed hash, the only thing queries
    compare (:meth:`nik_is`, :meth:`kk_is`). One person per NIK: unique ``nik_hash``.
    """

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint(f"length(nik_hash) = {HASH_LENGTH}", name="nik_hash_length"),
        CheckConstraint(f"length(kk_hash) = {HASH_LENGTH}", name="kk_hash_length"),
        Index("ix_persons_full_name", "full_name"),
        Index("ix_persons_name_key", "name_key", postgresql_ops=_PATTERN_OPS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nik: Mapped[str] = mapped_column(EncryptedString("nik"))
    nik_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    kk_number: Mapped[str] = mapped_column(EncryptedString("kk_number"))
    kk_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), default=_name_key_default)
    sex: Mapped[Sex] = mapped_column(
        Enum(Sex, native_enum=False, length=1, values_callable=_values)
    )
    birth_place: Mapped[str] = mapped_column(String(80), default="")
    birth_date: Mapped[date] = mapped_column(Date)
    marital_status: Mapped[MaritalStatus] = mapped_column(
        Enum(MaritalStatus, native_enum=False, length=12, values_callable=_values)
    )
    is_breadwinner: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(Text, default="")
    # Optional: the LPJ/monitoring reminders go to it when present.
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    regency_code: Mapped[str] = mapped_column(String(5), index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    village: Mapped[Region] = relationship(foreign_keys=[village_code])

    @validates("full_name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_key(value or "")
        return value

    @validates("nik", "kk_number")
    def _set_identity_hash(self, key: str, value: str) -> str:
        setattr(self, "nik_hash" if key == "nik" else "kk_hash", blind_index(key, value))
        return value

    @staticmethod
    def nik_is(nik: str) -> ColumnElement[bool]:
        """Where-clause: the person whose NIK is ``nik`` (separators ignored)."""
        return Person.nik_hash == blind_index("nik", nik)

    @staticmethod
    def kk_is(kk: str) -> ColumnElement[bool]:
        """Where-clause: the persons of the family card ``kk``."""
        return Person.kk_hash == blind_index("kk_number", kk)

    @property
    def nik_masked(self) -> str:
        return mask_number(self.nik)

    @property
    def kk_masked(self) -> str:
        return mask_number(self.kk_number)

    def __str__(self) -> str:
        return f"{self.full_name} ({self.nik_masked})"


class GroupRole(enum.StrEnum):
    CHAIR = "ketua"
    SECRETARY = "sekretaris"
    TREASURER = "bendahara"
    MEMBER = "anggota"


OFFICER_ROLES = (GroupRole.CHAIR, GroupRole.SECRETARY, GroupRole.TREASURER)
GROUP_ROLE_LABELS = {
    GroupRole.CHAIR: N_("Chair (ketua)"),
    GroupRole.SECRETARY: N_("Secretary (sekretaris)"),
    GroupRole.TREASURER: N_("Treasurer (bendahara)"),
    GroupRole.MEMBER: N_("Member (anggota)"),
}


class Group(Base):
    """A KUBE: 5–20 family heads of one village with a ketua, sekretaris and bendahara."""

    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_name_key", "name_key", postgresql_ops=_PATTERN_OPS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    name_key: Mapped[str] = mapped_column(String(120), default=_name_key_default)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    regency_code: Mapped[str] = mapped_column(String(5), index=True)
    business_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_types.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    village: Mapped[Region] = relationship()
    business_type: Mapped[BusinessType | None] = relationship()
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMember.id"
    )

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_key(value or "")
        return value

    def officer(self, role: GroupRole) -> Person | None:
        return next((m.person for m in self.members if m.role == role), None)

    def __str__(self) -> str:
        return f"KUBE {self.name}"


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "person_id"),
        # At most one ketua, sekretaris and bendahara per group, whatever writes the rows.
        Index(
            "uq_group_members_officer",
            "group_id",
            "role",
            unique=True,
            sqlite_where=text("role != 'anggota'"),
            postgresql_where=text("role != 'anggota'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[GroupRole] = mapped_column(
        Enum(GroupRole, native_enum=False, length=10, values_callable=_values)
    )

    group: Mapped[Group] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(lazy="joined")
