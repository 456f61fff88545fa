"""Response-time figures that count every ticket, with a movable clock, on
SQLite and PostgreSQL. Tickets are high priority: first and next answers
due in 60 minutes, resolution in a day."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from store.models import Agent, Customer, Event, Ticket
from store.sla import SlaClock
from store.sla_figures import sla_figures


class Desk:
    def __init__(self, db, settings, clock):
        self.db, self.clock, self.sla = db, clock, SlaClock(settings)
        self.start = clock.now()

    def ticket(self, *, platform: str = "x", assignee: str | None = None) -> int:
        now = self.clock.now()
        with self.db.transaction() as session:
            agent = None
            if assignee:
                agent = Agent(name=assignee, email=f"{assignee}@example.com", password_hash="-", role="agent",
                              created_at=now)
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=now), platform=platform,
                            status="new", priority="high", team="care", created_at=now, updated_at=now,
                            assignee=agent)
            self.sla.start(ticket, now, "standard")
            session.add(ticket)
            session.add(Event(ticket=ticket, kind="raised", at=now, detail={}))
            session.flush()
            return ticket.id

    def change(self, ticket_id: int, what, kind: str | None = None, **detail) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            what(ticket, now)
            ticket.updated_at = now
            if kind:
                session.add(Event(ticket=ticket, kind=kind, at=now, actor="ada@example.com", detail=detail))

    def answer(self, ticket_id: int) -> None:
        self.change(ticket_id, SlaClock.answered, "replied")

    def customer_writes(self, ticket_id: int) -> None:
        self.change(ticket_id, lambda t, now: self.sla.customer_wrote(t, now, "standard"), "customer_wrote",
                    needs_response=True)

    def pause(self, ticket_id: int) -> None:
        self.change(ticket_id, SlaClock.pause)

    def resolve(self, ticket_id: int) -> None:
        def resolve(ticket: Ticket, now: datetime) -> None:
            ticket.status, ticket.resolved_at = "resolved", now
        self.change(ticket_id, resolve)

    def figures(self, group_by: str = "platform", since: datetime | None = None) -> dict:
        now = self.clock.now()
        with self.db.sessions() as session:
            return sla_figures(session, since or self.start - timedelta(hours=1), now, now, group_by)

    def total(self, target: str = "first_response", **kwargs) -> dict:
        return self.figures(**kwargs)["total"][target]


@pytest.fixture
def desk(db, settings, clock):
    return Desk(db, settings, clock)


def counts(figures: dict) -> tuple:
    return figures["due"], figures["met"], figures["missed"], figures["achievement"], figures["not_yet_due"]


def test_a_ticket_unanswered_past_its_due_time_counts_as_missed(desk):
    answered, waiting = desk.ticket(), desk.ticket()
    desk.clock.advance(minutes=20)
    desk.answer(answered)
    desk.clock.advance(minutes=41)

    assert counts(desk.total()) == (2, 1, 1, 0.5, 0)
    assert waiting


def test_an_answer_after_the_due_time_counts_as_missed(desk):
    late = desk.ticket()
    desk.clock.advance(minutes=75)
    desk.answer(late)

    assert counts(desk.total()) == (1, 0, 1, 0.0, 0)


def test_a_ticket_not_yet_due_counts_in_neither_and_is_shown_apart(desk):
    desk.ticket()
    desk.clock.advance(minutes=59)

    assert counts(desk.total()) == (0, 0, 0, None, 1)
    desk.clock.advance(minutes=2)
    assert counts(desk.total()) == (1, 0, 1, 0.0, 0)


def test_a_missed_target_counts_in_the_period_of_its_due_time(desk):
    desk.ticket()
    desk.clock.advance(minutes=90)

    assert counts(desk.total(since=desk.clock.now() - timedelta(minutes=20))) == (0, 0, 0, None, 0)
    assert counts(desk.total(since=desk.clock.now() - timedelta(minutes=40))) == (1, 0, 1, 0.0, 0)


def test_business_hours_stop_the_clock_overnight(db, settings, clock):
    hours = {"timezone": "UTC", **{day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}
    teams = {"care": settings.teams["care"].model_copy(update={"hours": hours})}
    clock.advance(hours=7, minutes=30)  # Monday 16:30: 30 business minutes left today
    desk = Desk(db, settings.model_copy(update={"teams": teams}), clock)
    desk.ticket()
    clock.advance(hours=16, minutes=20)  # Tuesday 08:50

    assert counts(desk.total()) == (0, 0, 0, None, 1)
    clock.advance(minutes=41)  # Tuesday 09:31, a minute past the due time
    assert counts(desk.total()) == (1, 0, 1, 0.0, 0)


def test_a_pause_before_the_due_time_stops_the_clock_and_moves_it_on_when_the_customer_writes(desk):
    ticket = desk.ticket()
    desk.clock.advance(minutes=30)
    desk.pause(ticket)
    desk.clock.advance(hours=5)

    assert counts(desk.total()) == (0, 0, 0, None, 1)
    desk.customer_writes(ticket)
    desk.clock.advance(minutes=25)
    desk.answer(ticket)
    desk.clock.advance(minutes=1)
    assert counts(desk.total()) == (1, 1, 0, 1.0, 0)


def test_the_90th_percentile_counts_the_tickets_still_waiting_and_grows_while_they_wait(desk):
    tickets = [desk.ticket() for _ in range(10)]
    desk.clock.advance(minutes=10)
    for ticket in tickets[:8]:
        desk.answer(ticket)
    desk.clock.advance(minutes=20)

    figures = desk.total()
    assert (figures["median_min"], figures["median_at_least"]) == (10.0, False)
    assert (figures["p90_min"], figures["p90_at_least"], figures["waiting"]) == (30.0, True, 2)
    desk.clock.advance(minutes=60)
    assert (desk.total()["p90_min"], desk.total()["p90_at_least"]) == (90.0, True)


def test_next_answers_are_met_or_missed_cycle_by_cycle(desk):
    ticket = desk.ticket()
    desk.clock.advance(minutes=5)
    desk.answer(ticket)
    desk.customer_writes(ticket)
    desk.clock.advance(minutes=30)
    desk.answer(ticket)
    desk.customer_writes(ticket)
    desk.clock.advance(minutes=61)

    assert counts(desk.total("next_response")) == (2, 1, 1, 0.5, 0)


def test_resolution_is_met_when_resolved_by_its_due_time(desk):
    on_time, late = desk.ticket(), desk.ticket()
    desk.clock.advance(minutes=5)
    desk.answer(on_time)
    desk.answer(late)
    desk.resolve(on_time)
    desk.clock.advance(hours=25)

    assert counts(desk.total("resolution")) == (2, 1, 1, 0.5, 0)


def test_figures_are_grouped_with_the_unassigned_last(desk):
    desk.ticket(assignee="ada")
    desk.ticket(platform="reddit")
    desk.clock.advance(minutes=61)

    assert [(g["key"], g["first_response"]["missed"]) for g in desk.figures("agent")["groups"]] == [
        ("ada@example.com", 1), (None, 1)]
    assert [g["key"] for g in desk.figures("platform")["groups"]] == ["reddit", "x"]


def test_an_unknown_grouping_is_refused(desk):
    with pytest.raises(ValueError, match="group_by must be one of platform, team, agent, priority, topic"):
        desk.figures("customer")
