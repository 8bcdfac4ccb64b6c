"""Backup and restore: one tar.gz with a manifest, the database as portable JSON lines,
and the stored files (uploads, letters).

The dump goes through SQLAlchemy Core on the *reflected* schema, table by table in
dependency order, so an archive made on SQLite restores on PostgreSQL and back. The
manifest holds the schema revision, the row count of every table and the SHA-256 of every
file; restore checks all three and refuses a database that already holds data (unless
``force``), so nothing is half-restored silently.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import Date, DateTime, LargeBinary, Numeric, Time

from casework import clock

FORMAT = 1
MANIFEST = "manifest.json"
VERSION_TABLE = "alembic_version"
# A database with rows in any of these is not empty (migrations seed other tables).
RECORD_TABLES = frozenset({"users", "regions", "persons", "groups", "cases", "decrees"})


class BackupError(Exception):
    """The archive cannot be restored here (wrong data, non-empty database, bad hash)."""


@dataclass
class Manifest:
    revision: str | None
    dialect: str
    created_at: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # archive path -> sha256
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {data.get('format')!r}")
        return cls(**data)


# --- values -----------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Time):
        return time.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, Numeric) and isinstance(value, str):
        return Decimal(value)
    return value


# --- database ---------------------------------------------------------------------------


def _reflect(conn: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return metadata


def _data_tables(metadata: MetaData) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


def _revision(conn: Connection, metadata: MetaData) -> str | None:
    if VERSION_TABLE not in metadata.tables:
        return None
    revisions = sorted(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    return ",".join(revisions) or None


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(select(table).order_by(*order)).mappings():
        yield {key: _encode(value) for key, value in row.items()}


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows per table (every table but Alembic's)."""
    metadata = _reflect(conn)
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in _data_tables(metadata)
    }


# --- files ------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(directories: Mapping[str, Path]) -> dict[str, str]:
    """``files/<name>/<relative path>`` -> sha256 for every file under each directory."""
    hashes = {}
    for name, root in directories.items():
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hashes[f"files/{name}/{path.relative_to(root).as_posix()}"] = sha256_of(path)
    return hashes


def _add_bytes(archive: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(payload))


# --- backup -----------------------------------------------------------------------------


def backup(engine: Engine, target: Path, directories: Mapping[str, Path]) -> Manifest:
    """Write the database and the files under ``directories`` to the tar.gz ``target``.

    The dump runs in one transaction (one consistent snapshot on PostgreSQL).
    """
    with engine.connect() as conn, conn.begin():
        metadata = _reflect(conn)
        manifest = Manifest(
            revision=_revision(conn, metadata),
            dialect=engine.dialect.name,
            created_at=clock.now().isoformat(),
        )
        with tarfile.open(target, "w:gz") as archive:
            for table in _data_tables(metadata):
                lines = [json.dumps(row, sort_keys=True) for row in _rows(conn, table)]
                manifest.tables[table.name] = len(lines)
                payload = ("\n".join(lines) + "\n" if lines else "").encode()
                _add_bytes(archive, f"db/{table.name}.jsonl", payload)
            manifest.files = file_hashes(directories)
            for name, root in directories.items():
                if root.is_dir():
                    archive.add(root, arcname=f"files/{name}", recursive=True)
            _add_bytes(archive, MANIFEST, manifest.to_json())
    return manifest


# --- restore ----------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    with tarfile.open(source, "r:gz") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError("the archive has no manifest")
        return Manifest.from_json(member.read())


def _check_empty(conn: Connection, tables: list[Table], force: bool) -> None:
    """Refuse a database holding records (migrations' own seed rows do not count), then
    clear every table so the archive's rows replace them."""
    held = [t for t in tables if t.name in RECORD_TABLES]
    filled = [t.name for t in held if conn.execute(select(func.count()).select_from(t)).scalar()]
    if filled and not force:
        raise BackupError(
            "the database already holds data (" + ", ".join(filled) + "); use --force"
        )
    for table in reversed(tables):
        if conn.execute(select(func.count()).select_from(table)).scalar():
            try:
                with conn.begin_nested():
                    conn.execute(table.delete())
            except DBAPIError as refused:  # an append-only table (audit log, case events)
                raise BackupError(
                    f"{table.name} is append-only and cannot be cleared; "
                    "restore into a new, empty database"
                ) from refused


def _load_table(conn: Connection, table: Table, payload: bytes) -> int:
    types = {c.name: c.type for c in table.columns}
    rows = [
        {key: _decode(value, types[key]) for key, value in json.loads(line).items()}
        for line in payload.decode().splitlines()
        if line
    ]
    for start in range(0, len(rows), 1000):
        conn.execute(table.insert(), rows[start : start + 1000])
    return len(rows)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: move each serial's sequence past the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence:
                conn.execute(
                    text(
                        f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"s": sequence},
                )


def _safe_member(name: str, prefix: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name.startswith(prefix):
        raise BackupError(f"unsafe path in the archive: {name}")
    return path


def _restore_files(
    archive: tarfile.TarFile, manifest: Manifest, directories: Mapping[str, Path]
) -> None:
    for name, expected_hash in manifest.files.items():
        path = _safe_member(name, "files/")
        key, relative = path.parts[1], PurePosixPath(*path.parts[2:])
        if key not in directories:
            raise BackupError(f"no directory configured for {key!r}")
        member = archive.extractfile(name)
        if member is None:
            raise BackupError(f"missing file {name}")
        payload = member.read()
        if hashlib.sha256(payload).hexdigest() != expected_hash:
            raise BackupError(f"hash mismatch for {name}")
        target = directories[key] / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)


def restore(
    engine: Engine, source: Path, directories: Mapping[str, Path], *, force: bool = False
) -> Manifest:
    """Load the archive into ``engine``'s database (schema already at the archive's revision)
    and its files into ``directories``; all rows in one transaction, counts checked."""
    manifest = read_manifest(source)
    with tarfile.open(source, "r:gz") as archive, engine.connect() as conn:
        with conn.begin():
            metadata = _reflect(conn)
            revision = _revision(conn, metadata)
            if revision != manifest.revision:
                raise BackupError(
                    f"the database is at revision {revision}, the archive at {manifest.revision}"
                )
            tables = _data_tables(metadata)
            missing = set(manifest.tables) - {t.name for t in tables}
            if missing:
                raise BackupError("tables missing here: " + ", ".join(sorted(missing)))
            _check_empty(conn, tables, force)
            for table in tables:
                if table.name not in manifest.tables:
                    continue
                member = archive.extractfile(f"db/{table.name}.jsonl")
                if member is None:
                    raise BackupError(f"missing table dump {table.name}")
                loaded = _load_table(conn, table, member.read())
                wanted = manifest.tables[table.name]
                if loaded != wanted:
                    raise BackupError(f"{table.name}: {loaded} rows, the manifest says {wanted}")
            _reset_sequences(conn, tables)
            counts = row_counts(conn)
            differing = {k for k, v in manifest.tables.items() if counts.get(k) != v}
            if differing:
                raise BackupError("row counts differ: " + ", ".join(sorted(differing)))
        _restore_files(archive, manifest, directories)
    return manifest
