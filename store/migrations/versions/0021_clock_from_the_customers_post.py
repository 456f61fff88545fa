"""a new ticket's response clock runs from the customer's post, not from
when it was fetched, but not from before closeloop listened to the
post's source: each source keeps since when (set at the next start for
the sources there are)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sources', sa.Column('listening_since', store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        batch_op.drop_column('listening_since')
