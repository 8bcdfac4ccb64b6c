"""Running the Alembic migrations in tests, on a brand-new empty database of the suite's kind:
a temporary SQLite file, or on PostgreSQL a schema of its own (created and dropped here), so
the suite's database is never touched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from web.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()  # no ini file: leave pytest's logging alone
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@contextmanager
def empty_database(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of the same kind as ``database_url``."""
    if make_url(database_url).get_backend_name() != "postgresql":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        try:
            yield engine
        finally:
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


def migrate(engine: Engine, action: str, revision: str) -> None:
    """``alembic <action> <revision>`` (upgrade or downgrade) on ``engine``, in one transaction."""
    config = alembic_config()
    with engine.connect() as connection:  # migrations/env.py begins and commits
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
