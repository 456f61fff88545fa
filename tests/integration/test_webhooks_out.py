"""Outgoing webhooks: ticket events POSTed, signed, to the emulator's hooks."""

import hashlib
import hmac
import json
import logging
import socket
import threading
from datetime import timedelta

import pytest
import requests

from config import load_settings
from connectors.backoff import JITTER
from responder.webhooks_out import WebhookSender
from store.accounts import create_agent
from store.events import record_event
from store.models import Customer, Identity, Ticket, WebhookCursor

SECRET = "whsec-5f3a9c0e1b7d"
SECRET_ENV = "CLOSELOOP_TEST_WEBHOOK_SECRET"


@pytest.fixture(autouse=True)
def secret_in_environment(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


def make_ticket(db, clock) -> int:
    now = clock.now()
    with db.transaction() as session:
        agent = create_agent(session, name="Ada", email="ada@example.com", password="pw", role="agent", now=now)
        customer = Customer(display_name="Maria", created_at=now)
        session.add(Identity(customer=customer, platform="x", platform_user_id="u1", handle="maria"))
        ticket = Ticket(customer=customer, platform="x", status="open", priority="high", topic="billing",
                        assignee=agent, created_at=now, updated_at=now)
        session.add(ticket)
        session.flush()
        return ticket.id


@pytest.fixture
def ticket_id(db, clock):
    return make_ticket(db, clock)


def record(db, clock, ticket_id, *kinds) -> list[int]:
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        events = [record_event(session, ticket, kind, clock.now(), actor="ada@example.com", step=n)
                  for n, kind in enumerate(kinds)]
        session.flush()
        return [event.id for event in events]


def endpoint(server, name, **settings) -> dict:
    return {"name": name, "url": f"{server.url}/_emulator/hooks/{name}", "secret": f"env:{SECRET_ENV}", **settings}


def sender(db, clock, *endpoints, timeout=2, session=None) -> WebhookSender:
    settings = load_settings(env={}, overrides={"alerts": {"timeout_seconds": timeout}, "webhooks": list(endpoints)})
    return WebhookSender(db, settings, clock, session=session)


def deliveries(server, name) -> list[dict]:
    response = requests.get(f"{server.url}/_emulator/hooks/{name}/deliveries", timeout=5)
    return response.json()["deliveries"]


def delivered_ids(server, name) -> list[int]:
    return [json.loads(d["body"])["id"] for d in deliveries(server, name)]


def add_fault(server, name, **fault) -> None:
    response = requests.post(f"{server.url}/_emulator/hooks/{name}/faults", json=fault, timeout=5)
    assert response.status_code == 201, response.text


def pending_fault_count(server) -> int:
    return sum(f["count"] for f in requests.get(f"{server.url}/_emulator/faults", timeout=5).json()["faults"])


def cursor(db, name) -> WebhookCursor:
    with db.sessions() as session:
        return session.get(WebhookCursor, name)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_delivers_events_in_order_signed_so_a_receiver_can_verify_them(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm"))
    box.send_due()
    ids = record(db, clock, ticket_id, "raised", "assigned", "replied")
    clock.advance(seconds=30)

    assert box.send_due() == 3

    got = deliveries(emulator, "crm")
    assert [json.loads(d["body"])["id"] for d in got] == ids
    for delivery, event_id, kind in zip(got, ids, ["raised", "assigned", "replied"]):
        headers = delivery["headers"]
        timestamp = headers["X-Closeloop-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.{delivery['body']}".encode(), hashlib.sha256)
        assert hmac.compare_digest(headers["X-Closeloop-Signature"], f"sha256={expected.hexdigest()}")
        assert timestamp == str(int(clock.now().timestamp()))
        assert (headers["X-Closeloop-Event"], headers["X-Closeloop-Delivery"]) == (kind, str(event_id))
        assert headers["Content-Type"] == "application/json"
    with db.sessions() as session:
        customer_id = session.get(Ticket, ticket_id).customer_id
    assert json.loads(got[1]["body"]) == {
        "id": ids[1], "event": "assigned", "at": "2026-01-05T09:00:00.000Z",
        "ticket": {"id": ticket_id, "status": "open", "priority": "high", "platform": "x", "topic": "billing", "team": "care",
                   "assignee": "ada@example.com", "customer_id": customer_id},
        "detail": {"step": 1},
    }
    done = cursor(db, "crm")
    assert (done.last_event_id, done.failures, done.next_attempt_at) == (ids[-1], 0, None)
    assert done.last_sent_at == clock.now()


def test_it_posts_only_the_kinds_subscribed_to_and_passes_over_the_rest(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm", events=["breached", "resolved"]))
    box.send_due()
    ids = record(db, clock, ticket_id, "raised", "scored", "breached", "replied", "resolved", "reopened")

    assert box.send_due() == 2

    assert delivered_ids(emulator, "crm") == [ids[2], ids[4]]
    assert cursor(db, "crm").last_event_id == ids[-1]
    record(db, clock, ticket_id, "resolved")
    box.send_due()
    assert len(deliveries(emulator, "crm")) == 3


def test_a_new_endpoint_starts_from_the_newest_event(db, clock, emulator, ticket_id):
    history = record(db, clock, ticket_id, "raised", "assigned")
    box = sender(db, clock, endpoint(emulator, "crm"))

    assert box.send_due() == 0
    assert cursor(db, "crm").last_event_id == history[-1]
    [new] = record(db, clock, ticket_id, "replied")
    assert box.send_due() == 1
    assert delivered_ids(emulator, "crm") == [new]


def test_a_disabled_endpoint_is_sent_nothing(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm", enabled=False))
    record(db, clock, ticket_id, "raised")

    assert box.send_due() == 0
    assert deliveries(emulator, "crm") == []
    assert cursor(db, "crm") is None


def test_a_failed_delivery_is_sent_again_and_nothing_is_skipped(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm"))
    box.send_due()
    first = record(db, clock, ticket_id, "raised", "assigned")
    box.send_due()
    add_fault(emulator, "crm", status=500)
    second = record(db, clock, ticket_id, "replied", "resolved")

    assert box.send_due() == 0
    waiting = cursor(db, "crm")
    assert (waiting.last_event_id, waiting.failures) == (first[-1], 1)
    assert "answered 500" in waiting.last_error
    clock.advance(seconds=10)
    assert box.send_due() == 2

    assert delivered_ids(emulator, "crm") == first + second
    done = cursor(db, "crm")
    assert (done.last_event_id, done.failures, done.last_error) == (second[-1], 0, None)


def test_a_failure_after_unsubscribed_kinds_resumes_at_the_failed_event(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm", events=["replied"]))
    box.send_due()
    add_fault(emulator, "crm", status=502)
    scored, replied = record(db, clock, ticket_id, "scored", "replied")

    box.send_due()
    assert cursor(db, "crm").last_event_id == scored
    clock.advance(seconds=10)
    box.send_due()
    assert delivered_ids(emulator, "crm") == [replied]


def test_it_waits_out_a_growing_backoff_before_trying_again(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm"))
    box.send_due()
    add_fault(emulator, "crm", status=503, count=3)
    [event_id] = record(db, clock, ticket_id, "raised")

    for failures, longest in [(1, 10), (2, 20), (3, 40)]:
        box.send_due()
        backing_off = cursor(db, "crm")
        wait = backing_off.next_attempt_at - clock.now()
        assert backing_off.failures == failures
        assert timedelta(seconds=longest * (1 - JITTER)) <= wait <= timedelta(seconds=longest)
        left = pending_fault_count(emulator)
        clock.advance(seconds=wait.total_seconds() - 1)
        assert box.send_due() == 0
        assert pending_fault_count(emulator) == left, "a request was made before next_attempt_at"
        clock.advance(seconds=1)

    assert box.send_due() == 1
    assert delivered_ids(emulator, "crm") == [event_id]


def test_it_waits_for_retry_after_when_rate_limited(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm"))
    box.send_due()
    add_fault(emulator, "crm", status=429, retry_after=120)
    [event_id] = record(db, clock, ticket_id, "raised")

    box.send_due()
    assert cursor(db, "crm").next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=119)
    box.send_due()
    assert deliveries(emulator, "crm") == []
    clock.advance(seconds=1)
    box.send_due()
    assert delivered_ids(emulator, "crm") == [event_id]


def test_a_failing_endpoint_does_not_hold_up_the_others(db, clock, emulator, ticket_id):
    unreachable = {"name": "gone", "url": f"http://127.0.0.1:{closed_port()}/hook", "secret": f"env:{SECRET_ENV}"}
    box = sender(db, clock, endpoint(emulator, "crm"), endpoint(emulator, "slow"), unreachable,
                 endpoint(emulator, "bi"), timeout=0.5)
    box.send_due()
    add_fault(emulator, "crm", status=500, count=5)
    add_fault(emulator, "slow", status="timeout", seconds=2)
    ids = record(db, clock, ticket_id, "raised", "assigned", "replied")

    assert box.send_due() == 3

    assert delivered_ids(emulator, "bi") == ids
    assert "answered 500" in cursor(db, "crm").last_error
    assert "did not answer within 0.5 s" in cursor(db, "slow").last_error
    assert "cannot reach http://127.0.0.1:" in cursor(db, "gone").last_error
    assert all(cursor(db, name).last_event_id == ids[0] - 1 for name in ("crm", "slow", "gone"))


def test_a_missing_secret_is_reported_on_that_endpoint_only(db, clock, emulator, ticket_id, monkeypatch):
    monkeypatch.delenv("CLOSELOOP_TEST_MISSING_SECRET", raising=False)
    box = sender(db, clock, endpoint(emulator, "crm", secret="env:CLOSELOOP_TEST_MISSING_SECRET"),
                 endpoint(emulator, "bi"))
    box.send_due()
    ids = record(db, clock, ticket_id, "raised")

    assert box.send_due() == 1

    assert delivered_ids(emulator, "bi") == ids
    assert deliveries(emulator, "crm") == []
    broken = cursor(db, "crm")
    assert broken.last_error == "webhooks.crm.secret: environment variable CLOSELOOP_TEST_MISSING_SECRET is not set"
    assert (broken.failures, broken.last_event_id) == (1, ids[0] - 1)
    assert cursor(db, "bi").last_error is None


def test_the_secret_and_url_tokens_never_reach_errors_or_logs(db, clock, emulator, ticket_id, caplog):
    caplog.set_level(logging.DEBUG)
    hooks = f"{emulator.url}/_emulator/hooks"
    box = sender(db, clock,
                 {"name": "crm", "url": f"{hooks}/crm?token=URLTOKEN", "secret": SECRET},
                 {"name": "limited", "url": f"{hooks}/limited", "secret": SECRET},
                 {"name": "gone", "url": f"http://user:URLTOKEN@127.0.0.1:{closed_port()}/", "secret": SECRET},
                 timeout=0.5)
    box.send_due()
    add_fault(emulator, "crm", status=500)
    add_fault(emulator, "limited", status=429)
    record(db, clock, ticket_id, "raised")

    assert box.send_due() == 0

    errors = [cursor(db, name).last_error for name in ("crm", "limited", "gone")]
    assert all(errors), errors
    assert not any(SECRET in error or "URLTOKEN" in error for error in errors)
    assert SECRET not in caplog.text
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("responder")]
    assert len(ours) == 3
    assert not any("URLTOKEN" in message for message in ours)


def test_two_senders_at_once_send_each_event_once_in_order(db, clock, emulator, ticket_id):
    senders = [sender(db, clock, endpoint(emulator, "crm")) for _ in range(2)]
    senders[0].send_due()
    ids = record(db, clock, ticket_id, *["assigned"] * 30)
    start = threading.Barrier(2)
    counts = []

    def run(box):
        start.wait()
        counts.append(box.send_due())

    threads = [threading.Thread(target=run, args=(box,)) for box in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    assert delivered_ids(emulator, "crm") == ids
    assert cursor(db, "crm").last_event_id == ids[-1]


class TakenOverMidway(requests.Session):
    """Before its first POST goes out, the claim runs out and another sender
    sends everything."""

    def __init__(self, clock, other):
        super().__init__()
        self.clock = clock
        self.other = other

    def post(self, *args, **kwargs):
        if self.other is not None:
            other, self.other = self.other, None
            self.clock.advance(seconds=other.cursors.lease.total_seconds() + 1)
            other.send_due()
        return super().post(*args, **kwargs)


def test_a_sender_whose_claim_ran_out_never_moves_the_cursor_back(db, clock, emulator, ticket_id):
    takeover = sender(db, clock, endpoint(emulator, "crm"))
    late = sender(db, clock, endpoint(emulator, "crm"), session=TakenOverMidway(clock, takeover))
    late.send_due()
    ids = record(db, clock, ticket_id, "raised", "assigned", "replied")

    assert late.send_due() == 1

    assert delivered_ids(emulator, "crm") == ids + ids[:1]
    assert cursor(db, "crm").last_event_id == ids[-1]
    [new] = record(db, clock, ticket_id, "resolved")
    assert late.send_due() == 1
    assert delivered_ids(emulator, "crm")[4:] == [new]


def test_an_event_rolled_back_leaves_no_hole_that_stops_delivery(db, clock, emulator, ticket_id):
    box = sender(db, clock, endpoint(emulator, "crm"))
    box.send_due()
    with pytest.raises(RuntimeError), db.transaction() as session:
        record_event(session, session.get(Ticket, ticket_id), "raised", clock.now())
        session.flush()
        raise RuntimeError("rolled back")
    ids = record(db, clock, ticket_id, "assigned")

    assert box.send_due() == 1
    assert delivered_ids(emulator, "crm") == ids


@pytest.mark.postgres
def test_an_event_committed_after_a_newer_one_is_not_skipped(postgres_db, clock, emulator):
    ticket = make_ticket(postgres_db, clock)
    box = sender(postgres_db, clock, endpoint(emulator, "crm"))
    box.send_due()
    with postgres_db.sessions() as slow, slow.begin():
        [older] = record_uncommitted(slow, clock, ticket)
        newer = record(postgres_db, clock, ticket, "assigned")
        assert older < newer[0]
        assert box.send_due() == 0
    assert box.send_due() == 2
    assert delivered_ids(emulator, "crm") == [older] + newer


def record_uncommitted(session, clock, ticket_id) -> list[int]:
    event = record_event(session, session.get(Ticket, ticket_id), "raised", clock.now())
    session.flush()
    return [event.id]
