"""Staff users, their roles and region, and API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework import clock
from casework.i18n import N_
from casework.models.base import Base
from casework.models.region import Region
from casework.privacy import EncryptedString


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CASEWORKER = "caseworker"
    VERIFIER = "verifier"
    FINANCE = "finance"
    DPRD_LIAISON = "dprd_liaison"
    AUDITOR = "auditor"


ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"),
    Role.MANAGER: N_("Manager (Kabid/Kadis)"),
    Role.CASEWORKER: N_("Caseworker"),
    Role.VERIFIER: N_("Verifier"),
    Role.FINANCE: N_("Finance"),
    Role.DPRD_LIAISON: N_("DPRD liaison"),
    Role.AUDITOR: N_("Auditor"),
}

# Roles that may see personal data (NIK, KK, addresses) of applicants.
PERSONAL_DATA_ROLES = frozenset(
    {Role.ADMIN, Role.MANAGER, Role.CASEWORKER, Role.VERIFIER, Role.FINANCE, Role.AUDITOR}
)
# Roles that may write casework data (register persons, open cases, record checks).
CASEWORK_WRITE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER, Role.VERIFIER})


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    region_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), default=None, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Login protection (casework/services/login.py): failures since the last success, the
    # lockout's end, and the TOTP second factor (secret, when confirmed, last step used).
    # The secret is encrypted at rest like a NIK (casework/privacy.py; `flask privacy rotate`).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString("totp_secret"), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)

    region: Mapped[Region | None] = relationship()

    @property
    def is_province(self) -> bool:
        """A province user (no region) sees all of Kalimantan Timur."""
        return self.region_code is None

    def covers(self, regency_code: str | None) -> bool:
        """Whether this user's region includes the kabupaten/kota ``regency_code``."""
        return self.region_code is None or self.region_code == regency_code

    @property
    def sees_personal_data(self) -> bool:
        return self.role in PERSONAL_DATA_ROLES

    # Flask-Login protocol, kept here as plain attributes so the domain stays Flask-free.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"


class ApiToken(Base):
    """A bearer token for the API, stored as its SHA-256 only."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(lazy="joined")
