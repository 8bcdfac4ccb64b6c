"""deadlines and notifications: extra days off, SLA overrides, notifications, inbox, lease

Revision ID: a5d1e2f3b4c5
Revises: c0a1b2c3d4e5
Create Date: 2026-11-27 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'a5d1e2f3b4c5'
down_revision = "c0a1b2c3d4e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('extra_days_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_days_off')),
    sa.UniqueConstraint('day', name=op.f('uq_extra_days_off_day'))
    )
    op.create_table('sla_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('working_days >= 0', name=op.f('ck_sla_overrides_days_not_negative')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_sla_overrides_program_id_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_overrides')),
    sa.UniqueConstraint('program_id', 'state', name=op.f('uq_sla_overrides_program_id_state'))
    )
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('case_id', 'state_entered_at', 'kind', 'recipient', name=op.f('uq_notifications_case_id_state_entered_at_kind_recipient'))
    )
    op.create_index('ix_notifications_status_id', 'notifications', ['status', 'id'], unique=False)
    op.create_table('inbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbox_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_inbox_messages_notification_id_notifications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_messages')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_inbox_messages_notification_id'))
    )
    op.create_index('ix_inbox_messages_user_id_id', 'inbox_messages', ['user_id', 'id'], unique=False)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('email')
    op.drop_index('ix_inbox_messages_user_id_id', table_name='inbox_messages')
    op.drop_table('inbox_messages')
    op.drop_index('ix_notifications_status_id', table_name='notifications')
    op.drop_table('notifications')
    op.drop_table('scheduler_leases')
    op.drop_table('sla_overrides')
    op.drop_table('extra_days_off')
