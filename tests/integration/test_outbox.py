import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.settings import OutboxSettings
from connectors.base import ConnectorError
from connectors.backoff import JITTER
from responder.outbox import Outbox, queue_reply, retry_reply
from store.accounts import create_agent
from store.errors import Refused
from store.models import Customer, Event, Identity, Mention, Reply, Ticket
from store.tickets import FollowupPlan, resolve
from tests.integration.loop_helpers import ProcessDied, ScriptedConnector

SETTINGS = OutboxSettings(interval_seconds=1, max_attempts=3, backoff_seconds=10, stale_send_seconds=120)


@pytest.fixture
def ticket_id(db, clock):
    now = clock.now()
    with db.transaction() as session:
        agent = create_agent(session, name="Alex", email="alex@example.com", password="pw", role="agent", now=now)
        customer = Customer(display_name="Maria", created_at=now)
        identity = Identity(customer=customer, platform="x", platform_user_id="u1", handle="maria")
        ticket = Ticket(customer=customer, platform="x", status="new", priority="high", created_at=now,
                        updated_at=now, first_response_due_at=now + timedelta(hours=1), assignee=agent)
        session.add(Mention(platform="x", external_id="555", kind="post", identity=identity, text="Where is my refund?",
                            created_at=now, received_at=now, sentiment="neutral", polarity=0.0, urgency=0.5,
                            needs_response=True, priority="high", ticket=ticket))
        session.flush()
        return ticket.id


def queue(db, clock, ticket_id, body="Sorry about that! We have sent your refund today.", key=None):
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        return queue_reply(session, ticket, body, ticket.assignee, clock.now(), idempotency_key=key).id


def reply(db, reply_id):
    with db.transaction() as session:
        return session.get(Reply, reply_id)


def seconds(n):
    return timedelta(seconds=n)


def outbox(db, clock, connector):
    return Outbox(db, SETTINGS, clock, lambda account, platform: connector)


def test_it_sends_a_queued_reply_and_records_the_platform_id(db, clock, ticket_id):
    connector = ScriptedConnector()
    reply_id = queue(db, clock, ticket_id)
    clock.advance(minutes=10)
    assert outbox(db, clock, connector).send_due() == 1
    sent = reply(db, reply_id)
    assert (sent.status, sent.platform_reply_id, sent.attempts) == ("sent", "r1", 1)
    assert sent.url == "https://x.com/acme/status/r1"
    assert connector.posted == [("r1", "555", "Sorry about that! We have sent your refund today.")]
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.first_response_at == clock.now()
        assert not ticket.first_response_breached
        assert ticket.status == "open"
        assert session.scalar(select(Event.kind).where(Event.kind == "replied")) == "replied"


def test_a_sent_reply_is_not_sent_again(db, clock, ticket_id):
    connector = ScriptedConnector()
    queue(db, clock, ticket_id)
    box = outbox(db, clock, connector)
    box.send_due()
    clock.advance(hours=1)
    assert box.send_due() == 0
    assert len(connector.posted) == 1


