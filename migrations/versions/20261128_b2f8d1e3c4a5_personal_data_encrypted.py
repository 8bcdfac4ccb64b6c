"""Personal data encrypted at rest: NIK, KK and account numbers; keyed hashes; reveal log

Revision ID: b2f8d1e3c4a5
Revises: e5c1a4b6d7f8
Create Date: 2026-11-28 09:00:00

The data step encrypts existing clear values in batches with the keyring the app configured
(casework/privacy.py, from BERDAYA_DATA_KEYS / BERDAYA_HMAC_KEY); values already encrypted
are left alone, so a re-run after an interruption is safe.
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from casework import privacy

revision = "b2f8d1e3c4a5"
down_revision = "e5c1a4b6d7f8"
branch_labels = None
depends_on = None

BATCH = 1000
ENCRYPTED = sa.String(length=200)
CLEAR_PERSON = sa.String(length=16)
CLEAR_ACCOUNT = sa.String(length=34)
ACCOUNT_TABLES = ("beneficiary_accounts", "payments")


def _rewrite(
    name: str, columns: tuple[str, ...], change: Callable[[sa.Row], dict[str, str]]
) -> None:
    """Apply ``change`` (row -> new values) to every row of ``name``, in id batches."""
    conn = op.get_bind()
    table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.String) for c in columns))
    last = 0
    while True:
        stmt = sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        rows = conn.execute(stmt).all()
        if not rows:
            return
        for row in rows:
            values = change(row)
            if values:
                conn.execute(table.update().where(table.c.id == row.id).values(**values))
        last = rows[-1].id


def _encrypt_person(row: sa.Row) -> dict[str, str]:
    values: dict[str, str] = {}
    for column, hash_column in (("nik", "nik_hash"), ("kk_number", "kk_hash")):
        value = getattr(row, column)
        clear = privacy.decrypt(column, value) if privacy.is_encrypted(value) else value
        if not privacy.is_encrypted(value):
            values[column] = privacy.encrypt(column, clear)
        values[hash_column] = privacy.blind_index(column, clear)
    return values


def _decrypt_person(row: sa.Row) -> dict[str, str]:
    return {
        c: privacy.decrypt(c, getattr(row, c))
        for c in ("nik", "kk_number")
        if privacy.is_encrypted(getattr(row, c))
    }


def _encrypt_account(row: sa.Row) -> dict[str, str]:
    value = row.account_number
    return (
        {}
        if privacy.is_encrypted(value)
        else {"account_number": privacy.encrypt("account_number", value)}
    )


def _decrypt_account(row: sa.Row) -> dict[str, str]:
    value = row.account_number
    if not privacy.is_encrypted(value):
        return {}
    return {"account_number": privacy.decrypt("account_number", value)}


def _reveal_logs() -> None:
    op.create_table(
        "reveal_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["beneficiary_accounts.id"],
            name=op.f("fk_reveal_logs_account_id_beneficiary_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_reveal_logs_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reveal_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reveal_logs")),
    )
    with op.batch_alter_table("reveal_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reveal_logs_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reveal_logs_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reveal_logs_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_reveal_logs_person_id_at", ["person_id", "at"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_persons_nik_16_digits"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_persons_kk_16_digits"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_persons_nik"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_persons_kk_number"))
        batch_op.alter_column("nik", existing_type=CLEAR_PERSON, type_=ENCRYPTED)
        batch_op.alter_column("kk_number", existing_type=CLEAR_PERSON, type_=ENCRYPTED)
        batch_op.add_column(sa.Column("nik_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("kk_hash", sa.String(length=64), nullable=True))
    _rewrite("persons", ("nik", "kk_number", "nik_hash", "kk_hash"), _encrypt_person)
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column("nik_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("kk_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_persons_nik_hash"), ["nik_hash"])
        batch_op.create_index(batch_op.f("ix_persons_kk_hash"), ["kk_hash"], unique=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_persons_nik_hash_length"), "length(nik_hash) = 64"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_persons_kk_hash_length"), "length(kk_hash) = 64"
        )
    for name in ACCOUNT_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column("account_number", existing_type=CLEAR_ACCOUNT, type_=ENCRYPTED)
        _rewrite(name, ("account_number",), _encrypt_account)
    _reveal_logs()


def downgrade() -> None:
    op.drop_table("reveal_logs")
    for name in ACCOUNT_TABLES:
        _rewrite(name, ("account_number",), _decrypt_account)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column("account_number", existing_type=ENCRYPTED, type_=CLEAR_ACCOUNT)
    _rewrite("persons", ("nik", "kk_number"), _decrypt_person)
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_persons_kk_hash_length"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_persons_nik_hash_length"), type_="check")
        batch_op.drop_index(batch_op.f("ix_persons_kk_hash"))
        batch_op.drop_constraint(batch_op.f("uq_persons_nik_hash"), type_="unique")
        batch_op.drop_column("kk_hash")
        batch_op.drop_column("nik_hash")
        batch_op.alter_column("kk_number", existing_type=ENCRYPTED, type_=CLEAR_PERSON)
        batch_op.alter_column("nik", existing_type=ENCRYPTED, type_=CLEAR_PERSON)
        batch_op.create_index(batch_op.f("ix_persons_kk_number"), ["kk_number"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_persons_nik"), ["nik"])
        batch_op.create_check_constraint(batch_op.f("ck_persons_nik_16_digits"), "length(nik) = 16")
        batch_op.create_check_constraint(
            batch_op.f("ck_persons_kk_16_digits"), "length(kk_number) = 16"
        )
