"""The migrations and the models describe the same schema."""

from datetime import datetime, timezone
from functools import partial

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from store.db import Database, alembic_config
from store.models import Base, built_on


def test_the_migrations_build_the_schema_the_models_describe(db):
    with db.engine.connect() as connection:
        built_here = partial(built_on, connection.dialect.name)
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": lambda item, *_: built_here(item)})
        assert compare_metadata(context, Base.metadata) == []


def test_tickets_are_indexed_by_their_last_change_on_postgresql_only(db):
    with db.engine.connect() as connection:
        indexes = {index["name"] for index in inspect(connection).get_indexes("tickets")}
    assert ("ix_tickets_updated_at" in indexes) == db.is_postgresql


OLD_ROWS = [
    "INSERT INTO customers (id, display_name, tier, created_at) VALUES (1, 'M', 'standard', :now)",
    "INSERT INTO identities (id, customer_id, platform, platform_user_id, handle, name, followers, verified)"
    " VALUES (1, 1, 'x', 'u1', 'maria', 'Maria', 0, false)",
    "INSERT INTO tickets (id, customer_id, platform, status, priority, sla_policy, team, escalation_level,"
    " first_response_breached, next_response_breached, resolution_breached, created_at, updated_at)"
    " VALUES (1, 1, 'x', 'resolved', 'high', 'default', 'care', 0, false, false, false, :now, :now)",
    "INSERT INTO mentions (id, platform, external_id, kind, identity_id, text, url, created_at, received_at, raw,"
    " sentiment, polarity, urgency, needs_response, reasons, ticket_id)"
    " VALUES (1, 'x', '555', 'post', 1, 'late again', '', :now, :now, '{}', 'negative', -0.5, 0.6, true, '[]', 1)",
    "INSERT INTO replies (id, ticket_id, mention_id, body, status, attempts, created_at)"
    " VALUES (1, 1, 1, 'Sorry!', 'sent', 1, :now)",
]


def test_an_existing_database_keeps_its_rows_and_its_replies_are_answers(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(database.url), "0001")
    now = datetime(2026, 1, 5, tzinfo=timezone.utc).isoformat()
    with database.engine.begin() as connection:
        for statement in OLD_ROWS:
            connection.execute(text(statement), {"now": now})
    database.migrate()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT purpose, body FROM replies")).one() == ("answer", "Sorry!")
        assert connection.execute(text("SELECT channel, conversation_ref FROM replies")).one() == ("thread", None)
        assert connection.execute(text("SELECT status, followup_state FROM tickets")).one() == ("resolved", None)
        assert connection.execute(text("SELECT contact_opt_out_at FROM customers")).scalar() is None
    database.dispose()


def test_a_reply_tried_before_the_upgrade_is_looked_up_before_it_is_sent_again(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(database.url), "0004")
    now = datetime(2026, 1, 5, tzinfo=timezone.utc).isoformat()
    with database.engine.begin() as connection:
        for statement in OLD_ROWS[:4]:
            connection.execute(text(statement), {"now": now})
        connection.execute(text("INSERT INTO replies (id, ticket_id, mention_id, body, status, attempts, created_at)"
                                " VALUES (1, 1, 1, 'Sorry!', 'sent', 1, :now), (2, 1, 1, 'Sorry!', 'queued', 2, :now),"
                                " (3, 1, 1, 'Hello', 'queued', 0, :now)"), {"now": now})
    database.migrate()
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, outcome_unknown FROM replies ORDER BY id")).all()
    assert [(row[0], bool(row[1])) for row in rows] == [(1, False), (2, True), (3, False)]
    database.dispose()


def test_figures_kept_by_agent_before_the_upgrade_are_counted_again_and_the_others_stay(tmp_path):
    """Kept by the assignee of the day they were counted, the figures by
    agent are dropped; the others did not change with the rule."""
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(database.url), "0021")
    with database.engine.begin() as connection:
        for report in ("sla:agent", "resolved:agent", "running:agent", "sla:team"):
            connection.execute(text("INSERT INTO kept_figures (report, starts_at, hours, computed_at, figures)"
                                    " VALUES (:report, '2026-01-05 00:00:00.000000', 24, 1.0, '{}')"),
                               {"report": report})
    database.migrate()
    with database.engine.connect() as connection:
        kept = set(connection.scalars(text("SELECT report FROM kept_figures")))
    assert kept == {"running:agent", "sla:team"}
    database.dispose()


def test_a_persons_word_on_a_post_is_filled_from_the_corrections_made_before_the_upgrade(db):
    """Post 1 was taken into a ticket, then marked no response needed: the
    later word holds. Post 2 was taken; post 3 never corrected."""
    command.downgrade(alembic_config(db.url), "0022")
    now = datetime(2026, 1, 5, tzinfo=timezone.utc).isoformat()
    with db.engine.begin() as connection:
        for statement in OLD_ROWS[:3]:
            connection.execute(text(statement), {"now": now})
        for mention_id in (1, 2, 3):
            connection.execute(text(OLD_ROWS[3].replace("(1, 'x', '555'", f"({mention_id}, 'x', '55{mention_id}'")
                                    .replace(", true, '[]'", ", false, '[]'")), {"now": now})
        for n, (mention_id, corrected, minute) in enumerate(((1, "True", 1), (1, "False", 2), (2, "True", 1)), 1):
            connection.execute(text(
                "INSERT INTO corrections (id, mention_id, platform, field, original, corrected, original_scores,"
                " created_at) VALUES (:id, :mention, 'x', 'needs_response', 'False', :corrected, '{}', :at)"),
                {"id": n, "mention": mention_id, "corrected": corrected,
                 "at": datetime(2026, 1, 5, 0, minute, tzinfo=timezone.utc).isoformat()})
    db.migrate()
    with db.engine.connect() as connection:
        words = dict(connection.execute(text("SELECT id, person_needs_response FROM mentions")).all())
    assert {mention_id: None if word is None else bool(word) for mention_id, word in words.items()} == {
        1: False, 2: True, 3: None}
