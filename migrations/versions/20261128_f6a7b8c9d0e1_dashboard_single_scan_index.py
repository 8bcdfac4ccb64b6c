"""One covering index for the overdue dashboard's single grouped scan

The dashboard now reads every figure (kabupaten/kota × state, ageing, workload, program ×
year, pokir line) from one GROUP BY over (regency_code, state, program_id, fiscal_year,
assignee_id, pokir_line_id) with the deadline; this index covers it. The old
(regency_code, state) index is its prefix and goes.

Revision ID: f6a7b8c9d0e1
Revises: f5e6d7c8b9a0
Create Date: 2026-11-28 02:00:00

"""

from alembic import op

revision = "f6a7b8c9d0e1"
down_revision = "f5e6d7c8b9a0"
branch_labels = None
depends_on = None

COLUMNS = [
    "regency_code",
    "state",
    "program_id",
    "fiscal_year",
    "assignee_id",
    "pokir_line_id",
    "due_at",
]


def upgrade() -> None:
    op.create_index("ix_cases_dashboard", "cases", COLUMNS)
    op.drop_index("ix_cases_regency_state", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_regency_state", "cases", ["regency_code", "state"])
    op.drop_index("ix_cases_dashboard", table_name="cases")
