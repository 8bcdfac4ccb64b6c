"""The migrations: one head, they build exactly the models' schema, and they go down and up.

Each test gets a brand-new empty database: a temporary SQLite file, or on PostgreSQL a
schema of its own (created and dropped here), so the suite's database is never touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from casework.models import Base
from web.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()  # no ini file: leave pytest's logging alone
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@pytest.fixture()
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of the suite's kind."""
    if make_url(database_url).get_backend_name() != "postgresql":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"migration_test_{uuid.uuid4().hex[:12]}"
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


def run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


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

    run(empty_engine, "upgrade", "head")

    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences(empty_engine) == []


def test_downgrading_to_base_and_upgrading_again_works(empty_engine):
    run(empty_engine, "upgrade", "head")

    run(empty_engine, "downgrade", "base")
    assert tables(empty_engine) <= {"alembic_version"}

    run(empty_engine, "upgrade", "head")
    assert differences(empty_engine) == []
    with empty_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert current == tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
