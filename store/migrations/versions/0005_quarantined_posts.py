"""posts that could not be stored, kept apart; replies whose last attempt may have arrived

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantined_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('post', sa.JSON(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('last_failed_at', store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'external_id', name='quarantined_once_per_platform')
    )
    with op.batch_alter_table('quarantined_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_posts_source_id'), ['source_id'], unique=False)

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_unknown', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Until now every attempt after the first looked on the platform first.
    op.execute("UPDATE replies SET outcome_unknown = true WHERE attempts > 0 AND status <> 'sent'")


def downgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_column('outcome_unknown')
    with op.batch_alter_table('quarantined_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_posts_source_id'))
    op.drop_table('quarantined_posts')
