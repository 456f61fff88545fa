"""each post keeps a person's latest word on whether it needs a response,
so the mentions stream filters on a column rather than looking through the
corrections for every post; filled from the corrections already made

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mentions', sa.Column('person_needs_response', sa.Boolean(), nullable=True))
    op.execute("""
        UPDATE mentions SET person_needs_response = (
            SELECT c.corrected = 'True' FROM corrections c
            WHERE c.mention_id = mentions.id AND c.field = 'needs_response'
            ORDER BY c.created_at DESC, c.id DESC LIMIT 1)
        WHERE id IN (SELECT mention_id FROM corrections WHERE field = 'needs_response')""")
    if op.get_bind().dialect.name == "postgresql":
        # Without statistics on the new column, PostgreSQL would guess a
        # filter on it matches half the posts, and read a rare one's way
        # through the whole stream along its order.
        op.execute("ANALYZE mentions (person_needs_response)")


def downgrade() -> None:
    with op.batch_alter_table('mentions') as batch:
        batch.drop_column('person_needs_response')
