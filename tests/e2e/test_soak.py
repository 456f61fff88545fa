"""Soak: posts on X, Facebook, Reddit and a review feed for two minutes
while a fifth of all platform calls fail (rate limits, server errors,
timeouts). At the end every post is stored exactly once and every reply
is posted exactly once, under the right post. Replies settle within a
minute or so after the faults end: a throttled Facebook call says to wait
a whole minute, and the outbox waits.

It runs only when asked for (`make long`, or pytest's `-m soak`);
CLOSELOOP_SOAK_SECONDS sets the duration (default 120)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from closeloop.demo import DemoFeeder, demo_settings
from closeloop.runtime import Runtime
from connectors.reviews.connector import site_review_id
from store.accounts import create_agent
from store.models import Mention, Reply
from tests.e2e.conftest import wait_for

SOAK_SECONDS = float(os.environ.get("CLOSELOOP_SOAK_SECONDS", "120"))
FAULTS = {"platform": "*", "rate": 0.2, "statuses": [429, 500, 503, "timeout"], "retry_after": 1, "seconds": 2.5}


@pytest.fixture
def service(sqlite_db, emulator):
    settings = demo_settings(database_url=sqlite_db.url, emulator_url=emulator.url, port=0)
    settings = settings.model_copy(update={
        "sources": tuple(s.model_copy(update={"poll_seconds": 1}) for s in settings.sources),
        "outbox": settings.outbox.model_copy(update={"interval_seconds": 0.3, "backoff_seconds": 1,
                                                     "max_attempts": 100, "max_backoff_seconds": 3,
                                                     "stale_send_seconds": 10}),
        "listener": settings.listener.model_copy(update={"max_backoff_seconds": 3, "request_timeout_seconds": 2}),
    })
    runtime = Runtime(settings, db=sqlite_db)
    with sqlite_db.transaction() as session:
        create_agent(session, name="Alex", email="alex@example.com", password="pw", role="senior",
                     presence="online", capacity=10_000, now=runtime.clock.now())
    runtime.start_jobs()
    yield runtime
    runtime.stop()


def customer_posts(emulator) -> set[tuple[str, str]]:
    """Every customer post a source listens for. (A Reddit comment with no
    thread starts one titled "Discussion", which the keyword search rightly
    does not find.)"""
    posts = set()
    for platform in ("x", "facebook", "instagram", "reddit", "reviews"):
        for post in requests.get(f"{emulator.url}/_emulator/{platform}/posts", timeout=10).json()["posts"]:
            searched_for = platform != "reddit" or post["kind"] != "post" or "acmebox" in post["text"].lower()
            if not post["by_brand"] and searched_for:
                posts.add((platform, post["id"]))
    return posts


def stored_posts(db) -> list[tuple[str, str]]:
    with db.transaction() as session:
        rows = session.execute(select(Mention.platform, Mention.external_id)).all()
    return [(platform, site_review_id(external) if platform == "reviews" else external)
            for platform, external in rows]


def our_replies(emulator) -> Counter:
    replies = Counter()
    for platform in ("x", "facebook", "instagram", "reddit", "reviews"):
        for post in requests.get(f"{emulator.url}/_emulator/{platform}/posts", timeout=10).json()["posts"]:
            if post["by_brand"] and post.get("in_reply_to"):
                replies[(platform, post["in_reply_to"], post["text"])] += 1
    return replies


def reply_to_new_tickets(runtime, stop: threading.Event) -> None:
    """An agent answering every ticket once, while the soak runs."""
    from responder.outbox import queue_reply
    from store.models import Ticket

    answered: set[int] = set()
    while not stop.is_set():
        with runtime.db.transaction() as session:
            for ticket in session.scalars(select(Ticket).where(Ticket.id.not_in(answered or {0}))):
                queue_reply(session, ticket, f"Sorry about this! We are on it (ref {ticket.id}).", None,
                            runtime.clock.now(), idempotency_key=f"soak-{ticket.id}")
                answered.add(ticket.id)
        stop.wait(1)


@pytest.mark.soak
@pytest.mark.timeout(SOAK_SECONDS + 300)
def test_everything_is_stored_once_and_answered_once_while_a_fifth_of_calls_fail(service, emulator):
    feeder = DemoFeeder(emulator.url, random.Random(7),
                        texts=lambda n: f"Soak {n}: my AcmeBox order is late and nobody answers. Terrible.")
    requests.post(f"{emulator.url}/_emulator/faults", json=FAULTS, timeout=5).raise_for_status()
    stop = threading.Event()
    replier = threading.Thread(target=reply_to_new_tickets, args=(service, stop), daemon=True)
    replier.start()
    deadline = time.monotonic() + SOAK_SECONDS
    while time.monotonic() < deadline:
        feeder.post_one()
        time.sleep(0.4)
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)

    expected = customer_posts(emulator)
    assert len(expected) >= SOAK_SECONDS / 0.4 * 0.75

    check_everything_done_once(service.db, emulator, expected, stop, replier, posts_timeout=90,
                               replies_timeout=120)


def check_everything_done_once(db, emulator, expected, stop, replier, posts_timeout, replies_timeout):
    """Wait until every post on the emulator is stored and every queued
    reply sent, then check each post was stored once and each reply posted
    once, under its post. Returns the stored posts and the sent replies."""

    def all_posts_stored():
        """every post on the emulator to be stored"""
        missing = expected - set(stored_posts(db))
        all_posts_stored.__doc__ = f"every post to be stored; missing: {sorted(missing)[:10]}"
        return not missing

    wait_for(all_posts_stored, timeout=posts_timeout, every=1)
    time.sleep(2)
    stop.set()
    replier.join()

    def all_replies_sent():
        """every queued reply to be sent"""
        with db.transaction() as session:
            return all(r.status == "sent" for r in session.scalars(select(Reply)))

    wait_for(all_replies_sent, timeout=replies_timeout, every=1)

    stored = stored_posts(db)
    assert len(stored) == len(set(stored)) == len(expected)
    with db.transaction() as session:
        sent = [(r.mention.platform, r.mention.external_id, r.body) for r in session.scalars(select(Reply))]
    assert sent
    posted = our_replies(emulator)
    for platform, external_id, body in sent:
        parent = site_review_id(external_id) if platform == "reviews" else external_id
        assert posted[(platform, parent, body)] == 1, (platform, parent, body)
    assert sum(posted.values()) == len(sent)
    return stored, sent
