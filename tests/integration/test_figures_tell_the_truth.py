"""Response-time figures checked against answers worked out by hand, as a
manager reads them: /api/v1/reports/sla and its CSV, the dashboard's
table, /metrics, the volume CSV and, on PostgreSQL, the kept figures of a
past day or hour. High-priority tickets: first answer due 60 minutes after
the customer asked."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from config import load_settings
from config.settings import AccountSettings, SourceSettings
from listener.in_force import hold
from listener.polling import Poller, sync_sources
from store import kept_figures
from store.models import Agent, Customer, Event, KeptFigures, Mention, Ticket
from store.sla import SlaClock
from store.tickets import no_response_needed
from tests import TEST_SECRET_KEY
from tests.integration.loop_helpers import ScriptedConnector, batch, post
from tests.integration.web_helpers import make_world
from web import create_app


class Desk:
    """Tickets raised and answered at chosen minutes, and a manager's view of the figures."""

    def __init__(self, db, settings, clock, teams: dict | None = None):
        self.db, self.clock, self.sla = db, clock, SlaClock(settings)
        self.world = make_world(db, clock, teams=teams)
        self.world.agent("Mia Manager", "mia@example.com", role="manager")
        self.auth = {"Authorization": f"Bearer {self.world.token(self.world.client(), 'mia@example.com')}"}
        self.start = clock.now()

    def ticket(self) -> int:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=now), platform="x",
                            status="new", priority="high", team="care", created_at=now, updated_at=now)
            self.sla.start(ticket, now, "standard")
            session.add(ticket)
            session.add(Event(ticket=ticket, kind="raised", at=now, detail={}))
            session.flush()
            return ticket.id

    def answer(self, ticket_id: int) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            SlaClock.answered(ticket, now)
            ticket.updated_at = now
            session.add(Event(ticket=ticket, kind="replied", at=now, actor="ada@example.com", detail={}))

    def pause(self, ticket_id: int) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            SlaClock.pause(ticket, now)
            ticket.status, ticket.updated_at = "pending", now

    def customer_writes(self, ticket_id: int) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            self.sla.customer_wrote(ticket, now, "standard")
            ticket.status, ticket.updated_at = "open", now
            session.add(Event(ticket=ticket, kind="customer_wrote", at=now, detail={"needs_response": True}))

    def resolve(self, ticket_id: int) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id)
            ticket.status, ticket.resolved_at, ticket.updated_at = "resolved", now, now

    def no_response_needed(self, ticket_id: int) -> None:
        with self.db.transaction() as session:
            manager = session.query(Agent).filter_by(email="mia@example.com").one()
            no_response_needed(session, session.get(Ticket, ticket_id), manager, self.clock.now())

    def period(self, start: datetime | None = None, end: datetime | None = None) -> dict:
        return {"from": (start or self.start - timedelta(hours=1)).isoformat(),
                "to": (end or self.clock.now() + timedelta(minutes=1)).isoformat()}

    def first_response(self, **period) -> dict:
        response = self.world.client().get("/api/v1/reports/sla", headers=self.auth,
                                           query_string=self.period(**period))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["total"]["first_response"]

    def scrape(self, monkeypatch) -> str:
        """/metrics as Prometheus reads it."""
        monkeypatch.setenv("METRICS_TOKEN_FOR_TEST", "s3cret")
        settings = load_settings(env={}, overrides={"database": {"url": self.db.url},
                                                    "web": {"secret_key": TEST_SECRET_KEY},
                                                    "metrics": {"token": "env:METRICS_TOKEN_FOR_TEST"}})
        client = create_app(settings, db=self.db, clock=self.clock).test_client()
        response = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def dashboard_rows(self) -> list[str]:
        """The first-response table of the dashboard page, a line of text per row."""
        client = self.world.client()
        self.world.sign_in(client, "mia@example.com")
        page = client.get("/dashboard", query_string=self.period()).get_data(as_text=True)
        table = page[page.index('id="sla-figures"'):]
        table = table[table.index("<tbody>"):table.index("</table>")]
        return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in table.split("</tr>")[:-1]]

    def now_report(self) -> dict:
        response = self.world.client().get("/api/v1/reports/now", headers=self.auth)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def tickets_in_volume(self, start: datetime, end: datetime) -> int:
        """Tickets raised in [start, end) by the volume CSV."""
        response = self.world.client().get("/api/v1/reports/volume.csv", headers=self.auth,
                                           query_string=self.period(start, end))
        assert response.status_code == 200, response.data
        return sum(int(row["tickets"]) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    def csv_first_response(self) -> dict:
        response = self.world.client().get("/api/v1/reports/sla.csv", headers=self.auth,
                                           query_string=self.period())
        assert response.status_code == 200, response.data
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        return next(row for row in rows if row["group_by"] == "all" and row["target"] == "first_response")


@pytest.fixture
def desk(db, settings, clock):
    return Desk(db, settings, clock)


def counts(figures: dict) -> tuple:
    return figures["due"], figures["met"], figures["missed"], figures["achievement"]


def waits(figures: dict) -> tuple:
    return figures["median_min"], figures["median_at_least"], figures["p90_min"], figures["p90_at_least"]


def test_ten_first_answers_at_known_minutes_give_the_counts_and_percentiles_worked_out_by_hand(desk, monkeypatch):
    """Answers at 7, 14, ... 70 minutes: 8 by the 60-minute target, 2 after.
    Nearest rank of 10 waits: the median is the 5th (35), the 90th percentile the 9th (63)."""
    tickets = [desk.ticket() for _ in range(10)]
    for ticket in tickets:
        desk.clock.advance(minutes=7)
        desk.answer(ticket)
    desk.clock.advance(minutes=5)

    figures = desk.first_response()
    assert counts(figures) == (10, 8, 2, 0.8)
    assert waits(figures) == (35.0, False, 63.0, False)
    row = desk.csv_first_response()
    assert (row["due"], row["met"], row["missed"], row["median_min"], row["p90_min"]) == ("10", "8", "2", "35.0",
                                                                                          "63.0")
    assert 'closeloop_sla_achievement{platform="x",target="first_response"} 0.8' in desk.scrape(monkeypatch)


def test_a_ticket_unanswered_past_its_due_time_counts_as_missed_and_its_wait_as_at_least(desk):
    """Answered at 10 and 20 minutes, the third never: at 90 minutes it is
    missed, and the 90th percentile (3rd of 3) is its wait so far."""
    first, second, waiting = desk.ticket(), desk.ticket(), desk.ticket()
    desk.clock.advance(minutes=10)
    desk.answer(first)
    desk.clock.advance(minutes=10)
    desk.answer(second)
    desk.clock.advance(minutes=70)

    figures = desk.first_response()
    assert counts(figures) == (3, 2, 1, pytest.approx(2 / 3, abs=0.01))
    assert waits(figures) == (20.0, False, 90.0, True)
    assert desk.dashboard_rows() == ["X 3 2 1 66.7 % 0 20.0 min ≥ 90.0 min"]
    assert waiting


def test_tickets_closed_without_an_answer_before_their_due_time_count_in_no_first_response_figure(desk):
    """Resolved unanswered, or marked "no response needed", in time: no answer
    was owed, so neither met nor missed nor a wait; the one answered late
    is the only target and the only wait."""
    resolved, not_needed, answered_late = desk.ticket(), desk.ticket(), desk.ticket()
    desk.clock.advance(minutes=5)
    desk.resolve(resolved)
    desk.no_response_needed(not_needed)
    desk.clock.advance(minutes=70)
    desk.answer(answered_late)

    assert counts(desk.first_response()) == (1, 0, 1, 0.0)
    figures = desk.first_response()
    assert (waits(figures), figures["waiting"]) == ((75.0, False, 75.0, False), 0)


def test_a_ticket_resolved_unanswered_after_its_due_time_stays_missed(desk):
    ticket = desk.ticket()
    desk.clock.advance(minutes=75)
    desk.resolve(ticket)
    desk.clock.advance(minutes=5)

    assert counts(desk.first_response()) == (1, 0, 1, 0.0)


def test_yesterdays_figures_asked_twice_are_recounted_after_one_of_yesterdays_tickets_changes(
        postgres_db, settings, clock, monkeypatch):
    """Yesterday: two tickets, one answered in 10 minutes, one left waiting.
    Asked today, the kept day says 1 met, 1 missed, the waiting one's wait
    "at least" a day and 10 minutes; read again unchanged, it is the kept
    row. The waiting one is then answered, and yesterday asked again still
    counts its miss, its wait now the answered one."""
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    desk = Desk(postgres_db, settings, clock)
    met, late = desk.ticket(), desk.ticket()
    desk.clock.advance(minutes=10)
    desk.answer(met)
    yesterday = desk.start.replace(hour=0, minute=0)
    desk.clock.advance(days=1)
    day = {"start": yesterday, "end": yesterday + timedelta(days=1)}

    first = desk.first_response(**day)
    assert counts(first) == (2, 1, 1, 0.5)
    assert (first["p90_min"], first["p90_at_least"]) == (24 * 60.0 + 10, True)
    kept_at = _kept_day(postgres_db, yesterday)
    assert kept_at is not None
    desk.clock.advance(minutes=30)
    assert desk.first_response(**day) == {**first, "p90_min": 24 * 60.0 + 40}
    assert _kept_day(postgres_db, yesterday) == kept_at

    desk.answer(late)
    desk.clock.advance(minutes=5)
    again = desk.first_response(**day)
    assert counts(again) == (2, 1, 1, 0.5)
    assert (again["p90_min"], again["p90_at_least"], again["waiting"]) == (24 * 60.0 + 40, False, 0)
    assert _kept_day(postgres_db, yesterday) > kept_at


def _kept_day(db, day: datetime) -> float | None:
    """When yesterday's first-response figures were last counted and kept."""
    return _kept_span(db, "sla:platform", day, 24)


def _kept_span(db, report: str, start: datetime, hours: int) -> float | None:
    with db.sessions() as session:
        return session.scalar(select(KeptFigures.computed_at).where(
            KeptFigures.report == report, KeptFigures.starts_at == start, KeptFigures.hours == hours))


def test_a_post_fetched_late_counts_the_customers_whole_wait_from_their_post(db, settings, clock):
    """The source listens from 09:00; Lee posts at 09:10, the poller brings
    it at 10:00 and an agent answers at 10:05: Lee waited 55 minutes, not 5.
    Kim, posted at 09:20 and still waiting at 10:30, has waited at least 70.
    Both count in the volume of 09:00-10:00, when they were posted, and the
    live report shows Kim's 70 minutes as the team's longest wait."""
    began = clock.now()
    lee = replace(post("My refund never came and nobody answers.", "lee"), created_at=began + timedelta(minutes=10))
    kim = replace(post("The app crashed again and I lost my basket.", "kim"),
                  created_at=began + timedelta(minutes=20))
    configured, poll = listening(db, settings, clock, batch(lee, kim))
    desk = Desk(db, configured, clock)
    clock.advance(minutes=60)
    poll()
    with db.sessions() as session:
        tickets = {ticket.mentions[0].identity.handle: ticket.id for ticket in session.scalars(select(Ticket))}
    clock.advance(minutes=5)
    desk.answer(tickets["lee"])
    clock.advance(minutes=25)

    figures = desk.first_response()
    assert (figures["waiting"], waits(figures)) == (1, (55.0, False, 70.0, True))
    assert desk.tickets_in_volume(began, began + timedelta(hours=1)) == 2
    oldest = [team["oldest"] for team in desk.now_report()["teams"]]
    assert [(wait["ticket_id"], wait["waiting_min"]) for wait in oldest] == [(tickets["kim"], 70)]
    assert desk.tickets_in_volume(began + timedelta(hours=1), began + timedelta(hours=2)) == 0


def _later_post_fetched_late(db, settings, clock, written_after: timedelta, then=None):
    """Lee's complaint, posted 10 minutes after the source began listening
    and fetched a minute later, is answered at minute 20 (`then` may change
    the ticket next, say pause it); Lee writes again `written_after` the
    source began, and the poller brings that post only at minute 100.
    Returns (the ticket, when the second post was written, the targets)."""
    began = clock.now()
    first = replace(post("My refund never came and nobody answers.", "lee"), created_at=began + timedelta(minutes=10))
    again = replace(post("Still no refund, and your reply did not help at all.", "lee"),
                    created_at=began + written_after)
    configured, poll = listening(db, settings, clock, batch(first), batch(again, cursor="c2"))
    desk = Desk(db, configured, clock)
    clock.advance(minutes=11)
    poll()
    with db.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        targets = SlaClock(configured).targets(ticket.priority, "x", "standard")
    clock.advance(minutes=9)
    desk.answer(ticket.id)
    if then is not None:
        then(desk, ticket.id)
    clock.advance(minutes=80)
    poll()
    with db.sessions() as session:
        return session.get(Ticket, ticket.id), began + written_after, targets


def test_a_later_post_fetched_late_starts_the_next_answers_clock_when_it_was_posted(db, settings, clock):
    """Written at minute 30, fetched at minute 100: the next answer was due
    from minute 30, so the ticket is past it when it arrives."""
    ticket, written, targets = _later_post_fetched_late(db, settings, clock, timedelta(minutes=30))

    assert ticket.next_response_due_at == written + targets.next_response
    assert ticket.sla_started_at == written
    assert ticket.next_response_due_at < clock.now()


def test_a_later_post_written_before_our_answer_counts_from_the_answer(db, settings, clock):
    """Written at minute 15, before our answer at minute 20 reached the
    customer: the next answer's clock starts at the answer, not before it."""
    ticket, _, targets = _later_post_fetched_late(db, settings, clock, timedelta(minutes=15))

    answered = ticket.first_response_at
    assert ticket.next_response_due_at == answered + targets.next_response


def test_a_paused_ticket_resumes_when_the_customer_wrote_not_when_the_post_arrived(db, settings, clock):
    """Pending from minute 25; the customer writes at minute 40 and the post
    arrives at minute 105: the clock stood still 15 minutes, not 80."""
    def pause_at_25(desk, ticket_id):
        desk.clock.advance(minutes=5)
        desk.pause(ticket_id)
    ticket, written, targets = _later_post_fetched_late(db, settings, clock, timedelta(minutes=40), pause_at_25)

    assert ticket.paused_at is None and ticket.status == "open"
    assert ticket.next_response_due_at == written + targets.next_response
    assert ticket.resolution_due_at == ticket.created_at + targets.resolution + timedelta(minutes=15)


def test_a_more_urgent_post_fetched_in_the_same_late_page_counts_from_when_it_was_posted(db, settings, clock):
    """Lee asks at minute 10 and writes of a fire at minute 12; the poller
    brings both at minute 70, in one page. The ticket raised from the
    first post changes as the page is taken, which is not a change that
    bounds the second post's clock: the urgent answer is due from minute
    12, not from minute 70."""
    began = clock.now()
    asked = replace(post("How do I update my address?", "lee"), created_at=began + timedelta(minutes=10))
    fire = replace(post("Update: the heater you sold me caught fire!", "lee"),
                   created_at=began + timedelta(minutes=12))
    configured, poll = listening(db, settings, clock, batch(asked, fire))
    clock.advance(minutes=70)
    poll()
    with db.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        targets = SlaClock(configured).targets("urgent", "x", "standard")

    assert ticket.priority == "urgent"
    assert ticket.first_response_due_at == fire.created_at + targets.first_response


def test_a_ticket_paused_on_the_customer_then_resumed_counts_only_the_time_it_waited_on_us(desk):
    """Paused after 30 minutes (waiting on the customer) for five hours; the
    customer writes and it is answered 20 minutes later: 50 of its 60
    minutes used, so met, though the customer's wait was 350 minutes."""
    ticket = desk.ticket()
    desk.clock.advance(minutes=30)
    desk.pause(ticket)
    desk.clock.advance(hours=5)
    assert counts(desk.first_response()) == (0, 0, 0, None)
    desk.customer_writes(ticket)
    desk.clock.advance(minutes=20)
    desk.answer(ticket)
    desk.clock.advance(minutes=1)

    assert counts(desk.first_response()) == (1, 1, 0, 1.0)
    assert waits(desk.first_response()) == (350.0, False, 350.0, False)  # the wait is the customer's, paused or not


def test_a_ticket_raised_friday_evening_and_answered_monday_morning_is_met_in_business_hours(
        db, settings, clock):
    """Open 09:00-17:00 on weekdays: raised Friday 16:30 with 30 open minutes
    left, due Monday 09:30; answered Monday 09:20, so met; one answered
    Monday 09:40 missed. The waits are the customer's, weekend included."""
    hours = {"timezone": "UTC", **{day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}
    teams = {"care": {**settings.teams["care"].model_dump(exclude_none=True), "hours": hours}}
    hourly = settings.model_copy(update={"teams": {"care": settings.teams["care"].model_copy(
        update={"hours": hours})}})
    clock.advance(days=4, hours=7, minutes=30)  # Friday 2026-01-09 16:30
    desk = Desk(db, hourly, clock, teams=teams)
    met, missed = desk.ticket(), desk.ticket()
    clock.advance(days=2, hours=16, minutes=50)  # Monday 09:20
    desk.answer(met)
    clock.advance(minutes=20)
    desk.answer(missed)
    clock.advance(minutes=5)

    assert counts(desk.first_response()) == (2, 1, 1, 0.5)
    assert waits(desk.first_response()) == (3890.0, False, 3910.0, False)  # the customer waited the weekend


def test_a_spam_post_raises_no_ticket_and_counts_in_no_response_time_figure(db, settings, clock):
    _, poll = listening(db, settings, clock, batch(post("followback follow4follow f4f", "bot")))
    desk = Desk(db, settings, clock)
    poll()
    clock.advance(hours=3)
    with db.sessions() as session:
        assert [(m.needs_response, m.ticket_id) for m in session.scalars(select(Mention))] == [(False, None)]

    figures = desk.first_response()
    assert (counts(figures), figures["waiting"], figures["not_yet_due"]) == ((0, 0, 0, None), 0, 0)


def listening(db, settings, clock, *script):
    """Settings with one X mentions source listened to from now, and a
    function that polls it once through a connector answering `script`."""
    configured = settings.model_copy(update={
        "accounts": {"acme_x": AccountSettings(platform="x", bearer_token="t")},
        "sources": (SourceSettings(name="x-mentions", account="acme_x", kind="mentions", target="",
                                   poll_seconds=60),)})
    connector = ScriptedConnector(*script)
    poller = Poller(db, hold(configured), clock, lambda account, platform: connector)
    with db.transaction() as session:
        source_id = sync_sources(session, configured, clock.now())[0].id
    return configured, lambda: poller.poll(source_id, force=True)


def test_a_post_fetched_late_into_an_hour_already_kept_is_counted_in_it(postgres_db, settings, clock, monkeypatch):
    """The 09:00 hour is kept, empty, at 11:05; the poller then brings a post
    from 09:10. Asked again, that hour has its ticket, waiting 115 minutes
    and its 60-minute target missed at 10:10."""
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    began = clock.now()
    late = replace(post("My refund never came and nobody answers.", "lee"), created_at=began + timedelta(minutes=10))
    configured, poll = listening(postgres_db, settings, clock, batch(late))
    desk = Desk(postgres_db, configured, clock)
    clock.advance(hours=2, minutes=5)
    hour = {"start": began, "end": began + timedelta(hours=1)}
    assert desk.tickets_in_volume(**hour) == 0
    assert desk.first_response(**hour)["waiting"] == 0
    assert _kept_span(postgres_db, "sla:platform", began, 1) is not None

    poll()
    assert desk.tickets_in_volume(**hour) == 1
    figures = desk.first_response(**hour)
    assert (figures["waiting"], figures["p90_min"], figures["p90_at_least"]) == (1, 115.0, True)
    assert desk.first_response(start=began, end=began + timedelta(hours=2))["missed"] == 1
