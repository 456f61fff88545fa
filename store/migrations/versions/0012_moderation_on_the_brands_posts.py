"""moderation on the brands posts

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('moderation_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mention_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.String(length=320), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('undoes_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome_unknown', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('next_attempt_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('claimed_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('done_at', store.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("action IN ('hide', 'unhide', 'like', 'unlike', 'delete')", name='moderation_action'),
    sa.CheckConstraint("status IN ('queued', 'sending', 'done', 'failed')", name='moderation_status'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.ForeignKeyConstraint(['undoes_id'], ['moderation_actions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_actions_mention_id'), ['mention_id'], unique=False)
        batch_op.create_index('ix_moderation_actions_status_next', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_received_at', ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_received_at')
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_actions_status_next')
        batch_op.drop_index(batch_op.f('ix_moderation_actions_mention_id'))
    op.drop_table('moderation_actions')
