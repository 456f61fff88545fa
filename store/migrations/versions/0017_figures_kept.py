"""response-time figures kept: the figures of each whole past day and hour
are kept once counted (kept_figures), and every write to a ticket, an
event, a post or a correction leaves a mark of the first moment it can change (figure_marks,
written by triggers on PostgreSQL, so that no code path can forget it;
SQLite, for small stores, keeps nothing); the moments a
target is met or missed at are indexed, so that a span is counted from its
own tickets

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The moments a response target is met or missed at.
MOMENTS = ('first_response_at', 'first_response_due_at', 'resolved_at', 'resolution_due_at', 'next_response_due_at')
OPERATIONS = {'INSERT': 'NEW', 'UPDATE': 'OLD', 'DELETE': 'OLD'}
# Each marked table and the function that finds the moment its rows count from.
MARKED = {'tickets': 'rows', 'mentions': 'rows', 'events': 'events', 'corrections': 'corrections'}


def upgrade() -> None:
    op.create_table(
        'kept_figures',
        sa.Column('report', sa.String(length=40), nullable=False),
        sa.Column('starts_at', store.types.UTCDateTime(), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.Double(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('report', 'starts_at', 'hours'),
    )
    op.create_table(
        'figure_marks',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('since', store.types.UTCDateTime(), nullable=False),
        sa.Column('marked_at', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_figure_marks_marked_at', 'figure_marks', ['marked_at'])
    for column in MOMENTS:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f'ix_tickets_{column}', 'tickets', [column], postgresql_where=where, sqlite_where=where)
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()


def _postgresql_triggers() -> None:
    """One mark per statement, from the rows it changed."""
    op.execute("""
        CREATE FUNCTION figures_marked_by_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO figure_marks (since, marked_at)
            SELECT min(created_at), extract(epoch FROM clock_timestamp()) FROM changed HAVING count(*) > 0;
            RETURN NULL;
        END $$""")
    for table, parent, key in (('events', 'tickets', 'ticket_id'), ('corrections', 'mentions', 'mention_id')):
        op.execute(f"""
            CREATE FUNCTION figures_marked_by_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO figure_marks (since, marked_at)
                SELECT min({parent}.created_at), extract(epoch FROM clock_timestamp())
                FROM changed JOIN {parent} ON {parent}.id = changed.{key} HAVING count(*) > 0;
                RETURN NULL;
            END $$""")
    for table, function in MARKED.items():
        for operation, rows in OPERATIONS.items():
            op.execute(f"CREATE TRIGGER {table}_marked_{operation.lower()} AFTER {operation} ON {table} "
                       f"REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION figures_marked_by_{function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in MARKED:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_marked_{operation.lower()} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS figures_marked_by_rows()")
        op.execute("DROP FUNCTION IF EXISTS figures_marked_by_events()")
        op.execute("DROP FUNCTION IF EXISTS figures_marked_by_corrections()")
    for column in MOMENTS:
        op.drop_index(f'ix_tickets_{column}', table_name='tickets')
    op.drop_index('ix_figure_marks_marked_at', table_name='figure_marks')
    op.drop_table('figure_marks')
    op.drop_table('kept_figures')
