"""Add the approved state (pokir quota and budget committed, awaiting the decree)

Revision ID: c0a1b2c3d4e5
Revises: 5f8a76bf5cb7
Create Date: 2026-11-27 23:05:00

"""

from alembic import op

revision = "c0a1b2c3d4e5"
down_revision = "5f8a76bf5cb7"
branch_labels = None
depends_on = None

OLD = (
    "'draft', 'submitted', 'admin_verification', 'dtsen_check', 'field_assessment', "
    "'recommended', 'pokir_review', 'decreed', 'procurement', 'delivered', "
    "'awaiting_report', 'monitoring', 'closed', 'non_compliant', 'returned', 'rejected', "
    "'cancelled'"
)
NEW = OLD.replace("'pokir_review', ", "'pokir_review', 'approved', ")


def _replace_check(states: str) -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("ck_cases_state_known"), type_="check")
        batch.create_check_constraint("state_known", f"state IN ({states})")


def upgrade():
    _replace_check(NEW)


def downgrade():
    op.execute("UPDATE cases SET state = 'pokir_review' WHERE state = 'approved'")
    _replace_check(OLD)
