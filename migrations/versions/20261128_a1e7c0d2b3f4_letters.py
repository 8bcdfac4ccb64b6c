"""Letters: issued letters, their number sequences and the letter settings

The settings row starts with the letterhead lines, the city, the archive classification
code (400.9 = Sosial), the unit code, the number template and the signatory's position;
the address and the signatory's name and NIP are left for an administrator (issuing a
letter is refused until they are set).

Revision ID: a1e7c0d2b3f4
Revises: b2f8d1e3c4a5
Create Date: 2026-11-28 02:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a1e7c0d2b3f4"
down_revision = "b2f8d1e3c4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letter_number_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_number_sequences")),
        sa.UniqueConstraint("unit", "year", name=op.f("uq_letter_number_sequences_unit_year")),
    )
    settings = op.create_table(
        "letter_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letterhead_lines", sa.JSON(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("logo_path", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("kka", sa.String(length=20), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("number_template", sa.String(length=80), nullable=False),
        sa.Column("signatory_position", sa.String(length=200), nullable=False),
        sa.Column("signatory_name", sa.String(length=120), nullable=False),
        sa.Column("signatory_rank", sa.String(length=120), nullable=False),
        sa.Column("signatory_nip", sa.String(length=18), nullable=False),
        sa.Column("tembusan", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_letter_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_settings")),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("decree_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("template_name", sa.String(length=80), nullable=False),
        sa.Column("template_version", sa.String(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_nik_masked", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("verify_code", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_path", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reissue_reason", sa.Text(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'rendered', 'voided')", name=op.f("ck_letters_status_known")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_letters_version_positive")),
        sa.CheckConstraint(
            "status <> 'rendered' OR sha256 IS NOT NULL", name=op.f("ck_letters_rendered_has_file")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_letters_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decree_id"], ["decrees.id"], name=op.f("fk_letters_decree_id_decrees")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_letters_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["letters.id"], name=op.f("fk_letters_supersedes_id_letters")
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["users.id"], name=op.f("fk_letters_voided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_letters_supersedes_id")),
        sa.UniqueConstraint(
            "unit", "year", "seq", "version", name=op.f("uq_letters_unit_year_seq_version")
        ),
        sa.UniqueConstraint("verify_code", name=op.f("uq_letters_verify_code")),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letters_decree_id"), ["decree_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letters_number"), ["number"], unique=False)
        batch_op.create_index("ix_letters_status_id", ["status", "id"], unique=False)
    op.bulk_insert(
        settings,
        [
            {
                "letterhead_lines": ["PEMERINTAH PROVINSI KALIMANTAN TIMUR", "DINAS SOSIAL"],
                "address": "",
                "contact": "",
                "logo_path": "",
                "city": "Samarinda",
                "kka": "400.9",
                "unit_code": "Dinsos",
                "number_template": "{kka}/{seq}/{unit}/{year}",
                "signatory_position": "Kepala Dinas Sosial Provinsi Kalimantan Timur",
                "signatory_name": "",
                "signatory_rank": "",
                "signatory_nip": "",
                "tembusan": ["Gubernur Kalimantan Timur (sebagai laporan)"],
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index("ix_letters_status_id")
        batch_op.drop_index(batch_op.f("ix_letters_number"))
        batch_op.drop_index(batch_op.f("ix_letters_decree_id"))
        batch_op.drop_index(batch_op.f("ix_letters_case_id"))
    op.drop_table("letters")
    op.drop_table("letter_settings")
    op.drop_table("letter_number_sequences")
