"""Incidents: tickets joining by rule or by hand, and the fix's update
reaching every linked customer once, even across a crash."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.base import ConnectorError
from listener.intake import Intake
from responder.broadcast import broadcast_fix, broadcast_replies, retry_failed_updates
from responder.outbox import Outbox
from store.accounts import create_agent
from store.errors import Refused
from store.incidents import link_tickets, open_incident
from store.models import Incident, Mention, Reply, Ticket
from tests.integration.loop_helpers import ProcessDied, ScriptedConnector, post

PAYMENT = "My card payment failed three times at checkout, what is going on?"
UPDATE = "The payment problem is fixed: please try again, and sorry for the trouble."


class Desk:
    def __init__(self, db, settings, clock):
        self.db, self.settings, self.clock = db, settings, clock
        self.intake = Intake(settings)
        self.platform = ScriptedConnector()
        self.outbox = Outbox(db, settings.outbox, clock, lambda account, platform: self.platform)
        with db.transaction() as session:
            create_agent(session, name="Alex Agent", email="alex@example.com", password="pw", role="agent",
                         presence="online", now=clock.now(), capacity=50)

    def customer_posts(self, text, handle):
        return self.customer_writes(text, handle).ticket_ids[0]

    def customer_writes(self, text, handle):
        posted = replace(post(text, handle), created_at=self.clock.now())
        with self.db.transaction() as session:
            return self.intake.ingest(session, [posted], self.clock.now())

    def open(self, **rule):
        with self.db.transaction() as session:
            return open_incident(session, title="payment outage 14:00", topic=rule.get("topic"),
                                 keywords=rule.get("keywords", []), since=rule.get("since"),
                                 actor="manager@example.com", now=self.clock.now()).id

    def linked(self, incident_id):
        with self.db.transaction() as session:
            return [t.id for t in session.get(Incident, incident_id).tickets]

    def fix(self, incident_id, message=UPDATE):
        with self.db.transaction() as session:
            return broadcast_fix(session, session.get(Incident, incident_id), message, "manager@example.com",
                                 self.settings, self.clock.now())

    def updates(self, incident_id):
        with self.db.transaction() as session:
            return {ticket_id: (r.status, r.last_error)
                    for ticket_id, r in broadcast_replies(session.get(Incident, incident_id)).items()}


@pytest.fixture
def desk(db, settings, clock):
    return Desk(db, settings, clock)


def test_open_tickets_matching_the_rule_join_when_it_opens_and_new_ones_while_it_is_open(desk):
    payment = [desk.customer_posts(PAYMENT, f"payer{n}") for n in range(3)]
    desk.customer_posts("My parcel never arrived, terrible service", "waiting")
    incident_id = desk.open(topic="billing_or_refund", keywords=["payment"])
    assert desk.linked(incident_id) == payment

    later = desk.customer_posts("Payment declined again at checkout!!", "late_payer")
    desk.customer_posts("I was charged twice for one order", "double")
    assert desk.linked(incident_id) == payment + [later]

    desk.fix(incident_id)
    desk.customer_posts("Payment failed again for me", "after_fix")
    assert desk.linked(incident_id) == payment + [later]


def test_a_rule_with_a_time_only_takes_posts_since_then(desk, clock):
    desk.customer_posts(PAYMENT, "early")
    clock.advance(hours=2)
    recent = desk.customer_posts(PAYMENT, "recent")
    incident_id = desk.open(keywords=["payment"], since=clock.now() - timedelta(hours=1))
    assert desk.linked(incident_id) == [recent]


def test_tickets_can_be_linked_by_hand_but_not_to_two_incidents(desk):
    first = desk.customer_posts("Nothing works today", "one")
    incident_id = desk.open()
    assert desk.linked(incident_id) == []
    with desk.db.transaction() as session:
        link_tickets(session, session.get(Incident, incident_id), [session.get(Ticket, first)],
                     "manager@example.com", desk.clock.now(), why="by hand")
    other_id = desk.open()
    with pytest.raises(Refused, match=f"ticket {first} is already in incident {incident_id}"):
        with desk.db.transaction() as session:
            link_tickets(session, session.get(Incident, other_id), [session.get(Ticket, first)],
                         "manager@example.com", desk.clock.now(), why="by hand")


def test_the_fix_reaches_every_linked_customer_once_in_their_own_thread_and_resolves_the_tickets(desk):
    tickets = [desk.customer_posts(PAYMENT, f"payer{n}") for n in range(3)]
    incident_id = desk.open(keywords=["payment"])
    report = desk.fix(incident_id)
    assert report.queued == report.resolved == tickets

    while desk.outbox.send_due():
        pass
    with desk.db.transaction() as session:
        threads = {session.get(Ticket, t).mentions[0].external_id for t in tickets}
        statuses = {session.get(Ticket, t).status for t in tickets}
        followups = {session.get(Ticket, t).followup_state for t in tickets}
    assert sorted(parent for _, parent, _ in desk.platform.posted) == sorted(threads)
    assert {body for _, _, body in desk.platform.posted} == {UPDATE}
    assert statuses == {"resolved"}
    assert followups == {"scheduled"}

    with pytest.raises(Refused, match="already fixed"):
        desk.fix(incident_id)
    assert len(desk.platform.posted) == 3


def test_after_a_crash_midway_the_rest_are_sent_and_none_twice(desk, clock):
    tickets = [desk.customer_posts(PAYMENT, f"payer{n}") for n in range(4)]
    incident_id = desk.open(keywords=["payment"])
    desk.fix(incident_id)
    desk.outbox.send_due(limit=1)
    desk.platform.crash_after_posting = True
    with pytest.raises(ProcessDied):
        desk.outbox.send_due(limit=1)
    desk.platform.crash_after_posting = False

    clock.advance(seconds=desk.settings.outbox.stale_send_seconds + 1)
    while desk.outbox.send_due():
        pass
    parents = [parent for _, parent, _ in desk.platform.posted]
    assert len(parents) == len(set(parents)) == len(tickets)
    assert set(desk.updates(incident_id).values()) == {("sent", None)}


def test_a_partial_failure_says_who_and_a_retry_resends_to_them_alone(desk):
    tickets = [desk.customer_posts(PAYMENT, f"payer{n}") for n in range(3)]
    incident_id = desk.open(keywords=["payment"])
    desk.fix(incident_id)
    desk.outbox.send_due(limit=1)
    desk.platform.post_errors.append(ConnectorError("the post was deleted", permanent=True))
    while desk.outbox.send_due():
        pass
    updates = desk.updates(incident_id)
    failed = [t for t, (status, _) in updates.items() if status == "failed"]
    assert len(failed) == 1 and updates[failed[0]] == ("failed", "the post was deleted")
    assert len(desk.platform.posted) == 2

    with desk.db.transaction() as session:
        assert retry_failed_updates(session, session.get(Incident, incident_id), desk.clock.now()) == failed
    while desk.outbox.send_due():
        pass
    assert len(desk.platform.posted) == 3
    assert sorted(p for _, p, _ in desk.platform.posted) == sorted(_threads(desk, tickets))
    with pytest.raises(Refused, match="no update of incident"):
        with desk.db.transaction() as session:
            retry_failed_updates(session, session.get(Incident, incident_id), desk.clock.now())


def test_the_update_is_filled_in_for_each_customer(desk):
    desk.customer_posts(PAYMENT, "maria")
    desk.customer_posts(PAYMENT, "tom")
    incident_id = desk.open(keywords=["payment"])
    with desk.db.transaction() as session:
        broadcast_fix(session, session.get(Incident, incident_id), "Hi {first_name}, payments work again. {agent_name}",
                      "manager@example.com", desk.settings, desk.clock.now(), agent_name="Morgan Manager")
    while desk.outbox.send_due():
        pass
    bodies = sorted(body for _, _, body in desk.platform.posted)
    assert len(bodies) == 2 and len(set(bodies)) == 2
    assert all(body.startswith("Hi ") and body.endswith("payments work again. Morgan") for body in bodies)
    assert not any("{" in body for body in bodies)


def test_an_update_with_an_unknown_placeholder_is_refused_and_nothing_changes(desk):
    desk.customer_posts(PAYMENT, "payer")
    incident_id = desk.open(keywords=["payment"])
    with pytest.raises(Refused, match=r"unknown placeholder \{name\}"):
        desk.fix(incident_id, message="Hi {name}, it works again")
    with desk.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "open"
        assert session.scalars(select(Reply)).all() == []


def test_the_update_is_the_customers_first_response(desk, clock):
    ticket_id = desk.customer_posts(PAYMENT, "payer")
    incident_id = desk.open(keywords=["payment"])
    clock.advance(minutes=10)
    desk.fix(incident_id)
    while desk.outbox.send_due():
        pass
    with desk.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.first_response_at, ticket.first_response_breached) == (clock.now(), False)


def test_a_ticket_with_another_complaint_waiting_stays_open_after_the_fix(desk):
    payer = desk.customer_posts(PAYMENT, "payer")
    both = desk.customer_posts(PAYMENT, "unlucky")
    assert desk.customer_writes("Also my parcel never arrived and nobody answers. Terrible.", "unlucky").threaded == 1
    incident_id = desk.open(keywords=["payment"])

    report = desk.fix(incident_id)

    with desk.db.transaction() as session:
        parcel = session.scalar(select(Mention.id).where(Mention.text.startswith("Also my parcel")))
        statuses = {t: session.get(Ticket, t).status for t in (payer, both)}
    assert report.queued == [payer, both]
    assert (report.resolved, report.left_open) == ([payer], {both: [parcel]})
    assert statuses == {payer: "resolved", both: "new"}


def test_an_update_too_long_for_a_platform_is_refused_and_nothing_changes(desk):
    desk.customer_posts(PAYMENT, "payer")
    incident_id = desk.open(keywords=["payment"])
    with pytest.raises(Refused, match=r"^the update to ticket \d+ counts 281 characters, 1 too many; X allows 280$"):
        desk.fix(incident_id, message="x" * 281)
    with desk.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "open"
        assert session.scalars(select(Reply)).all() == []


@pytest.mark.parametrize("title, keywords, message", [
    ("", [], "give the incident a title"),
    ("t" * 201, [], "keep the title under 200"),
    ("outage", ["k" * 101], "at most 20 keywords"),
])
def test_bad_incidents_are_refused(desk, title, keywords, message):
    with pytest.raises(Refused, match=message):
        with desk.db.transaction() as session:
            open_incident(session, title=title, topic=None, keywords=keywords, since=None, actor="m",
                          now=desk.clock.now())


def _threads(desk, tickets):
    with desk.db.transaction() as session:
        return [session.get(Ticket, t).mentions[0].external_id for t in tickets]
