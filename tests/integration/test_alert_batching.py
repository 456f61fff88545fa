"""Alerts people keep reading: an occasion is queued once per person and
channel however many workers announce it at once, the at-risk alerts a
person gets within a minute go out as one message, so do the breaches that
follow a first one within its minute, and an alert whose ticket no longer
needs it is not sent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.settings import AlertSettings
from connectors.emulator.mail import MailCatcher
from responder.alerts import AlertOutbox
from store.alerts import Recipient, queue_alerts
from store.models import Alert, Customer, Ticket

LEAD = Recipient("email", "lead@acme.example")


@pytest.fixture
def smtp():
    with MailCatcher() as receiver:
        yield receiver


def outbox(db, clock, smtp):
    settings = AlertSettings(interval_seconds=1, max_attempts=3, backoff_seconds=10, timeout_seconds=2,
                             base_url="https://closeloop.example/", smtp_host=smtp.host, smtp_port=smtp.port,
                             smtp_from="alerts@acme.example")
    return AlertOutbox(db, settings, clock, lambda name: "https://hook")


def ticket(db, clock) -> int:
    now = clock.now()
    with db.transaction() as session:
        raised = Ticket(customer=Customer(display_name="Maria", created_at=now), platform="x", status="new",
                        priority="high", team="care", created_at=now, updated_at=now,
                        first_response_due_at=now + timedelta(minutes=60))
        session.add(raised)
        session.flush()
        return raised.id


def at_risk(db, clock, ticket_id, *recipients) -> None:
    with db.transaction() as session:
        queue_alerts(session, key=f"at_risk:{ticket_id}", kind="at_risk", ticket=session.get(Ticket, ticket_id),
                     recipients=list(recipients) or [LEAD], subject=f"Ticket #{ticket_id} is at risk",
                     body="It is due soon.", link=f"/tickets/{ticket_id}", now=clock.now())


def breached(db, clock, ticket_id, *recipients) -> None:
    with db.transaction() as session:
        queue_alerts(session, key=f"breached:{ticket_id}:level1", kind="breached",
                     ticket=session.get(Ticket, ticket_id), recipients=list(recipients) or [LEAD],
                     subject=f"Ticket #{ticket_id} breached", body="It was due.", link=f"/tickets/{ticket_id}",
                     now=clock.now())


def subjects(smtp) -> list[str]:
    """The subjects as a mail client shows them, long ones unfolded."""
    return [" ".join(m.message["Subject"].split()) for m in smtp.messages]


def alerts(db) -> list[Alert]:
    with db.transaction() as session:
        return session.scalars(select(Alert).order_by(Alert.id)).all()


def at_once(*work) -> None:
    """Run each callable in its own thread, all released together."""
    barrier = threading.Barrier(len(work))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.postgres
def test_two_workers_announcing_the_same_occasion_at_once_queue_it_once(postgres_db, clock):
    ticket_id = ticket(postgres_db, clock)
    web = Recipient("web", "lead@acme.example")
    at_once(*[lambda: at_risk(postgres_db, clock, ticket_id, LEAD, web)] * 2)
    at_risk(postgres_db, clock, ticket_id, LEAD, web)
    assert sorted(a.channel for a in alerts(postgres_db)) == ["email", "web"]


@pytest.mark.postgres
def test_at_risk_alerts_within_a_minute_go_out_as_one_message_from_two_workers(postgres_db, clock, smtp):
    boxes = [outbox(postgres_db, clock, smtp) for _ in range(2)]
    tickets = []
    for _ in range(3):
        clock.advance(seconds=20)
        tickets.append(ticket(postgres_db, clock))
        at_risk(postgres_db, clock, tickets[-1])
    assert boxes[0].send_due() == 0

    clock.advance(seconds=20)
    later = ticket(postgres_db, clock)
    at_risk(postgres_db, clock, later)
    at_once(*[box.send_due for box in boxes])
    assert [m.message["Subject"] for m in smtp.messages] == [
        f"3 tickets at risk: #{tickets[0]}, #{tickets[1]}, #{tickets[2]}"]
    assert [a.status for a in alerts(postgres_db)] == ["sent", "sent", "sent", "queued"]

    clock.advance(minutes=1)
    at_once(*[box.send_due for box in boxes])
    assert [m.message["Subject"] for m in smtp.messages][1:] == [f"Ticket #{later} is at risk"]


def test_an_alert_whose_ticket_was_answered_or_resolved_before_delivery_is_skipped(db, clock, smtp):
    answered, resolved, waiting = (ticket(db, clock) for _ in range(3))
    for ticket_id in (answered, resolved, waiting):
        at_risk(db, clock, ticket_id)
    with db.transaction() as session:
        session.get(Ticket, answered).first_response_at = clock.now()
        session.get(Ticket, resolved).status = "resolved"
    clock.advance(minutes=1)
    outbox(db, clock, smtp).send_due()
    assert [m.message["Subject"] for m in smtp.messages] == [f"Ticket #{waiting} is at risk"]
    assert [(a.status, a.last_error) for a in alerts(db)] == [
        ("failed", f"skipped: ticket #{answered} was answered before delivery"),
        ("failed", f"skipped: ticket #{resolved} was resolved before delivery"),
        ("sent", None)]


def test_a_breach_goes_at_once_and_those_within_its_minute_follow_as_one_message(db, clock, smtp):
    box = outbox(db, clock, smtp)
    first, second, third = (ticket(db, clock) for _ in range(3))
    breached(db, clock, first)
    assert box.send_due() == 1
    clock.advance(seconds=20)
    breached(db, clock, second)
    clock.advance(seconds=20)
    breached(db, clock, third)
    assert box.send_due() == 0

    clock.advance(seconds=20)
    box.send_due()
    assert subjects(smtp) == [
        f"Ticket #{first} breached",
        f"2 tickets breached: #{second} (unassigned, just now), #{third} (unassigned, just now)"]
    assert [a.status for a in alerts(db)] == ["sent", "sent", "sent"]


def test_breaches_announced_together_go_out_at_once_as_one_message(db, clock, smtp):
    tickets = [ticket(db, clock) for _ in range(3)]
    for ticket_id in tickets:
        breached(db, clock, ticket_id)
    clock.advance(minutes=4)
    assert outbox(db, clock, smtp).send_due() == 1
    assert subjects(smtp) == [
        "3 tickets breached: " + ", ".join(f"#{t} (unassigned, 4 min ago)" for t in tickets)]


@pytest.mark.postgres
def test_breaches_from_two_workers_at_once_reach_a_person_once(postgres_db, clock, smtp):
    boxes = [outbox(postgres_db, clock, smtp) for _ in range(2)]
    tickets = [ticket(postgres_db, clock) for _ in range(4)]
    at_once(*[lambda t=t: breached(postgres_db, clock, t) for t in tickets])
    clock.advance(minutes=1)
    at_once(*[box.send_due for box in boxes])
    clock.advance(minutes=1)
    at_once(*[box.send_due for box in boxes])
    listed = " ".join(subjects(smtp))
    assert sorted(int(n.split(" ")[0]) for n in listed.split("#")[1:]) == tickets
    assert [a.status for a in alerts(postgres_db)] == ["sent"] * 4
