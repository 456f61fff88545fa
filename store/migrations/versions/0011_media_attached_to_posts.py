"""media attached to posts

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mention_media',
    sa.Column('mention_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('alt_text', sa.Text(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('preview_url', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('image', 'video', 'gif')", name='mention_media_kind'),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.PrimaryKeyConstraint('mention_id', 'position')
    )


def downgrade() -> None:
    op.drop_table('mention_media')
