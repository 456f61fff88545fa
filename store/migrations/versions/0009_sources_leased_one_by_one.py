"""sources leased one by one: the worker polling a source holds it until
its lease expires

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        batch_op.add_column(sa.Column('leased_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('leased_by')
