"""The personal-data migration encrypts clear rows already in a database, and gives them back
on downgrade (a database of its own, never the suite's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from casework import privacy
from web.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
BEFORE, AFTER = "f5e6d7c8b9a0", "b2f8d1e3c4a5"
NIK, KK = "6402084506850001", "6402080101010001"


@pytest.fixture()
def fresh(database_url: str, tmp_path: Path, app) -> Iterator[Engine]:
    if make_url(database_url).get_backend_name() != "postgresql":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"privacy_migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


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
    _migrate(fresh, "upgrade", BEFORE)
    _seed_clear_person(fresh)
    _migrate(fresh, "upgrade", AFTER)
    with fresh.connect() as conn:
        nik, kk, nik_hash = conn.execute(
            text("SELECT nik, kk_number, nik_hash FROM persons WHERE id = 1")
        ).one()
    assert NIK not in nik and KK not in kk
    assert privacy.decrypt("nik", nik) == NIK and privacy.decrypt("kk_number", kk) == KK
    assert nik_hash == privacy.blind_index("nik", NIK)
    _migrate(fresh, "downgrade", BEFORE)
    with fresh.connect() as conn:
        assert tuple(conn.execute(text("SELECT nik, kk_number FROM persons")).one()) == (NIK, KK)
