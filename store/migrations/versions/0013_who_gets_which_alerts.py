"""who gets which alerts: each person's (or role's) channels, kinds,
scope, digest and quiet hours; alerts held in quiet hours; the Slack
thread of each ticket; a person's digest as an alert channel

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

CHANNELS_BEFORE = "channel IN ('web', 'email', 'slack')"
CHANNELS_AFTER = "channel IN ('web', 'email', 'slack', 'digest')"


def upgrade() -> None:
    op.create_table('alert_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('slack_user', sa.String(length=30), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('digest_hour', sa.Integer(), nullable=False),
    sa.Column('quiet_from', sa.String(length=5), nullable=True),
    sa.Column('quiet_until', sa.String(length=5), nullable=True),
    sa.Column('updated_at', store.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(agent_id IS NULL) <> (role IS NULL)', name='alert_preference_owner'),
    sa.CheckConstraint("scope IN ('all', 'team', 'mine')", name='alert_preference_scope'),
    sa.CheckConstraint('digest_hour >= 0 AND digest_hour <= 23', name='alert_preference_digest_hour'),
    sa.CheckConstraint('(quiet_from IS NULL) = (quiet_until IS NULL)', name='alert_preference_quiet_hours'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent_id'),
    sa.UniqueConstraint('role')
    )
    op.create_table('slack_threads',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('ticket_id', 'recipient')
    )
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.add_column(sa.Column('held_until', store.types.UTCDateTime(), nullable=True))
        batch_op.drop_constraint('alert_channel', type_='check')
        batch_op.create_check_constraint('alert_channel', CHANNELS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE channel = 'digest' OR kind = 'digest'")
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.drop_constraint('alert_channel', type_='check')
        batch_op.create_check_constraint('alert_channel', CHANNELS_BEFORE)
        batch_op.drop_column('held_until')
    op.drop_table('slack_threads')
    op.drop_table('alert_preferences')
