"""The managers' reports, computed from tickets and their events, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from store.models import Agent, Customer, Event, Identity, Mention, Ticket
from store.reports import agent_load, at_risk_and_breached, sla_report, volume_by_platform_and_hour
from store.sla import SlaClock


class Book:
    """Tickets with the events the listener and the outbox would record."""

    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def agent(self, name: str, email: str, *, capacity: int = 10, presence: str = "online",
              active: bool = True) -> int:
        with self.db.transaction() as session:
            agent = Agent(name=name, email=email, password_hash="-", role="agent", capacity=capacity,
                          presence=presence, active=active, created_at=self.now)
            session.add(agent)
            session.flush()
            return agent.id

    def ticket(self, minutes_ago: float = 60, *, platform: str = "x", team: str = "care", priority: str = "normal",
               due_after: float = 30, answered_after: float | None = None, by: str = "ada@example.com",
               kind: str = "replied", record_due: bool = True, moved_due_after: float | None = None,
               status: str = "open", assignee_id: int | None = None) -> int:
        """A ticket raised `minutes_ago`, its first answer due `due_after`
        minutes later, answered `answered_after` minutes after it was raised."""
        raised = self.now - timedelta(minutes=minutes_ago)
        due = raised + timedelta(minutes=due_after)
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=raised), platform=platform,
                            status=status, priority=priority, team=team, assignee_id=assignee_id,
                            first_response_due_at=due if moved_due_after is None
                            else raised + timedelta(minutes=moved_due_after),
                            created_at=raised, updated_at=raised)
            session.add(ticket)
            detail = {"first_response_due_at": due.isoformat()} if record_due else {}
            session.add(Event(ticket=ticket, kind="raised", at=raised, detail=detail))
            if answered_after is not None:
                answered = raised + timedelta(minutes=answered_after)
                ticket.first_response_at = answered
                session.add(Event(ticket=ticket, kind=kind, actor=by, at=answered))
            session.flush()
            return ticket.id

    def event(self, ticket_id: int, kind: str, minutes_ago: float, actor: str = "system") -> None:
        with self.db.transaction() as session:
            session.add(Event(ticket_id=ticket_id, kind=kind, actor=actor, detail={},
                              at=self.now - timedelta(minutes=minutes_ago)))

    def report(self, group_by: str = "platform", hours: float = 24) -> list[dict]:
        with self.db.sessions() as session:
            return sla_report(session, self.now - timedelta(hours=hours), self.now, group_by)


@pytest.fixture
def book(db, clock):
    return Book(db, clock)


def only(report: list[dict]) -> dict:
    assert len(report) == 1, report
    return report[0]


def test_it_reports_the_median_and_90th_percentile_by_nearest_rank(book):
    for minutes in (30, 5, 50, 15, 45, 10, 40, 20, 35, 25):
        book.ticket(answered_after=minutes)
    book.ticket()

    group = only(book.report())

    assert (group["tickets"], group["answered"]) == (11, 10)
    assert group["first_response_p50_min"] == 25.0
    assert group["first_response_p90_min"] == 45.0


def test_within_target_is_the_share_of_answered_tickets_answered_by_their_due_time(book):
    for minutes in (29, 30, 31):
        book.ticket(due_after=30, answered_after=minutes)
    book.ticket(due_after=30)

    group = only(book.report())

    assert group["within_target"] == 0.6667
    assert (group["tickets"], group["answered"]) == (4, 3)


def test_only_the_first_answer_counts_and_an_answer_given_elsewhere_is_one(book):
    twice = book.ticket(answered_after=10)
    book.event(twice, "replied", minutes_ago=10, actor="bob@example.com")
    book.ticket(answered_after=20, kind="answered_elsewhere")
    book.ticket(answered_after=5, kind="reply_queued")

    group = only(book.report())

    assert group["answered"] == 2
    assert (group["first_response_p50_min"], group["first_response_p90_min"]) == (10.0, 20.0)


def test_the_due_time_recorded_when_raised_wins_over_a_due_time_moved_later(book):
    book.ticket(platform="x", due_after=30, moved_due_after=90, answered_after=60)
    book.ticket(platform="reddit", due_after=30, moved_due_after=90, record_due=False, answered_after=60)

    by_platform = {g["key"]: g["within_target"] for g in book.report()}

    assert by_platform == {"x": 0.0, "reddit": 1.0}


def test_a_group_where_nothing_was_answered_has_no_times_and_no_share(book):
    book.ticket()

    group = only(book.report())

    assert group["answered"] == 0
    assert group["within_target"] is None
    assert group["first_response_p50_min"] is None and group["first_response_p90_min"] is None


@pytest.mark.parametrize(("group_by", "expected"), [
    ("platform", [("facebook", 1, 1), ("x", 2, 1)]),
    ("team", [("billing", 2, 1), ("care", 1, 1)]),
    ("priority", [("high", 1, 1), ("normal", 2, 1)]),
])
def test_it_groups_tickets_by_their_platform_team_or_priority(book, group_by, expected):
    book.ticket(platform="x", team="care", priority="high", answered_after=10)
    book.ticket(platform="facebook", team="billing", priority="normal", answered_after=40)
    book.ticket(platform="x", team="billing", priority="normal")

    report = book.report(group_by)

    assert [(g["key"], g["tickets"], g["answered"]) for g in report] == expected


def test_by_agent_a_ticket_belongs_to_whoever_sent_its_first_answer(book):
    first = book.ticket(answered_after=10, by="ada@example.com")
    book.event(first, "replied", minutes_ago=5, actor="bob@example.com")
    book.ticket(answered_after=20, by="bob@example.com", kind="answered_elsewhere")
    book.ticket(answered_after=40, by="bob@example.com")
    book.ticket()

    report = book.report("agent")

    assert [(g["key"], g["tickets"], g["first_response_p50_min"]) for g in report] == [
        ("ada@example.com", 1, 10.0), ("bob@example.com", 2, 20.0), (None, 1, None)]


def test_breaches_are_counted_from_the_breached_events_of_the_period(book):
    recent = book.ticket(minutes_ago=120, platform="x")
    book.event(recent, "breached", minutes_ago=90)
    book.event(recent, "breached", minutes_ago=30)
    older = book.ticket(minutes_ago=3 * 24 * 60, platform="facebook")
    book.event(older, "breached", minutes_ago=2 * 24 * 60)
    book.event(older, "breached", minutes_ago=60)
    flagged_only = book.ticket(platform="reddit")
    with book.db.transaction() as session:
        session.get(Ticket, flagged_only).first_response_breached = True

    report = {g["key"]: (g["tickets"], g["breaches"]) for g in book.report()}

    assert report == {"facebook": (0, 1), "reddit": (1, 0), "x": (1, 2)}


def test_the_period_includes_its_start_and_excludes_its_end(book):
    day = 24 * 60
    book.ticket(minutes_ago=day + 1 / 60)
    book.ticket(minutes_ago=day)
    book.ticket(minutes_ago=1 / 60)
    book.ticket(minutes_ago=0)

    assert only(book.report(hours=24))["tickets"] == 2


def test_an_unknown_grouping_is_refused(book):
    with pytest.raises(ValueError, match="group_by must be one of platform, team, agent, priority"):
        book.report("customer")


def test_it_lists_breached_and_at_risk_tickets_with_their_assignee_and_minutes(book, settings):
    ada = book.agent("Ada Lovelace", "ada@example.com")
    breached = book.ticket(minutes_ago=90, due_after=65, status="new", assignee_id=ada)
    at_risk = book.ticket(minutes_ago=50, due_after=60, status="new")
    book.ticket(minutes_ago=10, due_after=60, status="new")
    book.ticket(minutes_ago=90, due_after=30, status="resolved")
    paused = book.ticket(minutes_ago=90, due_after=30, status="pending")
    late_again = book.ticket(minutes_ago=200, due_after=30, answered_after=20)
    book.ticket(minutes_ago=200, due_after=30, answered_after=20)
    with book.db.transaction() as session:
        session.get(Ticket, paused).paused_at = book.now - timedelta(minutes=70)
        ticket = session.get(Ticket, late_again)
        ticket.sla_started_at = book.now - timedelta(minutes=65)
        ticket.next_response_due_at = book.now - timedelta(minutes=5)

    with book.db.sessions() as session:
        found = at_risk_and_breached(session, book.now, settings.sla.at_risk_share, SlaClock(settings))

    assert [(f["ticket_id"], f["state"], f["target"], f["minutes_over"], f["minutes_left"], f["assignee"])
            for f in found] == [
        (breached, "breached", "first_response", 25, None, "Ada Lovelace"),
        (late_again, "breached", "next_response", 5, None, None),
        (at_risk, "at_risk", "first_response", None, 10, None),
    ]


def test_a_ticket_is_not_at_risk_before_its_share_of_the_target_has_passed(book, settings):
    book.ticket(minutes_ago=44, due_after=60, status="new")

    with book.db.sessions() as session:
        assert at_risk_and_breached(session, book.now, 0.75, SlaClock(settings)) == []


def test_agent_load_counts_each_active_agents_open_tickets_against_capacity(book):
    ada = book.agent("Ada Lovelace", "ada@example.com", capacity=2)
    book.agent("Bob Ross", "bob@example.com", capacity=5, presence="away")
    cy = book.agent("Cy Young", "cy@example.com", active=False)
    for status in ("new", "open", "pending", "resolved"):
        book.ticket(status=status, assignee_id=ada)
    book.ticket(assignee_id=cy)

    with book.db.sessions() as session:
        load = agent_load(session)

    assert [(a["name"], a["open"], a["capacity"], a["over_capacity"], a["presence"]) for a in load] == [
        ("Ada Lovelace", 3, 2, True, "online"), ("Bob Ross", 0, 5, False, "away")]


def test_volume_counts_tickets_and_mentions_per_platform_and_local_hour(book):
    paris = ZoneInfo("Europe/Paris")
    now = book.now
    assert now.astimezone(paris).hour == 10
    book.ticket(minutes_ago=30, platform="x")
    book.ticket(minutes_ago=50, platform="x")
    book.ticket(minutes_ago=10 * 60, platform="facebook")
    book.ticket(minutes_ago=25 * 60, platform="facebook")
    with book.db.transaction() as session:
        identity = Identity(customer=Customer(display_name="Maria", created_at=now), platform="x",
                            platform_user_id="u1")
        for n, minutes_ago in enumerate((5, 40, 70)):
            at = now - timedelta(minutes=minutes_ago)
            session.add(Mention(platform="x", external_id=f"m{n}", kind="post", identity=identity, text="hello",
                                created_at=at, received_at=now, sentiment="neutral", polarity=0.0, urgency=0.1,
                                needs_response=True))

    with book.db.sessions() as session:
        volume = volume_by_platform_and_hour(session, now - timedelta(hours=24), now, paris)

    by_platform = {row["platform"]: row for row in volume["platforms"]}
    assert volume["hours"] == list(range(24))
    assert list(by_platform) == ["facebook", "x"]
    assert by_platform["x"]["tickets"][9] == 2 and sum(by_platform["x"]["tickets"]) == 2
    assert by_platform["x"]["mentions"][9] == 2 and by_platform["x"]["mentions"][8] == 1
    assert by_platform["facebook"]["tickets"][0] == 1 and sum(by_platform["facebook"]["tickets"]) == 1
    assert sum(by_platform["facebook"]["mentions"]) == 0
