"""Logging in: password, lockout after repeated failures, the TOTP second factor (optional,
or required of the roles the deployment names: ``totp_roles_from``).

Every attempt is written to the audit log (success, failure, refused while locked) in the
caller's transaction; the web layer commits it whatever the outcome, so a failed attempt
is never rolled back out of the log.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import NotAllowed, field_error
from casework.i18n import N_
from casework.models.user import Role, User
from casework.services import audit
from casework.services.passwords import hash_password, verify_password

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
TOTP_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
TOTP_ISSUER = "Berdaya"
# Checked against when the username is unknown, so that both paths take as long.
_DUMMY_HASH = hash_password("no such user, but the same work")


class Outcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NEEDS_CODE = "needs_code"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: User | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Lockout:
    """How many failures lock an account, and for how long."""

    max_failures: int = MAX_FAILED_LOGINS
    minutes: int = LOCK_MINUTES


def attempt_login(
    session: Session, username: str, password: str, lockout: Lockout = Lockout()
) -> LoginResult:
    """Check a username and password; count failures, lock, and log every attempt."""
    name = username.strip().lower()[:64]
    user = session.scalar(select(User).where(User.username == name))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        audit.record(session, "login.failure", username=name or "?", entity_type="users")
        return LoginResult(Outcome.WRONG)
    if is_locked(user):
        audit.record(session, "login.locked", user=user, entity_type="users", entity_id=user.id)
        return LoginResult(Outcome.LOCKED, user, user.locked_until)
    if not verify_password(user.password_hash, password):
        return _fail(session, user, lockout, factor="password")
    if totp_enabled(user):
        return LoginResult(Outcome.NEEDS_CODE, user)
    _succeed(session, user, factor="password")
    return LoginResult(Outcome.OK, user)


def attempt_code(
    session: Session, user: User, code: str, lockout: Lockout = Lockout()
) -> LoginResult:
    """The second step: a TOTP code of a user whose password was right a moment ago."""
    if not user.active:
        return LoginResult(Outcome.WRONG)
    if is_locked(user):
        audit.record(session, "login.locked", user=user, entity_type="users", entity_id=user.id)
        return LoginResult(Outcome.LOCKED, user, user.locked_until)
    if not _take_code(user, code):
        return _fail(session, user, lockout, factor="totp")
    _succeed(session, user, factor="totp")
    return LoginResult(Outcome.OK, user)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


def _fail(session: Session, user: User, lockout: Lockout, *, factor: str) -> LoginResult:
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= lockout.max_failures
    if locked:
        user.locked_until = clock.now() + timedelta(minutes=lockout.minutes)
        user.failed_logins = 0
    session.flush()
    audit.record(
        session,
        "login.failure",
        user=user,
        entity_type="users",
        entity_id=user.id,
        changes={"factor": factor, "locked": locked},
    )
    if locked:
        return LoginResult(Outcome.LOCKED, user, user.locked_until)
    return LoginResult(Outcome.WRONG, user)


def _succeed(session: Session, user: User, *, factor: str) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = clock.now()
    session.flush()
    audit.record(
        session,
        "login.success",
        user=user,
        entity_type="users",
        entity_id=user.id,
        changes={"factor": factor},
    )


def record_logout(session: Session, user: User) -> None:
    audit.record(session, "logout", user=user, entity_type="users", entity_id=user.id)


# --- TOTP ---------------------------------------------------------------------------------


def totp_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def may_use_totp(user: User) -> bool:
    return user.role in TOTP_ROLES


def totp_roles_from(text: str) -> frozenset[Role]:
    """The roles named in ``text`` (comma-separated, e.g. ``admin,manager``) that must use
    the second factor; ValueError, naming the allowed ones, for any other name."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    allowed = {role.value: role for role in TOTP_ROLES}
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValueError(
            f"not roles that use TOTP: {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )
    return frozenset(allowed[name] for name in names)


def must_set_up_totp(user: User, required: Collection[Role]) -> bool:
    """Whether ``user``'s role must use the second factor and it is not on yet: until it is,
    the user may only set it up (the web layer keeps them on their account page)."""
    return user.role in required and not totp_enabled(user)


def begin_totp(session: Session, user: User) -> str:
    """A new secret for the user to scan (not in force until confirmed with a code).

    Refused while the second factor is on: starting over would turn it off without the
    password, so a stolen session could move it to another phone. Turn it off first (with
    the password), or have it reset (``reset_totp``)."""
    if not may_use_totp(user):
        raise NotAllowed(N_("Two-step login is for managers and administrators."))
    if totp_enabled(user):
        raise NotAllowed(N_("Two-step login is already on."))
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    if not user.totp_secret:
        raise NotAllowed(N_("Start the set-up of two-step login first."))
    totp = pyotp.TOTP(user.totp_secret)
    return totp.provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def confirm_totp(session: Session, user: User, code: str) -> None:
    """Turn the second factor on once the user proves their app shows the right codes."""
    if not user.totp_secret or totp_enabled(user):
        raise NotAllowed(N_("Start the set-up of two-step login first."))
    if not _take_code(user, code):
        raise field_error("code", N_("The code is not right. Enter the code your app shows now."))
    user.totp_enabled_at = clock.now()
    session.flush()


def disable_totp(
    session: Session, user: User, password: str, required: Collection[Role] = frozenset()
) -> None:
    """Turn the second factor off; the password confirms it is the user. Refused to the
    roles in ``required``, which must keep it (they may set it up again with a new phone)."""
    if user.role in required:
        raise NotAllowed(N_("Your role must use two-step login: it cannot be turned off."))
    if not verify_password(user.password_hash, password):
        raise field_error("password", N_("The current password is not right."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.flush()


def reset_totp(session: Session, user: User) -> None:
    """Turn the user's second factor off for them (a lost phone), from the server's command
    line (``flask users reset-totp``); a role that must use it sets it up again at the next
    login. Audited."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    audit.record(session, "totp.reset", user=user, entity_type="users", entity_id=user.id)
    session.flush()


def _take_code(user: User, code: str) -> bool:
    """Whether ``code`` is valid now (±1 step) and newer than the last one used (no replay)."""
    code = "".join(code.split())
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    current = totp.timecode(now)
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > last:
            user.totp_last_step = step
            return True
    return False
