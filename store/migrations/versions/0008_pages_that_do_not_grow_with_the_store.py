"""pages that do not grow with the store: the inbox's order stored and
indexed, and indexes for open tickets per agent and team and for reports

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'open', 'pending')"
RUNNING = "next_due_at IS NOT NULL AND paused_at IS NULL"


def _partial(where: str) -> dict:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    op.add_column('tickets', sa.Column('next_due_at', store.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE tickets SET next_due_at = CASE WHEN first_response_at IS NULL THEN first_response_due_at"
               " ELSE next_response_due_at END WHERE status IN ('new', 'open')")
    op.create_index('ix_tickets_due_order', 'tickets', ['next_due_at', 'id'], **_partial("next_due_at IS NOT NULL"))
    op.create_index('ix_tickets_open_undue', 'tickets', ['id'], **_partial(f"next_due_at IS NULL AND {OPEN}"))
    op.create_index('ix_tickets_open_assignee', 'tickets', ['assignee_id'], **_partial(OPEN))
    op.create_index('ix_tickets_open_team', 'tickets', ['team', 'next_due_at', 'snoozed_until', 'paused_at'],
                    **_partial(OPEN))
    op.create_index('ix_tickets_running_since', 'tickets', ['team', 'sla_started_at', 'id'], **_partial(RUNNING))
    op.create_index('ix_tickets_created_at', 'tickets', ['created_at'])
    op.create_index('ix_tickets_updated_at', 'tickets', ['updated_at'])


def downgrade() -> None:
    for name in ('ix_tickets_updated_at', 'ix_tickets_created_at', 'ix_tickets_running_since', 'ix_tickets_open_team',
                 'ix_tickets_open_assignee', 'ix_tickets_open_undue', 'ix_tickets_due_order'):
        op.drop_index(name, table_name='tickets')
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.drop_column('next_due_at')
