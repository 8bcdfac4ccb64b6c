"""Staff accounts and API tokens (casework.services.users)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework import clock
from casework.errors import Duplicate, ValidationError
from casework.models import Role, User
from casework.models.user import ApiToken
from casework.services.users import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    create_user,
    issue_token,
    revoke_tokens,
    user_for_token,
)

GOOD_PASSWORD = "sungai-mahakam-2026"


def new_user(session, username="rina.w", **changes) -> User:
    values = {
        "username": username,
        "full_name": "Rina Wulandari",
        "role": "caseworker",
        "password": GOOD_PASSWORD,
        "region_code": None,
    }
    values.update(changes)
    return create_user(session, **values)


def test_a_user_is_created_with_a_hashed_password(session):
    user = new_user(session, username="  Rina.W ", region_code="64.02", email="rina@dinsos.test")

    assert (user.username, user.role, user.region_code) == ("rina.w", Role.CASEWORKER, "64.02")
    assert GOOD_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt$")


@pytest.mark.parametrize(
    ("password", "ok"),
    [("", False), ("a" * (MIN_PASSWORD_LENGTH - 1), False), ("a" * MIN_PASSWORD_LENGTH, True)],
)
def test_a_password_needs_at_least_ten_characters(session, password, ok):
    if ok:
        assert new_user(session, password=password).id is not None
    else:
        with pytest.raises(ValidationError) as refused:
            new_user(session, password=password)
        assert set(refused.value.fields) == {"password"}


def test_a_taken_username_is_a_duplicate_whatever_its_case(session):
    first = new_user(session, username="budi")

    with pytest.raises(Duplicate) as refused:
        new_user(session, username="BUDI")

    assert refused.value.existing_id == first.id


@pytest.mark.parametrize("username", ["ab", "rina wulan", "-rina", "rina@dinsos", "x" * 65])
def test_a_badly_formed_username_is_refused(session, username):
    with pytest.raises(ValidationError) as refused:
        new_user(session, username=username)

    assert set(refused.value.fields) == {"username"}


def test_an_unknown_role_is_refused(session):
    with pytest.raises(ValidationError) as refused:
        new_user(session, role="superuser")

    assert set(refused.value.fields) == {"role"}


@pytest.mark.parametrize("region", ["64", "64.02.08", "64.02.08.2007", "64.99", "32.73"], ids=repr)
def test_a_users_region_must_be_a_kabupaten_or_kota(session, region):
    with pytest.raises(ValidationError) as refused:
        new_user(session, region_code=region)

    assert refused.value.fields["region_code"][0].params == {"code": region}


@pytest.mark.parametrize("region", [None, "64.02", "64.72"])
def test_a_user_covers_the_whole_province_or_one_kabupaten(session, region):
    user = new_user(session, region_code=region)

    assert user.covers("64.02") is (region in (None, "64.02"))
    assert user.covers("64.72") is (region in (None, "64.72"))


def test_authentication_needs_the_right_password_and_an_active_account(session):
    user = new_user(session)

    assert authenticate(session, "RINA.W", GOOD_PASSWORD) is user
    assert user.last_login_at is not None
    assert authenticate(session, "rina.w", GOOD_PASSWORD + "x") is None
    assert authenticate(session, "nobody", GOOD_PASSWORD) is None
    user.active = False
    assert authenticate(session, "rina.w", GOOD_PASSWORD) is None


# --- API tokens ---------------------------------------------------------------------------


def test_an_issued_token_identifies_its_user_and_only_its_hash_is_kept(session):
    user = new_user(session)

    raw = issue_token(session, user, label="SIKS-NG sync")

    assert user_for_token(session, raw) is user
    stored = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (stored.token_hash, stored.label)
    assert stored.last_used_at is not None


def test_reading_with_a_token_records_its_use_at_most_every_five_minutes(session):
    user = new_user(session)
    raw = issue_token(session, user, label="SIKS-NG sync")
    start = clock.now()
    with clock.frozen(start):
        user_for_token(session, raw)
    stored = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.last_used_at == start
    with clock.frozen(start + timedelta(minutes=4)):
        user_for_token(session, raw)
    assert stored.last_used_at == start  # no write for a read moments later
    with clock.frozen(start + timedelta(minutes=5)):
        user_for_token(session, raw)
    assert stored.last_used_at == start + timedelta(minutes=5)


def test_an_unknown_token_identifies_nobody(session):
    new_user(session)
    assert user_for_token(session, "bdy_not-a-real-token") is None


def test_an_expired_token_is_refused(session):
    user = new_user(session)
    raw = issue_token(session, user, days=1)

    with clock.frozen(clock.now() + timedelta(days=1, seconds=1)):
        assert user_for_token(session, raw) is None
    with clock.frozen(clock.now() + timedelta(hours=23)):
        assert user_for_token(session, raw) is user


def test_a_revoked_token_is_refused(session):
    user = new_user(session)
    raw = issue_token(session, user)
    other = issue_token(session, user)

    assert revoke_tokens(session, user) == 2
    session.flush()

    assert user_for_token(session, raw) is None
    assert user_for_token(session, other) is None
    assert revoke_tokens(session, user) == 0


def test_a_token_of_a_deactivated_user_is_refused(session):
    user = new_user(session)
    raw = issue_token(session, user)
    user.active = False

    assert user_for_token(session, raw) is None


def test_a_token_must_be_valid_for_at_least_a_day(session):
    with pytest.raises(ValidationError) as refused:
        issue_token(session, new_user(session), days=0)

    assert set(refused.value.fields) == {"days"}
