"""Where PostgreSQL's autovacuum is off, intake gathers the planner's
statistics itself, once a table's rows changed by as many as it had when
last analyzed (1,000 at least); with autovacuum on, and on SQLite, it
leaves them alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from listener.intake import Intake
from store import planner_statistics
from store.planner_statistics import analyze_stale_tables, stale_tables
from tests.integration.loop_helpers import post

pytestmark = pytest.mark.postgres


def changed(session, rows: int, start: int = 0) -> None:
    """`rows` customers added, their changes counted in the statistics at once."""
    session.execute(text("INSERT INTO customers (display_name, tier, created_at) SELECT 'c' || n, 'standard', now() "
                         "FROM generate_series(CAST(:start AS integer), CAST(:end AS integer)) AS n"),
                    {"start": start, "end": start + rows - 1})


def counted(db) -> None:
    """This process's changes handed to the server's statistics, which it
    otherwise does up to a second later."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        connection.commit()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        connection.commit()


def due(db) -> list[str]:
    with db.transaction() as session:
        session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return stale_tables(session)


@pytest.fixture
def analyzed(postgres_db):
    """The test database with the statistics of the tables these tests
    look at just gathered."""
    with postgres_db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE customers, identities, mentions")
        connection.commit()
    counted(postgres_db)
    return postgres_db


def test_a_table_is_due_once_its_rows_changed_by_as_many_as_it_had(analyzed):
    with analyzed.transaction() as session:
        changed(session, 999)
    counted(analyzed)
    assert "customers" not in due(analyzed)

    with analyzed.transaction() as session:
        changed(session, 1, start=999)
    counted(analyzed)
    assert "customers" in due(analyzed)

    with analyzed.transaction() as session:
        session.execute(text("ANALYZE customers"))
    counted(analyzed)
    assert "customers" not in due(analyzed)

    with analyzed.transaction() as session:
        changed(session, 1000, start=1000)  # 1,000 rows when analyzed: 1,000 changes make it due
    counted(analyzed)
    assert "customers" in due(analyzed)


def test_a_table_changed_less_than_its_size_is_not_due(analyzed):
    with analyzed.transaction() as session:
        changed(session, 4000)
    counted(analyzed)
    with analyzed.transaction() as session:
        session.execute(text("ANALYZE customers"))
    with analyzed.transaction() as session:
        changed(session, 3000, start=4000)
    counted(analyzed)
    assert "customers" not in due(analyzed)


def ingest(db, settings, clock, posts: int) -> None:
    """`posts` posts from as many authors, a page of 100 at a time, each
    page's changes counted in the statistics before the next."""
    intake = Intake(settings)
    for start in range(0, posts, 100):
        with db.transaction() as session:
            intake.ingest(session, [post(f"My order {n} never came", f"customer{n}", external_id=f"p{n}")
                                    for n in range(start, start + 100)], clock.now())
        counted(db)


def test_intake_analyzes_the_tables_it_filled_where_autovacuum_is_off(analyzed, settings, clock, monkeypatch):
    monkeypatch.setattr(planner_statistics, "autovacuum_is_off", lambda session: True)
    monkeypatch.setattr(planner_statistics, "FEWEST_CHANGED_ROWS", 200)
    ingest(analyzed, settings, clock, 400)
    with analyzed.transaction() as session:
        rows = dict(session.execute(text("SELECT relname, reltuples FROM pg_class "
                                         "WHERE relname IN ('mentions', 'identities')")).all())
    # Analyzed at 200 or 300 posts, by when the server had counted them.
    assert rows["mentions"] >= 200 and rows["identities"] >= 200
    assert "mentions" not in due(analyzed)


def test_intake_looks_at_the_statistics_on_its_first_page_then_after_every_few_hundred_posts(
        analyzed, settings, clock, monkeypatch):
    looked = []
    monkeypatch.setattr(planner_statistics, "analyze_stale_tables", lambda session: looked.append(1) or [])
    monkeypatch.setattr(planner_statistics, "FEWEST_CHANGED_ROWS", 400)
    ingest(analyzed, settings, clock, 700)
    # Pages of 100: the first, then once 200 more were stored (the 3rd and the 5th), then the 7th.
    assert len(looked) == 4


def test_intake_leaves_the_statistics_to_autovacuum_where_it_is_on(analyzed, settings, clock, monkeypatch):
    monkeypatch.setattr(planner_statistics, "autovacuum_is_off", lambda session: False)
    monkeypatch.setattr(planner_statistics, "FEWEST_CHANGED_ROWS", 200)
    ingest(analyzed, settings, clock, 400)
    assert "mentions" in due(analyzed)


def test_analyzing_waits_for_no_other_worker(analyzed, monkeypatch):
    monkeypatch.setattr(planner_statistics, "autovacuum_is_off", lambda session: True)
    with analyzed.transaction() as session:
        changed(session, 1000)
    counted(analyzed)
    with analyzed.transaction() as other, analyzed.transaction() as session:
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": planner_statistics.ANALYZE_LOCK})
        assert analyze_stale_tables(session) == []
    with analyzed.transaction() as session:
        assert "customers" in analyze_stale_tables(session)
    counted(analyzed)
    assert "customers" not in due(analyzed)


def test_nothing_is_analyzed_on_sqlite(sqlite_db):
    with sqlite_db.transaction() as session:
        assert analyze_stale_tables(session) == []


def test_a_table_being_vacuumed_is_left_for_a_later_page(analyzed, monkeypatch, caplog):
    monkeypatch.setattr(planner_statistics, "autovacuum_is_off", lambda session: True)
    with analyzed.transaction() as session:
        changed(session, 1000)
    counted(analyzed)
    with analyzed.transaction() as vacuum, analyzed.transaction() as session:
        vacuum.execute(text("LOCK TABLE customers IN SHARE UPDATE EXCLUSIVE MODE"))  # as VACUUM takes it
        assert analyze_stale_tables(session) == []
        assert session.execute(text("SELECT 1")).scalar() == 1  # the page's transaction goes on
    assert "could not gather" not in caplog.text
    assert "customers" in due(analyzed)
    with analyzed.transaction() as session:
        assert "customers" in analyze_stale_tables(session)
