"""list pages that do not grow with the store: the inbox's orders carry
the columns every list filter reads, so a filtered page and its count
are read from the index alone; the events that bear on answers indexed
apart

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

# What the inbox's and the API's filters read besides the order (PostgreSQL
# keeps them in the index's leaves; SQLite has no such indexes).
FILTERED = ['status', 'priority', 'platform', 'topic', 'team', 'assignee_id', 'snoozed_until', 'paused_at']
OPEN = "status IN ('new', 'open', 'pending')"
ANSWER_EVENTS = "kind IN ('answered_elsewhere', 'taken_into_ticket')"


def _partial(where: str, **more) -> dict:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where), **more}


def upgrade() -> None:
    op.drop_index('ix_tickets_due_order', table_name='tickets')
    op.create_index('ix_tickets_due_order', 'tickets', ['next_due_at', 'id'],
                    **_partial("next_due_at IS NOT NULL", postgresql_include=FILTERED))
    op.create_index('ix_tickets_undue_order', 'tickets', ['id'],
                    **_partial("next_due_at IS NULL", postgresql_include=FILTERED))
    op.drop_index('ix_tickets_open_undue', table_name='tickets')
    op.create_index('ix_tickets_open_undue', 'tickets', ['id'],
                    **_partial(f"next_due_at IS NULL AND {OPEN}", postgresql_include=FILTERED))
    op.create_index('ix_events_answer_kinds', 'events', ['ticket_id'], **_partial(ANSWER_EVENTS))


def downgrade() -> None:
    op.drop_index('ix_events_answer_kinds', table_name='events')
    op.drop_index('ix_tickets_open_undue', table_name='tickets')
    op.create_index('ix_tickets_open_undue', 'tickets', ['id'], **_partial(f"next_due_at IS NULL AND {OPEN}"))
    op.drop_index('ix_tickets_undue_order', table_name='tickets')
    op.drop_index('ix_tickets_due_order', table_name='tickets')
    op.create_index('ix_tickets_due_order', 'tickets', ['next_due_at', 'id'], **_partial("next_due_at IS NOT NULL"))
