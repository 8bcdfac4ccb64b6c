"""``flask backup`` / ``flask restore`` round-trip: identical row counts and file hashes,
on the suite's database kind (SQLite file, or a fresh PostgreSQL database), through the
real command line in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from casework.backup import file_hashes, read_manifest, row_counts
from casework.models import CaseState, Role
from casework.services.reference import ensure_reference_data
from casework.services.regions import load_regions
from casework.storage import DocumentStore
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture()
def database_urls(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of the suite's kind: the source and the restore target."""
    choice = os.environ.get("BERDAYA_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'copy.sqlite3'}"
        return
    base = make_url(choice)
    names = [f"{base.database}_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        _admin(choice, f'CREATE DATABASE "{name}"')
    try:
        yield tuple(  # type: ignore[misc]
            base.set(database=name).render_as_string(hide_password=False) for name in names
        )
    finally:
        for name in names:
            _admin(choice, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(instance: Path, url: str, *args: str) -> str:
    env = {
        **os.environ,
        "BERDAYA_DATABASE_URL": url,
        "BERDAYA_INSTANCE_DIR": str(instance),
        "BERDAYA_UPLOAD_DIR": str(instance / "uploads"),
        "BERDAYA_LETTER_DIR": str(instance / "letters"),
        "BERDAYA_SECRET_KEY": "backup-test",
        "BERDAYA_SCHEDULER": "0",
    }
    done = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def seed(url: str, uploads: Path) -> None:
    """Regions, programs, users and two recommended cases (with their stored documents)."""
    engine = create_engine(url)
    with Session(engine, autoflush=False, expire_on_commit=False) as session:
        load_regions(session, ROOT / "data" / "regions")
        ensure_reference_data(session)
        users = {role.value: factories.make_user(session, role) for role in Role}
        store = DocumentStore(str(uploads), 10 * 1024 * 1024)
        for village in (factories.KOTA_BANGUN_LIANG, factories.SAMARINDA_VILLAGE):
            case = factories.make_case(session, users["caseworker"], village=village)
            factories.drive_to(
                session, case, CaseState.RECOMMENDED, actors=factories.actors(users), store=store
            )
        session.commit()
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = row_counts(conn)
    engine.dispose()
    return found


def test_a_backup_restores_into_an_empty_database_with_identical_counts_and_files(
    app: Flask, tmp_path: Path, database_urls: tuple[str, str]
) -> None:
    """(``app`` configures the process's privacy keys the factories encrypt with.)"""
    source_url, copy_url = database_urls
    source, copy = tmp_path / "source", tmp_path / "copy"
    flask(source, source_url, "db", "upgrade", "heads")
    seed(source_url, source / "uploads")
    letter = source / "letters" / "2026" / "sk-001.pdf"
    letter.parent.mkdir(parents=True, exist_ok=True)
    letter.write_bytes(b"%PDF-1.7 a letter\n")
    archive = tmp_path / "berdaya.tar.gz"

    flask(source, source_url, "backup", str(archive))
    flask(copy, copy_url, "restore", str(archive))

    manifest = read_manifest(archive)
    assert manifest.tables["cases"] == 2
    assert counts(copy_url) == counts(source_url) == manifest.tables
    directories = {"uploads": source / "uploads", "letters": source / "letters"}
    restored = {"uploads": copy / "uploads", "letters": copy / "letters"}
    assert file_hashes(restored) == file_hashes(directories) == manifest.files
    assert any(name.startswith("files/uploads/") for name in manifest.files)


def test_restore_refuses_a_database_that_already_holds_data(
    tmp_path: Path, database_urls: tuple[str, str]
) -> None:
    source_url, _ = database_urls
    instance = tmp_path / "instance"
    flask(instance, source_url, "db", "upgrade", "heads")
    flask(instance, source_url, "regions", "load")
    archive = tmp_path / "regions.tar.gz"
    flask(instance, source_url, "backup", str(archive))
    before = counts(source_url)

    env_run = subprocess.run(
        [*FLASK, "restore", str(archive)],
        cwd=ROOT,
        env={
            **os.environ,
            "BERDAYA_DATABASE_URL": source_url,
            "BERDAYA_INSTANCE_DIR": str(instance),
            "BERDAYA_SECRET_KEY": "backup-test",
            "BERDAYA_SCHEDULER": "0",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert env_run.returncode != 0
    assert "already holds data" in env_run.stderr
    assert counts(source_url) == before
