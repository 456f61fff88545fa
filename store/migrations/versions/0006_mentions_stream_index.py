"""the mentions stream reads posts newest first by an index

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_mentions_created_at_id', 'mentions', ['created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mentions_created_at_id', table_name='mentions')
