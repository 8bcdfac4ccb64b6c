"""Covering indexes for the overdue dashboard's GROUP BYs

Per program and fiscal year, and per assignee, the dashboard counts cases by state and
deadline; with (…, state, due_at) in the index it reads the index alone. The old
(program_id, fiscal_year) index is a prefix of the new one and goes.

Revision ID: b6e2f3a4c5d6
Revises: a5d1e2f3b4c5
Create Date: 2026-11-27 23:40:00

"""

from alembic import op

revision = "b6e2f3a4c5d6"
down_revision = "a5d1e2f3b4c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_program_year_state_due",
        "cases",
        ["program_id", "fiscal_year", "state", "due_at"],
    )
    op.create_index("ix_cases_assignee_state_due", "cases", ["assignee_id", "state", "due_at"])
    op.drop_index("ix_cases_program_year", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_program_year", "cases", ["program_id", "fiscal_year"])
    op.drop_index("ix_cases_assignee_state_due", table_name="cases")
    op.drop_index("ix_cases_program_year_state_due", table_name="cases")
