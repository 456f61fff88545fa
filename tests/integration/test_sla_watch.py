"""At risk, breach, escalation and alerts, with a movable clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from listener.sla_watch import SlaWatch
from store.accounts import create_agent
from store.models import Alert, Customer, Event, Ticket
from store.sla import SlaClock


@pytest.fixture
def team_settings(settings):
    teams = {"care": settings.teams["care"].model_copy(update={
        "leads": ("lead@example.com",), "alert_emails": ("care-leads@example.com",), "slack_webhook": "https://hook"})}
    return settings.model_copy(update={"teams": teams})


class Desk:
    def __init__(self, db, settings, clock):
        self.db, self.settings, self.clock = db, settings, clock
        self.sla = SlaClock(settings)
        self.watch = SlaWatch(db, settings, clock, self.sla)

    def agent(self, email, role="agent", presence="online", team="care"):
        with self.db.transaction() as session:
            return create_agent(session, name=email.split("@")[0].title(), email=email, password="pw", role=role,
                                presence=presence, team=team, now=self.clock.now()).id

    def ticket(self, priority="high", assignee=None):
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=now), platform="x", status="new",
                            priority=priority, team="care", created_at=now, updated_at=now, assignee_id=assignee)
            self.sla.start(ticket, now, "standard")
            session.add(ticket)
            session.flush()
            return ticket.id

    def get(self, ticket_id):
        with self.db.transaction() as session:
            return session.get(Ticket, ticket_id)

    def alerts(self, kind=None):
        with self.db.transaction() as session:
            query = select(Alert).order_by(Alert.id)
            if kind:
                query = query.where(Alert.kind == kind)
            return session.scalars(query).all()

    def events(self, kind):
        with self.db.transaction() as session:
            return session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)).all()


@pytest.fixture
def desk(db, team_settings, clock):
    return Desk(db, team_settings, clock)


def test_nothing_is_announced_before_three_quarters_of_the_target(desk):
    desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(minutes=44)
    assert desk.watch.check().at_risk == []
    assert desk.alerts() == []


def test_the_assignee_and_the_lead_hear_when_a_ticket_is_at_risk(desk):
    alex = desk.agent("alex@example.com")
    desk.agent("lead@example.com", role="manager")
    ticket_id = desk.ticket(assignee=alex)
    desk.clock.advance(minutes=45)
    assert desk.watch.check().at_risk == [ticket_id]
    sent = {(a.channel, a.recipient) for a in desk.alerts("at_risk")}
    assert sent == {("web", "alex@example.com"), ("email", "alex@example.com"),
                    ("web", "lead@example.com"), ("email", "lead@example.com")}
    alert = desk.alerts("at_risk")[0]
    assert alert.subject == (f"Alex's ticket #{ticket_id} is at risk: its 60-min first-response target "
                             "is due in 15 min")
    assert alert.link == f"http://127.0.0.1:8000/tickets/{ticket_id}"
    assert alert.link in alert.body
    assert alert.body.startswith("High X ticket from Maria, assigned to Alex.")


def test_a_target_first_seen_at_risk_in_its_last_minute_says_so_in_words(desk):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(minutes=59, seconds=45)
    assert desk.watch.check().at_risk == [ticket_id]
    assert desk.alerts("at_risk")[0].subject.endswith("target is due in under a minute")


def test_an_announcement_is_made_once_even_across_a_restart(desk, db, team_settings):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(minutes=50)
    desk.watch.check()
    restarted = SlaWatch(db, team_settings, desk.clock)
    assert restarted.check().at_risk == []
    desk.clock.advance(minutes=11)
    assert restarted.check().breached == [ticket_id]
    assert SlaWatch(db, team_settings, desk.clock).check().breached == []
    assert len(desk.events("at_risk")) == 1
    assert len(desk.events("breached")) == 1


def test_a_breach_missed_while_down_is_announced_at_start(desk, db, team_settings):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(hours=3)
    report = SlaWatch(db, team_settings, desk.clock).check()
    assert report.breached == [ticket_id]
    assert desk.events("breached")[0].detail["minutes_over"] == 120


def test_a_breach_is_flagged_escalated_and_announced_everywhere(desk):
    alex = desk.agent("alex@example.com")
    desk.agent("sam@example.com", role="senior")
    ticket_id = desk.ticket(assignee=alex)
    desk.clock.advance(minutes=61)
    desk.watch.check()
    ticket = desk.get(ticket_id)
    assert ticket.first_response_breached
    assert ticket.escalation_level == 1
    assert ticket.assignee_id == alex
    channels = {(a.channel, a.recipient) for a in desk.alerts("breached")}
    assert ("slack", "care") in channels
    assert ("email", "care-leads@example.com") in channels
    escalated = desk.alerts("escalated")
    assert [(a.channel, a.recipient) for a in escalated] == [("web", "sam@example.com")]
    assert escalated[0].subject.startswith(f"Alex's ticket #{ticket_id} was escalated to level 1")
    assert desk.events("escalated")[0].detail == {"level": 1, "to": "senior"}


def test_a_breached_ticket_of_an_away_agent_goes_to_an_online_senior(desk):
    away = desk.agent("alex@example.com", presence="away")
    desk.agent("junior@example.com")
    senior = desk.agent("sam@example.com", role="senior")
    ticket_id = desk.ticket(assignee=away)
    desk.clock.advance(minutes=61)
    desk.watch.check()
    ticket = desk.get(ticket_id)
    assert (ticket.assignee_id, ticket.assignment_reason) == (senior, "escalation: Alex is away")


def test_a_breached_ticket_of_an_away_agent_stays_within_its_team(desk):
    away = desk.agent("alex@example.com", presence="away")
    desk.agent("other-senior@example.com", role="senior", team="billing")
    teammate = desk.agent("junior@example.com")
    ticket_id = desk.ticket(assignee=away)
    desk.clock.advance(minutes=61)
    desk.watch.check()
    ticket = desk.get(ticket_id)
    assert (ticket.assignee_id, ticket.assignment_reason) == (teammate, "escalation: Alex is away")


def test_a_second_breach_escalates_to_a_manager(desk):
    alex = desk.agent("alex@example.com")
    ticket_id = desk.ticket(priority="urgent", assignee=alex)
    desk.clock.advance(minutes=31)
    desk.watch.check()
    desk.clock.advance(hours=24)
    desk.watch.check()
    assert desk.get(ticket_id).escalation_level == 2
    assert [e.detail["to"] for e in desk.events("escalated")] == ["senior", "manager"]
    assert [e.detail["target"] for e in desk.events("breached")] == ["first_response", "resolution"]


def test_a_seniors_breached_ticket_escalates_past_the_seniors_to_a_manager(desk):
    sam = desk.agent("sam@example.com", role="senior")
    desk.agent("max@example.com", role="manager")
    ticket_id = desk.ticket(priority="urgent", assignee=sam)
    desk.clock.advance(minutes=31)
    desk.watch.check()
    assert desk.get(ticket_id).escalation_level == 2
    assert [e.detail["to"] for e in desk.events("escalated")] == ["senior", "manager"]
    assert [(a.channel, a.recipient) for a in desk.alerts("escalated")] == [("web", "max@example.com")]


def test_a_paused_ticket_is_not_at_risk_and_its_clock_moves_on_when_resumed(desk):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    with desk.db.transaction() as session:
        desk.sla.pause(session.get(Ticket, ticket_id), desk.clock.now())
    desk.clock.advance(hours=5)
    assert desk.watch.check().breached == []
    with desk.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        desk.sla.customer_wrote(ticket, desk.clock.now(), "standard")
    assert desk.get(ticket_id).first_response_due_at == desk.clock.now() + timedelta(minutes=60)


def test_a_response_in_time_is_never_announced(desk):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(minutes=20)
    with desk.db.transaction() as session:
        desk.sla.answered(session.get(Ticket, ticket_id), desk.clock.now())
    desk.clock.advance(hours=2)
    report = desk.watch.check()
    assert (report.at_risk, report.breached) == ([], [])


@pytest.mark.parametrize("late, words", [({"seconds": 40}, "just now"), ({"seconds": 290}, "4 min ago")])
def test_a_breach_says_how_long_ago_in_words(desk, late, words):
    ticket_id = desk.ticket(assignee=desk.agent("alex@example.com"))
    desk.clock.advance(minutes=60, **late)
    desk.watch.check()
    assert {a.subject for a in desk.alerts("breached")} == {
        f"Alex's ticket #{ticket_id} breached its 60-min first-response target {words}"}


def test_each_person_hears_of_a_ticket_at_risk_once_and_of_its_breaches_once_per_level(desk):
    alex = desk.agent("alex@example.com")
    ticket_id = desk.ticket(assignee=alex)
    desk.clock.advance(minutes=50)
    desk.watch.check()
    desk.clock.advance(minutes=11)
    desk.watch.check()
    with desk.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        desk.sla.answered(ticket, desk.clock.now())
        desk.sla.customer_wrote(ticket, desk.clock.now(), "standard")
        ticket.escalation_level = 2
    desk.clock.advance(minutes=50)
    desk.watch.check()
    desk.clock.advance(minutes=11)
    assert desk.watch.check().breached == [ticket_id]
    to_alex = [(a.kind, a.key) for a in desk.alerts() if a.channel == "email" and a.recipient == "alex@example.com"]
    assert to_alex == [("at_risk", f"at_risk:{ticket_id}"), ("breached", f"breached:{ticket_id}:level1"),
                       ("breached", f"breached:{ticket_id}:level2")]
