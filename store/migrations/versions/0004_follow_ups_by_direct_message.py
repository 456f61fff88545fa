"""follow-ups by direct message

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), server_default='thread', nullable=False))
        batch_op.add_column(sa.Column('conversation_ref', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_replies_conversation_ref'), ['conversation_ref'], unique=False)
        batch_op.create_check_constraint('reply_channel', "channel IN ('thread', 'direct_message')")


def downgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint('reply_channel', type_='check')
        batch_op.drop_index(batch_op.f('ix_replies_conversation_ref'))
        batch_op.drop_column('conversation_ref')
        batch_op.drop_column('channel')
