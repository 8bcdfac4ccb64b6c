"""``flask backup`` and ``flask restore``: the whole database and the stored files in one
archive, restorable on SQLite or PostgreSQL (casework/backup.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import Engine, inspect

from casework import backup as archive
from casework.backup import BackupError
from web.db import db

ROOT = Path(__file__).resolve().parent.parent


def stored_directories() -> dict[str, Path]:
    """The directories whose files belong in a backup: uploads and letters."""
    config = current_app.config
    found = {"uploads": Path(config["UPLOAD_DIR"])}
    if config.get("LETTER_DIR"):
        found["letters"] = Path(config["LETTER_DIR"])
    return found


def _engine() -> Engine:
    if db.engine is None:
        raise click.ClickException("the database is not configured")
    return db.engine


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Write the database and stored files to TARGET (a .tar.gz)."""
    manifest = archive.backup(_engine(), target, stored_directories())
    rows = sum(manifest.tables.values())
    click.echo(
        f"{target}: {rows:,} rows in {len(manifest.tables)} tables, {len(manifest.files)} files"
    )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the data of a database that is not empty.")
def restore_command(source: Path, force: bool) -> None:
    """Restore SOURCE into this database (migrated to the archive's revision first)."""
    engine = _engine()
    manifest = archive.read_manifest(source)
    if "alembic_version" not in inspect(engine).get_table_names():
        revision = manifest.revision or "heads"
        revisions = revision.split(",")
        upgrade(
            directory=os.path.join(ROOT, "migrations"),
            revision=revisions[0] if len(revisions) == 1 else "heads",
        )
    try:
        archive.restore(engine, source, stored_directories(), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {sum(manifest.tables.values()):,} rows and {len(manifest.files)} files")
