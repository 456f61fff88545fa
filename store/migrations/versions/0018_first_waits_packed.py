"""first-response waits kept as packed sorted runs: the response-time
figures kept before hold their waits as JSON lists, so they are dropped and
counted again in the new form when next asked for (kept figures are only
ever a copy of what the tickets say)

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM kept_figures WHERE report LIKE 'sla:%'")


def downgrade() -> None:
    op.execute("DELETE FROM kept_figures WHERE report LIKE 'sla:%' OR report LIKE 'running:%'")
