"""The marks the database's triggers leave on PostgreSQL: every write to a
ticket, an event, a post or a correction leaves one, and the worker drops
those no kept figures need any more and folds the rest into one an hour;
it also keeps each report's last month ahead of the dashboard."""

from datetime import timedelta

from sqlalchemy import func, insert, select, update

from store.kept_figures import GRACE_SECONDS, KEPT_SECONDS, database_clock, tidy_marks
from store import kept_reports
from store.kept_reports import keep_recent_figures
from store.models import FigureMark, KeptFigures, Ticket
from store.outcomes import OUTCOME_GROUPINGS
from store.sla_figures import GROUPINGS
from tests.integration.web_helpers import make_world


def test_a_write_leaves_a_mark_from_its_tickets_creation_and_the_marks_are_tidied(postgres_db, clock):
    world = make_world(postgres_db, clock)
    raised_at = world.clock.now() - timedelta(minutes=90)
    ticket_id = world.ticket("my parcel never came", opened_minutes_ago=90)
    with postgres_db.transaction() as session:
        session.execute(FigureMark.__table__.delete())
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(priority="high"))
    with postgres_db.transaction() as session:
        assert session.scalars(select(FigureMark.since)).all() == [raised_at]
        clock = session.scalar(select(database_clock()))
        session.execute(insert(FigureMark), [
            {"since": raised_at + timedelta(seconds=1), "marked_at": clock - 30},
            {"since": world.clock.now(), "marked_at": clock + 5},
            {"since": world.clock.now(), "marked_at": clock - KEPT_SECONDS - GRACE_SECONDS - 60}])
        latest = session.scalar(select(func.max(FigureMark.marked_at)).where(FigureMark.since < world.clock.now()))

    assert tidy_marks(postgres_db) == 2
    with postgres_db.sessions() as session:
        left = set(session.execute(select(FigureMark.since, FigureMark.marked_at)))
    assert left == {(_hour(raised_at), latest), (_hour(world.clock.now()), clock + 5)}


def _hour(moment):
    return moment.replace(minute=0, second=0, microsecond=0)


def test_the_worker_keeps_the_recent_figures_of_every_report_ahead_of_the_dashboard(postgres_db, clock, monkeypatch):
    """Over four days rather than the month the worker keeps: counting a
    month of every report takes most of a minute on a busy machine."""
    monkeypatch.setattr(kept_reports, "KEPT_AHEAD", timedelta(days=4))
    world = make_world(postgres_db, clock)
    world.ticket("my parcel never came", opened_minutes_ago=3 * 24 * 60)
    keep_recent_figures(postgres_db, clock.now())
    with postgres_db.sessions() as session:
        kept = {report for report, hours in session.execute(select(KeptFigures.report, KeptFigures.hours))}
        first_kept = session.scalar(select(func.min(KeptFigures.starts_at)).where(KeptFigures.report == "volume"))
    assert first_kept == clock.now() - timedelta(days=4)
    # What settled is kept by who held the ticket then, what runs by its assignee.
    settled = {"sla": GROUPINGS, "resolved": OUTCOME_GROUPINGS}
    assert kept == {*(f"running:{group_by}" for group_by in GROUPINGS),
                    *(f"{report}:{'agent-held' if group_by == 'agent' else group_by}"
                      for report, groupings in settled.items() for group_by in groupings),
                    "trends:topic", "trends:platform", "volume", "corrections"}
