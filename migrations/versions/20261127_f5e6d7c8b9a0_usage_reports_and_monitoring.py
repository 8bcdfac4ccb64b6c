"""Usage reports (LPJ), monitoring visits (monev) and the follow-up rules per program

Revision ID: f5e6d7c8b9a0
Revises: e4d5c6b7a8f9
Create Date: 2026-11-27 23:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f5e6d7c8b9a0"
down_revision = "e4d5c6b7a8f9"
branch_labels = None
depends_on = None


def _followup_rules() -> None:
    op.create_table(
        "followup_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("report_due_month", sa.Integer(), nullable=False),
        sa.Column("report_due_day", sa.Integer(), nullable=False),
        sa.Column("visit_offsets", sa.String(length=60), nullable=False),
        sa.CheckConstraint(
            "report_due_day BETWEEN 1 AND 28", name=op.f("ck_followup_rules_day_range")
        ),
        sa.CheckConstraint(
            "report_due_month BETWEEN 1 AND 12", name=op.f("ck_followup_rules_month_range")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_followup_rules_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_rules")),
        sa.UniqueConstraint("program_id", name=op.f("uq_followup_rules_program_id")),
    )


def _monitoring_visits() -> None:
    op.create_table(
        "monitoring_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("offset_months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column(
            "business_status",
            sa.Enum(
                "active",
                "growing",
                "stopped",
                name="businessstatus",
                native_enum=False,
                length=10,
            ),
            nullable=True,
        ),
        sa.Column("monthly_income", sa.BigInteger(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("photo_name", sa.String(length=255), nullable=True),
        sa.Column("photo_stored_name", sa.String(length=64), nullable=True),
        sa.Column("photo_content_type", sa.String(length=40), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "monthly_income IS NULL OR monthly_income >= 0",
            name=op.f("ck_monitoring_visits_income_not_negative"),
        ),
        sa.CheckConstraint("offset_months > 0", name=op.f("ck_monitoring_visits_offset_positive")),
        sa.CheckConstraint(
            "visited_on IS NULL OR (business_status IS NOT NULL AND monthly_income IS NOT NULL)",
            name=op.f("ck_monitoring_visits_done_visit_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_monitoring_visits_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_monitoring_visits_officer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_visits")),
        sa.UniqueConstraint(
            "case_id",
            "offset_months",
            name=op.f("uq_monitoring_visits_case_id_offset_months"),
        ),
        sa.UniqueConstraint(
            "photo_stored_name", name=op.f("uq_monitoring_visits_photo_stored_name")
        ),
    )
    with op.batch_alter_table("monitoring_visits") as batch:
        batch.create_index(batch.f("ix_monitoring_visits_case_id"), ["case_id"], unique=False)
        batch.create_index(batch.f("ix_monitoring_visits_due_on"), ["due_on"], unique=False)


def _usage_reports() -> None:
    op.create_table(
        "usage_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("income_before", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "accepted",
                "sent_back",
                name="reportstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'sent_back' OR review_note IS NOT NULL",
            name=op.f("ck_usage_reports_send_back_has_reason"),
        ),
        sa.CheckConstraint(
            "status = 'submitted' OR reviewed_by_id IS NOT NULL",
            name=op.f("ck_usage_reports_review_has_reviewer"),
        ),
        sa.CheckConstraint("income_before >= 0", name=op.f("ck_usage_reports_income_not_negative")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_usage_reports_not_empty")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_usage_reports_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name=op.f("fk_usage_reports_received_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_usage_reports_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_reports")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_usage_reports_stored_name")),
    )
    with op.batch_alter_table("usage_reports") as batch:
        batch.create_index(batch.f("ix_usage_reports_case_id"), ["case_id"], unique=False)


def upgrade() -> None:
    _followup_rules()
    _monitoring_visits()
    _usage_reports()


def downgrade() -> None:
    with op.batch_alter_table("usage_reports") as batch:
        batch.drop_index(batch.f("ix_usage_reports_case_id"))
    op.drop_table("usage_reports")
    with op.batch_alter_table("monitoring_visits") as batch:
        batch.drop_index(batch.f("ix_monitoring_visits_due_on"))
        batch.drop_index(batch.f("ix_monitoring_visits_case_id"))
    op.drop_table("monitoring_visits")
    op.drop_table("followup_rules")