def test_a_transient_failure_is_retried_after_a_backoff(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.append(ConnectorError("503 Service Unavailable", status=503))
    reply_id = queue(db, clock, ticket_id)
    box = outbox(db, clock, connector)
    box.send_due()
    waiting = reply(db, reply_id)
    assert (waiting.status, waiting.last_error) == ("queued", "503 Service Unavailable")
    assert seconds(10 * (1 - JITTER)) <= waiting.next_attempt_at - clock.now() <= seconds(10)
    assert box.send_due() == 0
    clock.advance(seconds=11)
    box.send_due()
    assert reply(db, reply_id).status == "sent"
    assert len(connector.posted) == 1


def test_a_rate_limited_send_waits_for_the_reset(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.append(ConnectorError("429", retry_after=300, status=429))
    reply_id = queue(db, clock, ticket_id)
    outbox(db, clock, connector).send_due()
    assert reply(db, reply_id).next_attempt_at == clock.now() + timedelta(seconds=300)


def test_a_permanent_failure_keeps_the_platforms_message(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.append(ConnectorError("You attempted to reply to a Tweet that is deleted", permanent=True))
    reply_id = queue(db, clock, ticket_id)
    outbox(db, clock, connector).send_due()
    failed = reply(db, reply_id)
    assert failed.status == "failed"
    assert "deleted" in failed.last_error
    with db.transaction() as session:
        assert session.scalar(select(Event.detail).where(Event.kind == "reply_failed"))["reply_id"] == reply_id


def test_it_gives_up_after_the_last_attempt(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.extend(ConnectorError("503") for _ in range(3))
    reply_id = queue(db, clock, ticket_id)
    box = outbox(db, clock, connector)
    for _ in range(3):
        box.send_due()
        clock.advance(minutes=10)
    assert reply(db, reply_id).status == "failed"
    assert reply(db, reply_id).attempts == 3


def test_a_failed_reply_can_be_retried_by_an_agent(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.append(ConnectorError("403 suspended", permanent=True))
    reply_id = queue(db, clock, ticket_id)
    box = outbox(db, clock, connector)
    box.send_due()
    with db.transaction() as session:
        retry_reply(session, session.get(Reply, reply_id), None, clock.now(), timedelta(hours=1))
    box.send_due()
    assert reply(db, reply_id).status == "sent"


def test_a_reply_is_posted_once_when_the_sender_dies_between_send_and_record(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.crash_after_posting = True
    reply_id = queue(db, clock, ticket_id)
    with pytest.raises(ProcessDied):
        outbox(db, clock, connector).send_due()
    assert reply(db, reply_id).status == "sending"

    connector.crash_after_posting = False
    restarted = outbox(db, clock, connector)
    assert restarted.send_due() == 0
    clock.advance(seconds=SETTINGS.stale_send_seconds + 1)
    assert restarted.send_due() == 1
    done = reply(db, reply_id)
    assert (done.status, done.platform_reply_id) == ("sent", "r1")
    assert len(connector.posted) == 1


def test_a_reply_whose_send_timed_out_is_checked_before_it_is_retried(db, clock, ticket_id):
    class TimesOutAfterPosting(ScriptedConnector):
        def post_reply(self, in_reply_to, text):
            posted = super().post_reply(in_reply_to, text)
            if len(self.posted) == 1:
                raise ConnectorError("read timed out")
            return posted

    connector = TimesOutAfterPosting()
    reply_id = queue(db, clock, ticket_id)
    box = outbox(db, clock, connector)
    box.send_due()
    clock.advance(minutes=1)
    box.send_due()
    assert reply(db, reply_id).status == "sent"
    assert len(connector.posted) == 1


def test_two_senders_at_once_post_a_reply_once(db, clock, ticket_id):
    connector = ScriptedConnector()
    reply_id = queue(db, clock, ticket_id)
    boxes = [outbox(db, clock, connector) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def send(box):
        try:
            barrier.wait()
            box.send_due()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(box,)) for box in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(connector.posted) == 1
    assert reply(db, reply_id).status == "sent"


def test_the_same_idempotency_key_queues_one_reply(db, clock, ticket_id):
    first = queue(db, clock, ticket_id, key="form-123")
    second = queue(db, clock, ticket_id, key="form-123")
    assert first == second
    with db.transaction() as session:
        assert len(session.scalars(select(Reply)).all()) == 1


@pytest.mark.parametrize("body, message", [
    ("", "the reply is empty"),
    ("   ", "the reply is empty"),
    ("x" * 281, "the reply counts 281 characters, 1 too many; X allows 280"),
    ("\N{GRINNING FACE}" * 141, "the reply counts 282 characters, 2 too many; X allows 280"),
    ("\u65e5\u672c" * 71, "the reply counts 284 characters, 4 too many; X allows 280"),
])
def test_a_bad_reply_is_refused_and_nothing_is_queued(db, clock, ticket_id, body, message):
    with pytest.raises(Refused, match=message):
        queue(db, clock, ticket_id, body=body)
    with db.transaction() as session:
        assert session.scalars(select(Reply)).all() == []


def test_a_link_counts_as_x_counts_it_however_long(db, clock, ticket_id):
    body = "Our status page: https://status.example.com/incidents/" + "a" * 300
    queue(db, clock, ticket_id, body=body)
    with db.transaction() as session:
        assert session.scalar(select(Reply.body)) == body


def test_a_reply_to_a_resolved_ticket_is_refused(db, clock, ticket_id):
    with db.transaction() as session:
        resolve(session, session.get(Ticket, ticket_id), "alex@example.com", FollowupPlan(why_not="follow-ups are off"),
                clock.now())
    with pytest.raises(Refused, match="is resolved") as error:
        queue(db, clock, ticket_id)
    assert error.value.status == 409


def test_the_wait_between_attempts_stops_growing_at_the_maximum(db, clock, ticket_id):
    connector = ScriptedConnector()
    connector.post_errors.extend(ConnectorError("503") for _ in range(2))
    reply_id = queue(db, clock, ticket_id)
    box = Outbox(db, SETTINGS.model_copy(update={"max_backoff_seconds": 15}), clock, lambda a, p: connector)
    box.send_due()
    clock.advance(seconds=10)
    box.send_due()
    assert seconds(15 * (1 - JITTER)) <= reply(db, reply_id).next_attempt_at - clock.now() <= seconds(15)
