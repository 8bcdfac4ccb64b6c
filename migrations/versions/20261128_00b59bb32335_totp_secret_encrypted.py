"""TOTP secrets encrypted at rest, like NIK and account numbers (casework/privacy.py)

Revision ID: 00b59bb32335
Revises: c3a9e2f4d5b6
Create Date: 2026-11-28 12:00:00

``users.totp_secret`` becomes an AES-GCM token (``v1:<key id>:…``, 200 characters like the
other encrypted columns) under the newest key the app configured (BERDAYA_DATA_KEYS);
the downgrade decrypts it back. The column is swapped (add a new one, copy, drop the old
one, rename) rather than altered, because on SQLite an alteration copies the whole users
table, and dropping the old table fails on every row another table refers to. A value
already encrypted is kept as it is.
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from casework import privacy

revision = "00b59bb32335"
down_revision = "c3a9e2f4d5b6"
branch_labels = None
depends_on = None

KIND = COLUMN = "totp_secret"
SPARE = "totp_secret_swap"
ENCRYPTED = sa.String(length=privacy.ENCRYPTED_LENGTH)
CLEAR = sa.String(length=64)


def _swap(new_type: sa.String, convert: Callable[[str], str]) -> None:
    """Replace the column by one of ``new_type`` holding ``convert`` of each secret."""
    op.add_column("users", sa.Column(SPARE, new_type, nullable=True))
    users = sa.table(
        "users", sa.column("id", sa.Integer), sa.column(COLUMN, sa.String), sa.column(SPARE)
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c[COLUMN]).where(users.c[COLUMN].is_not(None)))
    for user_id, value in rows.all():  # staff accounts: a few hundred at most
        conn.execute(users.update().where(users.c.id == user_id).values({SPARE: convert(value)}))
    op.drop_column("users", COLUMN)
    op.alter_column("users", SPARE, new_column_name=COLUMN, existing_type=new_type)


def _encrypt(value: str) -> str:
    return value if privacy.is_encrypted(value) else privacy.encrypt(KIND, value)


def _decrypt(value: str) -> str:
    return privacy.decrypt(KIND, value) if privacy.is_encrypted(value) else value


def upgrade() -> None:
    _swap(ENCRYPTED, _encrypt)


def downgrade() -> None:
    _swap(CLEAR, _decrypt)
