"""The case list at a million cases: name search keys and the list's indexes

persons.name_key and groups.name_key hold the lowercased name (single spaces) so that a
name prefix search is an indexed range (LIKE 'abc%' with the pattern operator class on
PostgreSQL); existing rows are backfilled from the names. A kabupaten's cases newest first
read (regency_code, id), and the case number prefix search gets a pattern index.

Revision ID: e5c1a4b6d7f8
Revises: f6a7b8c9d0e1
Create Date: 2026-11-28 01:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5c1a4b6d7f8"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None

BATCH = 5_000
NAMES = (("persons", "full_name"), ("groups", "name"))


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


def _backfill(table: str, source: str) -> None:
    """name_key from the name, in batches of ids (Python lower(): SQLite's is ASCII only)."""
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {source} FROM {table} WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        conn.execute(
            sa.text(f"UPDATE {table} SET name_key = :key WHERE id = :id"),
            [{"key": _key(name or ""), "id": row_id} for row_id, name in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    for table, source in NAMES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("name_key", sa.String(length=120), nullable=True))
        _backfill(table, source)
        with op.batch_alter_table(table) as batch:
            batch.alter_column("name_key", existing_type=sa.String(length=120), nullable=False)
        op.create_index(
            f"ix_{table}_name_key",
            table,
            ["name_key"],
            postgresql_ops={"name_key": "varchar_pattern_ops"},
        )
    op.create_index("ix_cases_regency_id", "cases", ["regency_code", "id"])
    op.create_index(
        "ix_cases_number_pattern",
        "cases",
        ["number"],
        postgresql_ops={"number": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_cases_number_pattern", table_name="cases")
    op.drop_index("ix_cases_regency_id", table_name="cases")
    for table, _source in reversed(NAMES):
        op.drop_index(f"ix_{table}_name_key", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("name_key")
