"""The migrations: one head, they build exactly the models' schema, and they go down and up.

Each test gets a brand-new empty database (tests/migration_support.py), so the suite's
database is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from casework.models import Base
from tests.migration_support import alembic_config, empty_database, migrate


@pytest.fixture()
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    with empty_database(database_url, tmp_path) as engine:
        yield engine


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would put in a new migration (same options as migrations/env.py)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_there_is_exactly_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_every_revision_file_is_dated_and_chained_to_one_base():
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions if r.down_revision is None] == [revisions[-1].revision]
    for revision in revisions:
        name = Path(revision.path).name
        assert name[:8].isdigit() and name[8] == "_", name


def test_upgrading_an_empty_database_builds_exactly_the_models_schema(empty_engine):
    assert tables(empty_engine) == set()

    migrate(empty_engine, "upgrade", "head")

    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences(empty_engine) == []


def test_downgrading_to_base_and_upgrading_again_works(empty_engine):
    migrate(empty_engine, "upgrade", "head")

    migrate(empty_engine, "downgrade", "base")
    assert tables(empty_engine) <= {"alembic_version"}

    migrate(empty_engine, "upgrade", "head")
    assert differences(empty_engine) == []
    with empty_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert current == tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_database_with_people_in_groups_upgrades_to_head_keeping_every_row(empty_engine, app):
    """On SQLite an altered table is copied and the old one dropped: with people that group
    memberships refer to, that failed on foreign keys before migrations/env.py turned them off
    around the upgrade (and checked every reference before commit)."""
    from sqlalchemy import text

    from tests.security.test_privacy_migration import BEFORE, _seed_clear_person

    migrate(empty_engine, "upgrade", BEFORE)
    _seed_clear_person(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO groups (id, name, village_code, regency_code, created_at)"
                " VALUES (1, 'Maju Bersama', '64.02.08.2007', '64.02', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO group_members (id, group_id, person_id, role)"
                " VALUES (1, 1, 1, 'ketua')"
            )
        )

    migrate(empty_engine, "upgrade", "head")

    with empty_engine.connect() as conn:
        member = conn.execute(text("SELECT group_id, person_id FROM group_members")).one()
        persons = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    assert tuple(member) == (1, 1) and persons == 1
    assert differences(empty_engine) == []
