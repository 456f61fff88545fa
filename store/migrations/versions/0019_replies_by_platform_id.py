"""our replies found by their id on the platform: intake asks, for every
page, which of its posts are replies of ours, and without this index read
every reply (PostgreSQL) or every ticket (SQLite) to answer

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_replies_platform_reply_id', 'replies', ['platform_reply_id'], unique=False,
                    postgresql_where=sa.text('platform_reply_id IS NOT NULL'),
                    sqlite_where=sa.text('platform_reply_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_replies_platform_reply_id', table_name='replies')
