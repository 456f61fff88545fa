"""Deliveries of the same posts at once (replicas, overlapping sources, a
platform repeating a webhook) store each post once, raise nothing past the
intake and lose nothing. On PostgreSQL, where they really run at once."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from config import load_settings
from connectors.base import Author, InboundPost
from connectors.facebook.emulator import DEFAULT_APP_SECRET, PAGE_ID
from listener.intake import Intake
from listener.polling import sync_sources
from store.intake_turns import INTAKE_LOCK_SPACE
from store.models import Identity, Mention, QuarantinedPost
from tests import TEST_SECRET_KEY
from tests.integration.test_facebook_webhooks import signed
from web import create_app

pytestmark = pytest.mark.postgres
THREADS = 12


def at_once(count: int, work) -> list[BaseException]:
    """Run `work(n)` in `count` threads released together; what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def delivery(*comments: tuple[str, str, str]) -> dict:
    """A page webhook with one change per (comment id, author id, text)."""
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1767600000, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": f"{PAGE_ID}_555",
                                    "comment_id": comment_id, "parent_id": f"{PAGE_ID}_555",
                                    "from": {"id": author, "name": f"Customer {author}"}, "message": text,
                                    "created_time": 1767600000}}
        for comment_id, author, text in comments]}]}


def test_identical_webhook_deliveries_at_once_all_answer_2xx_and_store_each_post_once(postgres_db, clock):
    settings = load_settings(env={}, overrides={
        "database": {"url": postgres_db.url}, "web": {"secret_key": TEST_SECRET_KEY},
        "accounts": {"acme_fb": {"platform": "facebook", "page_id": PAGE_ID, "page_access_token": "t",
                                 "app_secret": DEFAULT_APP_SECRET}},
        "sources": [{"name": "fb-comments", "account": "acme_fb", "kind": "comments", "target": PAGE_ID}],
    })
    with postgres_db.transaction() as session:
        sync_sources(session, settings, clock.now())
    app = create_app(settings, db=postgres_db, clock=clock)
    raw, headers = signed(delivery(
        ("555_901", "4242", "The order never came and nobody answers. Awful."),
        ("555_902", "4242", "Still waiting, third week now."),
        ("555_903", "4343", "My refund is \x00 missing too."),
        ("555_904", "4444", "Thanks, all sorted!")))
    statuses: list[int] = []

    def deliver(_n: int) -> None:
        statuses.append(app.test_client().post("/webhooks/facebook/acme_fb", data=raw, headers=headers).status_code)

    assert at_once(THREADS, deliver) == []

    assert sorted(statuses) == [200] * THREADS
    assert count(postgres_db, Mention) == 4
    assert count(postgres_db, Identity) == 3
    assert count(postgres_db, QuarantinedPost) == 0


def post(external_id: int, author: int) -> InboundPost:
    return InboundPost(platform="x", external_id=str(external_id), kind="post",
                       text=f"Order {external_id} never arrived, awful service.",
                       author=Author(platform_user_id=f"u{author}", handle=f"customer{author}"),
                       created_at=datetime(2026, 1, 5, 8, tzinfo=timezone.utc))


def test_overlapping_batches_taken_in_at_once_store_every_post_once(postgres_db, settings, clock):
    intake = Intake(settings)
    batches = [[post(n, n % 5) for n in range(start, start + 30)] for start in range(0, 120, 10)]

    def take(n: int) -> None:
        with postgres_db.transaction() as session:
            report = intake.ingest(session, batches[n], clock.now())
            assert report.stored + report.duplicates == 30 and report.quarantined == 0

    assert at_once(len(batches), take) == []

    with postgres_db.transaction() as session:
        stored = session.scalars(select(Mention.external_id)).all()
    assert sorted(map(int, stored)) == list(range(140))
    assert count(postgres_db, Identity) == 5


def intake_turns_awaited(db) -> int:
    """How many transactions wait for an intake's turn (store.intake_turns)."""
    with db.transaction() as session:
        return session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                   "AND classid = :space AND objsubid = 2"), {"space": INTAKE_LOCK_SPACE})


def test_a_batch_waits_for_the_intake_of_its_platform_under_way_and_not_for_another_platforms(
        postgres_db, settings, clock, monkeypatch):
    intake = Intake(settings)
    taken_alone = []
    monkeypatch.setattr(intake, "_take_alone", lambda *args: taken_alone.append(args) or True)
    same_authors = [post(n, n % 3) for n in range(10)]
    other_platform = [replace(p, platform="reddit") for p in same_authors]
    done: list[str] = []

    def take(name: str, batch: list[InboundPost]) -> threading.Thread:
        def run() -> None:
            with postgres_db.transaction() as session:
                intake.ingest(session, batch, clock.now())
            done.append(name)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with postgres_db.transaction() as session:
        intake.ingest(session, [post(n, n % 3) for n in range(100, 110)], clock.now())
        waiting = take("x", same_authors)
        deadline = time.monotonic() + 30
        while intake_turns_awaited(postgres_db) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert intake_turns_awaited(postgres_db) == 1 and done == []
        take("reddit", other_platform).join()
        assert done == ["reddit"]
    waiting.join()

    assert done == ["reddit", "x"] and taken_alone == []
    assert count(postgres_db, Mention) == 30
    assert count(postgres_db, Identity) == 6
