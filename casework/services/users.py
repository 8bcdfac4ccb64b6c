"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import (
    Duplicate,
    FieldErrors,
    FieldMessage,
    NotFound,
    ValidationError,
    field_error,
)
from casework.i18n import N_
from casework.models.region import Region, RegionLevel
from casework.models.user import ApiToken, Role, User
from casework.services.passwords import hash_password, verify_password

MIN_PASSWORD_LENGTH = 12
# The languages a user may choose for screens and notifications (config.LANGUAGES too).
LANGUAGES: tuple[str, ...] = ("id", "en")
DEFAULT_LANGUAGE = "id"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Passwords of 12+ characters that top the leaked-password lists (compared lower-cased).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910",
        "qwertyuiopas",
        "qwerty123456",
        "password1234",
        "password12345",
        "passwordpassword",
        "iloveyou1234",
        "abcdefghijkl",
        "abc123456789",
        "111111111111",
        "000000000000",
        "123123123123",
        "qwertyqwerty",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "administrator",
        "administrator1",
        "admin1234567",
        "welcome12345",
        "letmein12345",
        "bismillah123",
        "indonesia123",
        "indonesia1945",
        "jakarta12345",
        "samarinda123",
        "kaltim123456",
        "dinassosial1",
        "dinsoskaltim",
        "passwordbaru",
        "rahasia12345",
        "sayangkamu12",
        "berdaya12345",
    }
)


def password_problems(password: str, username: str = "") -> list[FieldMessage]:
    """What is wrong with ``password`` under the policy (empty when it is acceptable).

    Policy: at least MIN_PASSWORD_LENGTH characters, not containing the username, not one
    of the commonly used passwords.
    """
    problems: list[FieldMessage] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            FieldMessage(
                N_("The password must have at least %(n)s characters."), n=MIN_PASSWORD_LENGTH
            )
        )
    name = username.strip().lower()
    if name and name in password.lower():
        problems.append(FieldMessage(N_("The password must not contain the username.")))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(
            FieldMessage(N_("This password is too common; choose one that is harder to guess."))
        )
    return problems


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
    if problems := password_problems(password, username):
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
    if problems := password_problems(password, user.username):
        raise ValidationError({"password": problems})
    user.password_hash = hash_password(password)


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """The user changes their own password: the current one first, then the policy."""
    errors = FieldErrors()
    if not verify_password(user.password_hash, current):
        errors.add("current_password", N_("The current password is not right."))
    for problem in password_problems(new, user.username):
        errors.fields.setdefault("password", []).append(problem)
    if not errors.fields and verify_password(user.password_hash, new):
        errors.add("password", N_("Choose a password different from the current one."))
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    session.flush()


def set_language(session: Session, user: User, language: str) -> User:
    """The user chooses the language of their screens and notifications (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise field_error("locale", N_("Unknown language %(code)s."), code=language)
    if user.locale != language:
        user.locale = language
        session.flush()
    return user


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


# How precisely an API token's last use is recorded.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


# Built once: it runs on every API request (the user comes with it, joined).
_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user owning an unexpired, unrevoked token ``raw``, or None."""
    token = session.scalar(_TOKEN_BY_HASH, {"token_hash": _digest(raw)})
    now = clock.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    # Recorded at most every few minutes: a read through the API stays a read.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return token.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked and expired ones included)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (NotFound for anybody else's)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()
    return token


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
