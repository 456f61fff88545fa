"""API tokens expire: tokens issued before get the default 90 days from
their creation

Revision ID: 0007
Revises: 0006
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DEFAULT_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    op.add_column('api_tokens', sa.Column('expires_at', store.types.UTCDateTime(), nullable=True))
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('created_at', store.types.UTCDateTime()),
                      sa.column('expires_at', store.types.UTCDateTime()))
    connection = op.get_bind()
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        connection.execute(tokens.update().where(tokens.c.id == token_id)
                           .values(expires_at=created_at + DEFAULT_LIFETIME))
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.alter_column('expires_at', existing_type=store.types.UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('expires_at')
