"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import Duplicate, FieldMessage, ValidationError, field_error
from casework.i18n import N_
from casework.models.region import Region, RegionLevel
from casework.models.user import ApiToken, Role, User
from casework.services.passwords import hash_password, verify_password

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def _password_problems(password: str) -> list[FieldMessage]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [
            FieldMessage(
                N_("The password must have at least %(n)s characters."), n=MIN_PASSWORD_LENGTH
            )
        ]
    return []


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    region_code: str | None = None,
    email: str | None = None,
) -> User:
    """Create a staff account.

    Rules: username lower-case 3–64 characters, unique; a known role; the region, when
    given, is a kabupaten/kota (None means the whole province); password policy.
    """
    errors: dict[str, list[FieldMessage]] = {}
    username = username.strip().lower()
    if not _USERNAME.match(username):
        errors["username"] = [
            FieldMessage(N_("Use 3 to 64 lower-case letters, digits, dots, dashes or underscores."))
        ]
    if not full_name.strip():
        errors["full_name"] = [FieldMessage(N_("This field is required."))]
    if role not in {r.value for r in Role}:
        errors["role"] = [FieldMessage(N_("Unknown role %(role)s."), role=role)]
    if region_code:
        region = session.get(Region, region_code)
        if region is None or region.level != RegionLevel.REGENCY:
            errors["region_code"] = [
                FieldMessage(N_("%(code)s is not a kabupaten/kota code."), code=region_code)
            ]
    if problems := _password_problems(password):
        errors["password"] = problems
    if errors:
        raise ValidationError(errors)
    existing = session.scalar(select(User).where(User.username == username))
    if existing is not None:
        raise Duplicate(
            N_("The username %(username)s is taken."), existing_id=existing.id, username=username
        )
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=Role(role),
        region_code=region_code or None,
        email=email or None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password, enforcing the password policy."""
    if problems := _password_problems(password):
        raise ValidationError({"password": problems})
    user.password_hash = hash_password(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    user.last_login_at = clock.now()
    return user


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User, *, label: str = "", days: int = 365) -> str:
    """Create an API token for ``user``; return the raw token (only its hash is kept)."""
    if days < 1:
        raise field_error("days", N_("A token must be valid for at least one day."))
    raw = "bdy_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(raw),
            label=label,
            expires_at=clock.now() + timedelta(days=days),
        )
    )
    session.flush()
    return raw


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user owning an unexpired, unrevoked token ``raw``, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    now = clock.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    token.last_used_at = now
    return token.user


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every token of ``user``; return how many were revoked."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = clock.now()
    return len(tokens)


def update_user(
    session: Session,
    user: User,
    *,
    full_name: str,
    role: str,
    region_code: str | None,
    active: bool,
    email: str | None = None,
) -> User:
    """Change a staff account's name, e-mail, role, region and whether it may log in.

    Rules: as for create_user (a known role; the region, when given, is a kabupaten/kota).
    """
    errors: dict[str, list[FieldMessage]] = {}
    if not full_name.strip():
        errors["full_name"] = [FieldMessage(N_("This field is required."))]
    if role not in {r.value for r in Role}:
        errors["role"] = [FieldMessage(N_("Unknown role %(role)s."), role=role)]
    if region_code:
        region = session.get(Region, region_code)
        if region is None or region.level != RegionLevel.REGENCY:
            errors["region_code"] = [
                FieldMessage(N_("%(code)s is not a kabupaten/kota code."), code=region_code)
            ]
    if errors:
        raise ValidationError(errors)
    user.full_name = full_name.strip()
    user.email = email or None
    user.role = Role(role)
    user.region_code = region_code or None
    user.active = active
    session.flush()
    return user
