"""follow-ups, spikes and incidents

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('since', store.types.UTCDateTime(), nullable=True),
    sa.Column('opened_by', sa.String(length=320), nullable=False),
    sa.Column('opened_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('fixed_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('fixed_by', sa.String(length=320), nullable=True),
    sa.Column('update_message', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'fixed')", name='incident_status'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('spikes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=False),
    sa.Column('started_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('peak_count', sa.Integer(), nullable=False),
    sa.Column('usual', sa.Double(), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('example_mention_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spikes_topic'), ['topic'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_opt_out_at', store.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), server_default='answer', nullable=False))
        batch_op.create_check_constraint('reply_purpose', "purpose IN ('answer', 'followup', 'broadcast', 'thanks')")

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('followup_due_at', store.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_tickets_followup', ['followup_state', 'followup_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_incident_id'), ['incident_id'], unique=False)
        batch_op.create_foreign_key('fk_tickets_incident_id_incidents', 'incidents', ['incident_id'], ['id'])
        batch_op.create_check_constraint(
            'ticket_followup_state', "followup_state IS NULL OR followup_state IN ('scheduled', 'sent', 'satisfied', "
            "'unsatisfied', 'unconfirmed', 'cancelled', 'failed')")



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('ticket_followup_state', type_='check')
        batch_op.drop_constraint('fk_tickets_incident_id_incidents', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_incident_id'))
        batch_op.drop_index('ix_tickets_followup')
        batch_op.drop_column('followup_due_at')
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint('reply_purpose', type_='check')
        batch_op.drop_column('purpose')

    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('contact_opt_out_at')

    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spikes_topic'))

    op.drop_table('spikes')
    op.drop_table('incidents')
