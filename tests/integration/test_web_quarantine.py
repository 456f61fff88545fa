"""Admins see the quarantined posts with the reason and what the platform
sent, take a parsed one in again after a fix, or dismiss one; /healthz
counts them and names the sources whose last poll failed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from markupsafe import escape
from sqlalchemy import select

from connectors.base import Author, InboundPost, SkippedItem
from listener.quarantine import quarantine_item, quarantine_post
from store.models import AuditEntry, Mention, QuarantinedPost, Source

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def kept(world):
    """A post the scorer failed on, and an item that never parsed, from one source."""
    now = world.clock.now()
    post = InboundPost(platform="x", external_id="1900000000000000777", kind="post",
                       text=f"My kettle leaks {HOSTILE}", author=Author("u7", "kettle_kim", "Kim"),
                       created_at=datetime(2026, 1, 5, 8, tzinfo=timezone.utc), raw={"id": "1900000000000000777"})
    with world.db.transaction() as session:
        source = Source(name="x-mentions", platform="x", kind="mentions", credentials_ref="acme_x", poll_seconds=60,
                        failures=3, status="backing_off", enabled=True, last_error="storing the batch failed")
        session.add(source)
        session.flush()
        quarantine_post(session, post, RuntimeError("scorer failed"), source.id, now)
        quarantine_item(session, "x", SkippedItem(raw={"id": "1900000000000000778", "text": HOSTILE},
                                                  reason="tweet 1900000000000000778 has no author_id",
                                                  external_id="1900000000000000778"), source.id, now)
    return {row.external_id: row.id for row in rows(world)}


def rows(world) -> list[QuarantinedPost]:
    with world.db.sessions() as session:
        return list(session.scalars(select(QuarantinedPost).order_by(QuarantinedPost.id)))


def test_admins_see_each_quarantined_post_with_its_reason_and_raw_escaped(admin_client, kept):
    page = admin_client.get("/admin/quarantine").get_data(as_text=True)

    assert "RuntimeError: scorer failed" in page
    assert "tweet 1900000000000000778 has no author_id" in page
    assert HOSTILE not in page and str(escape(HOSTILE)) in page
    assert page.count(">Retry<") == 1 and page.count(">Dismiss<") == 2


def test_a_retry_after_the_fix_stores_the_post(world, admin_client, kept):
    answer = admin_client.post(f"/admin/quarantine/{kept['1900000000000000777']}/retry", follow_redirects=True)

    assert "The post is stored now." in answer.get_data(as_text=True)
    assert [row.external_id for row in rows(world)] == ["1900000000000000778"]
    with world.db.sessions() as session:
        assert session.scalar(select(Mention.text)) == f"My kettle leaks {HOSTILE}"
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "quarantine_retried" in actions


def test_an_item_that_never_parsed_cannot_be_retried_but_can_be_dismissed(world, admin_client, kept):
    item = kept["1900000000000000778"]

    refused = admin_client.post(f"/admin/quarantine/{item}/retry", follow_redirects=True)
    dismissed = admin_client.post(f"/admin/quarantine/{item}/dismiss", follow_redirects=True)

    assert "cannot be taken in again" in refused.get_data(as_text=True)
    assert "Dismissed" in dismissed.get_data(as_text=True)
    assert [row.external_id for row in rows(world)] == ["1900000000000000777"]
    with world.db.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action.like("quarantine%")))
        assert (entry.action, entry.actor) == ("quarantine_dismissed", "grace@example.com")


def test_a_missing_quarantined_post_is_said_so(admin_client, kept):
    answer = admin_client.post("/admin/quarantine/999/dismiss", follow_redirects=True)

    assert "Nothing was dismissed: there is no quarantined post 999." in answer.get_data(as_text=True)


def test_only_admins_see_the_quarantine(world, client, kept):
    assert client.get("/admin/quarantine").status_code == 403
    assert client.post(f"/admin/quarantine/{kept['1900000000000000777']}/retry").status_code == 403
    assert len(rows(world)) == 2


def test_healthz_counts_the_quarantine_and_names_the_failing_sources(world, kept):
    body = world.client().get("/healthz").get_json()

    assert body["ok"] is True
    assert body["quarantined"] == {"x": 2}
    assert body["sources_failing"] == ["x-mentions"]
