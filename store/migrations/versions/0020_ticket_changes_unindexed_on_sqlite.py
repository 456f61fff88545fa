"""tickets' updated_at unindexed on SQLite: no query orders or filters
tickets by it (they read it by id), while every ticket a page of intake
joins moves its entry, a tenth of the pages a page of intake writes to
the WAL at 20,000 posts; PostgreSQL keeps the index, with which its
reports at a million tickets were measured

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_tickets_updated_at', table_name='tickets')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_tickets_updated_at', 'tickets', ['updated_at'])
