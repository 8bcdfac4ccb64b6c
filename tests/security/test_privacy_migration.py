"""The personal-data migration encrypts clear rows already in a database, and gives them back
on downgrade (a database of its own, never the suite's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlalchemy import Engine, text

from casework import privacy
from tests.migration_support import empty_database, migrate

BEFORE, AFTER = "f5e6d7c8b9a0", "b2f8d1e3c4a5"
BEFORE_TOTP, AFTER_TOTP = "c3a9e2f4d5b6", "00b59bb32335"
NIK, KK = "6402084506850001", "6402080101010001"


@pytest.fixture()
def fresh(database_url: str, tmp_path: Path, app: Flask) -> Iterator[Engine]:
    """An empty database of its own (``app``: the privacy keys are configured)."""
    with empty_database(database_url, tmp_path) as engine:
        yield engine


def _seed_clear_person(engine: Engine) -> None:
    with engine.begin() as conn:
        for code, parent, level in (
            ("64", None, "province"),
            ("64.02", "64", "regency"),
            ("64.02.08", "64.02", "district"),
            ("64.02.08.2007", "64.02.08", "village"),
        ):
            conn.execute(
                text(
                    "INSERT INTO regions (code, parent_code, level, name) VALUES (:c, :p, :l, :c)"
                ),
                {"c": code, "p": parent, "l": level, "n": f"Wilayah {code}"},
            )
        conn.execute(
            text(
                "INSERT INTO persons (id, nik, kk_number, full_name, sex, birth_place, birth_date,"
                " marital_status, is_breadwinner, address, village_code, regency_code, phone,"
                " created_at) VALUES (1, :nik, :kk, 'Siti', 'P', '', '1985-06-05', 'kawin',"
                " true, '', '64.02.08.2007', '64.02', '', '2026-01-01 00:00:00')"
            ),
            {"nik": NIK, "kk": KK},
        )


def test_the_migration_encrypts_existing_clear_numbers_and_the_downgrade_restores_them(fresh):
    migrate(fresh, "upgrade", BEFORE)
    _seed_clear_person(fresh)
    migrate(fresh, "upgrade", AFTER)
    with fresh.connect() as conn:
        nik, kk, nik_hash = conn.execute(
            text("SELECT nik, kk_number, nik_hash FROM persons WHERE id = 1")
        ).one()
    assert NIK not in nik and KK not in kk
    assert privacy.decrypt("nik", nik) == NIK and privacy.decrypt("kk_number", kk) == KK
    assert nik_hash == privacy.blind_index("nik", NIK)
    migrate(fresh, "downgrade", BEFORE)
    with fresh.connect() as conn:
        assert tuple(conn.execute(text("SELECT nik, kk_number FROM persons")).one()) == (NIK, KK)


def _seed_clear_totp_user(engine: Engine, secret: str) -> None:
    """A manager with a clear TOTP secret, as the login-protection migration left it, and an
    API token of his (a row of another table that refers to the user)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, full_name, password_hash, role, active, locale,"
                " created_at, failed_logins, totp_secret) VALUES (7, 'kabid', 'Kabid', 'x',"
                " 'manager', true, 'id', '2026-01-01 00:00:00', 0, :secret)"
            ),
            {"secret": secret},
        )
        conn.execute(
            text(
                "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at, expires_at)"
                " VALUES (1, 7, :hash, 'ci', '2026-01-01 00:00:00', '2027-01-01 00:00:00')"
            ),
            {"hash": "0" * 64},
        )


def _stored_secret(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT totp_secret FROM users WHERE id = 7")).scalar_one())


def test_the_totp_migration_encrypts_existing_secrets_and_the_downgrade_restores_them(fresh):
    secret = pyotp.random_base32()
    migrate(fresh, "upgrade", BEFORE_TOTP)
    _seed_clear_totp_user(fresh, secret)
    migrate(fresh, "upgrade", AFTER_TOTP)
    stored = _stored_secret(fresh)
    assert secret not in stored and privacy.is_encrypted(stored)
    assert privacy.decrypt("totp_secret", stored) == secret
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT user_id FROM api_tokens")).scalar_one() == 7
    migrate(fresh, "downgrade", BEFORE_TOTP)
    assert _stored_secret(fresh) == secret
