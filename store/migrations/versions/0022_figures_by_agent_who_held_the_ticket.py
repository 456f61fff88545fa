"""response-time figures and resolutions by agent are charged to the agent
who held the ticket when each target settled, read from the tickets'
assignment events over an index of their own; the figures kept by agent
under the old rule (charged to the assignee of the day they were counted)
are dropped, and counted again under a new name when next asked for

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

ASSIGNMENTS = "kind IN ('assigned', 'unassigned')"


def upgrade() -> None:
    op.create_index('ix_events_assignments', 'events', ['ticket_id', 'at', 'id'],
                    postgresql_where=sa.text(ASSIGNMENTS), sqlite_where=sa.text(ASSIGNMENTS))
    op.execute("DELETE FROM kept_figures WHERE report IN ('sla:agent', 'resolved:agent')")


def downgrade() -> None:
    op.drop_index('ix_events_assignments', table_name='events')
    op.execute("DELETE FROM kept_figures WHERE report IN ('sla:agent-held', 'resolved:agent-held')")
