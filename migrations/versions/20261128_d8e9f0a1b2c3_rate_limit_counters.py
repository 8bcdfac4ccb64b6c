"""Rate limit counters in the database, shared by every worker and host

Revision ID: d8e9f0a1b2c3
Revises: 00b59bb32335
Create Date: 2026-11-28 14:20:00

The ``berdaya+db://`` storage of web/limits.py keeps one row per limit and caller (fixed
window: a count and when it ends), so that a limit of 5 logins a minute is 5 for the whole
deployment, not 5 per gunicorn worker. Rows of ended windows are deleted by the scheduler.
"""

import sqlalchemy as sa
from alembic import op

revision = "d8e9f0a1b2c3"
down_revision = "00b59bb32335"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index("ix_rate_limit_counters_expires_at", "rate_limit_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counters_expires_at", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
