"""text search in the lists read from an index: on PostgreSQL, trigram
indexes (pg_trgm) on the lowered text of the posts and the lowered
handles and names of the identities, which `LIKE '%text%'` can use. Where
the extension cannot be created (a role that may not), the migration
still succeeds, says so in one line, and text search stays unindexed:
slower on a large store, with the same results.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Index name: (table, lowered column), as store/queries.py searches them.
INDEXES = {
    "ix_mentions_text_trigrams": ("mentions", "text"),
    "ix_identities_handle_trigrams": ("identities", "handle"),
    "ix_identities_name_trigrams": ("identities", "name"),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    refused = _create_trigram_extension(bind)
    if refused:
        print(f"closeloop: text search stays unindexed: CREATE EXTENSION pg_trgm failed ({refused})")
        return
    for name, (table, column) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops)")
    # The planner learns how often the lowered text holds a word from the
    # statistics of the indexed expressions, which only ANALYZE gathers.
    op.execute("ANALYZE mentions, identities")


def _create_trigram_extension(bind) -> str | None:
    """Creates pg_trgm unless it is there; why not, when that fails. Tried
    in a savepoint, so that a refusal leaves the migration's transaction
    usable."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        return str(error.orig).strip().splitlines()[0]
    return None


def downgrade() -> None:
    """Drops the indexes; the extension stays, as other schemas may use it."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
