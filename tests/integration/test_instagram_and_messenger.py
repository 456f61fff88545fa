"""Instagram and Messenger from end to end against the emulator: signed
Instagram webhook deliveries (comments, messages, mentions read back),
polled comments and direct messages becoming tickets, and answers going
back under the comment or by direct message, refused outside Meta's
24-hour window before anything is queued."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import requests
from sqlalchemy import func, select

from closeloop.runtime import Runtime
from config import load_settings
from connectors.facebook.emulator import DEFAULT_APP_SECRET, PAGE_ID
from connectors.instagram.emulator import IG_USER_ID, PREFIX
from listener.polling import sync_sources
from responder.answers import queue_answer
from store.accounts import create_agent
from store.errors import Refused
from store.models import Event, Identity, Mention, Reply, Source, Ticket
from tests import TEST_SECRET_KEY
from web import create_app

VERIFY_TOKEN = "let-me-in"
WINDOW_RULE = "lets a business answer a direct message only within 24 hours of the customer's last message"


def settings_for(db, emulator):
    meta = {"page_id": PAGE_ID, "page_access_token": "page-token", "app_secret": DEFAULT_APP_SECRET,
            "verify_token": VERIFY_TOKEN}
    return load_settings(env={}, overrides={
        "database": {"url": db.url},
        "web": {"secret_key": TEST_SECRET_KEY},
        "accounts": {
            "acme_ig": {"platform": "instagram", "base_url": emulator.url + PREFIX, "ig_user_id": IG_USER_ID,
                        "username": "acme", **meta},
            "acme_fb": {"platform": "facebook", "base_url": emulator.url, **meta}},
        "sources": [{"name": "ig-comments", "account": "acme_ig", "kind": "comments"},
                    {"name": "ig-mentions", "account": "acme_ig", "kind": "mentions"},
                    {"name": "ig-messages", "account": "acme_ig", "kind": "messages"},
                    {"name": "fb-messages", "account": "acme_fb", "kind": "messages"},
                    {"name": "fb-comments", "account": "acme_fb", "kind": "comments", "target": PAGE_ID}],
    })


@pytest.fixture
def app(db, clock, emulator):
    settings = settings_for(db, emulator)
    with db.transaction() as session:
        sync_sources(session, settings, clock.now())
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def runtime(db, emulator):
    runtime = Runtime(settings_for(db, emulator), db=db)
    with db.transaction() as session:
        sync_sources(session, runtime.live.settings, runtime.clock.now())
        create_agent(session, name="Alex", email="alex@example.com", password="pw", role="senior",
                     presence="online", capacity=100, now=runtime.clock.now())
    yield runtime
    runtime.stop()


def control(emulator, path: str, body: dict) -> dict:
    response = requests.post(f"{emulator.url}/_emulator/{path}", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def signed(body: dict, secret: str = DEFAULT_APP_SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def delivery(*changes, messaging=()):
    return {"object": "instagram", "entry": [{"id": IG_USER_ID, "time": int(time.time()),
                                              "changes": list(changes), "messaging": list(messaging)}]}


def comment_change(comment_id="17870000000000001", text="The lid cracked after a week and nobody answers. Awful."):
    return {"field": "comments", "value": {"from": {"id": "17841405309211844", "username": "lena_travels"},
                                          "media": {"id": "17900000000000001"}, "id": comment_id, "text": text}}


def message_event(mid="aWdfZAG1faXRlbToxOk1lc3NhZ2U", sender="6872319042837491", text="My order never arrived"):
    return {"sender": {"id": sender}, "recipient": {"id": IG_USER_ID}, "timestamp": int(time.time() * 1000),
            "message": {"mid": mid, "text": text}}


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_instagram_subscription_handshake_answers_the_challenge(app):
    client = app.test_client()
    response = client.get("/webhooks/instagram/acme_ig", query_string={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "4242"})

    assert (response.status_code, response.get_data(as_text=True)) == (200, "4242")
    assert client.get("/webhooks/instagram/acme_fb", query_string={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}).status_code == 404


def test_a_signed_instagram_delivery_stores_comments_and_messages_once_under_their_sources(app, db):
    raw, headers = signed(delivery(comment_change(), messaging=[message_event()]))
    client = app.test_client()

    first = client.post("/webhooks/instagram/acme_ig", data=raw, headers=headers)
    again = client.post("/webhooks/instagram/acme_ig", data=raw, headers=headers)

    assert first.status_code == 200 and first.get_json()["stored"] == 2
    assert again.get_json()["duplicates"] == 2
    with db.transaction() as session:
        stored = {m.kind: m.source.name for m in session.scalars(select(Mention))}
        assert stored == {"comment": "ig-comments", "direct_message": "ig-messages"}
        sender = session.scalar(select(Identity).where(Identity.platform_user_id == "6872319042837491"))
        assert sender.name == "Instagram user 6872319042837491"


def test_a_badly_signed_instagram_delivery_is_refused_and_stores_nothing(app, db):
    raw, headers = signed(delivery(comment_change(), messaging=[message_event()]), secret="not-the-app-secret")

    response = app.test_client().post("/webhooks/instagram/acme_ig", data=raw, headers=headers)

    assert response.status_code == 403
    assert "X-Hub-Signature-256" in response.get_json()["error"]["message"]
    assert count(db, Mention) == 0


def test_a_mention_in_a_delivery_is_read_from_instagram_and_stored(app, db, emulator):
    mention = control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": "tom_builds"},
                                                    "text": "@acme it arrived dented, terrible packing",
                                                    "media_url": f"{emulator.url}/_emulator/media/dent.png"})
    raw, headers = signed(delivery({"field": "mentions", "value": {"media_id": mention["media_id"]}}))

    response = app.test_client().post("/webhooks/instagram/acme_ig", data=raw, headers=headers)

    assert response.get_json()["stored"] == 1
    with db.transaction() as session:
        stored = session.scalar(select(Mention))
        assert (stored.external_id, stored.source.name) == (mention["id"], "ig-mentions")


def test_a_mention_that_cannot_be_read_stores_nothing_so_instagram_delivers_it_again(app, db, emulator):
    mention = control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": "tom_builds"},
                                                    "text": "@acme dented", "media_url": "https://cdn.example/d.jpg"})
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "instagram", "status": 503}, timeout=5)
    raw, headers = signed(delivery(comment_change(), {"field": "mentions", "value": {"media_id": mention["media_id"]}}))

    response = app.test_client().post("/webhooks/instagram/acme_ig", data=raw, headers=headers)

    assert response.status_code == 503
    assert count(db, Mention) == 0


def poll(runtime, name: str) -> None:
    with runtime.db.transaction() as session:
        source_id = session.scalar(select(Source.id).where(Source.name == name))
    outcome = runtime.poller.poll(source_id, force=True)
    assert outcome.status == "ok", outcome


def answer(runtime, external_id: str, body: str):
    with runtime.db.transaction() as session:
        mention = session.scalar(select(Mention).where(Mention.external_id == external_id))
        assert mention.ticket is not None, "the post raised no ticket"
        from store.models import Agent
        agent = session.scalar(select(Agent))
        reply = queue_answer(session, mention.ticket, body, agent, runtime.clock.now(), runtime.live.settings,
                             in_reply_to=mention.id)
        return reply.id, mention.ticket_id


def test_a_comment_under_the_brands_photo_is_answered_under_it(runtime, emulator):
    media = control(emulator, "instagram/posts", {"kind": "media", "text": "Winter sale",
                                                  "media_url": f"{emulator.url}/_emulator/media/sale.png"})["id"]
    comment = control(emulator, "instagram/posts", {"author": {"username": "lena_travels"}, "in_reply_to": media,
                                                    "text": "The lid of mine cracked after a week. Terrible!"})["id"]
    poll(runtime, "ig-comments")

    answer(runtime, comment, "So sorry Lena, we will send a new lid.")
    runtime.outbox.send_due()

    posts = requests.get(f"{emulator.url}/_emulator/instagram/posts", timeout=5).json()["posts"]
    ours = [p for p in posts if p["by_brand"] and p["in_reply_to"] == comment]
    assert [p["text"] for p in ours] == ["So sorry Lena, we will send a new lid."]


def test_a_recent_instagram_message_is_answered_by_direct_message(runtime, emulator):
    sent = control(emulator, "instagram/messages", {"author": {"username": "noor_a"},
                                                    "text": "My order never arrived and nobody answers. Awful.",
                                                    "attachments": [{"type": "image",
                                                                     "url": "https://cdn.example/porch.jpg"}]})
    poll(runtime, "ig-messages")

    reply_id, _ = answer(runtime, sent["id"], "Sorry Noor, could you send us your order number?")
    runtime.outbox.send_due()

    messages = requests.get(f"{emulator.url}/_emulator/instagram/messages", timeout=5).json()["messages"]
    assert (messages[-1]["by_brand"], messages[-1]["user_id"]) == (True, sent["user_id"])
    with runtime.db.transaction() as session:
        reply = session.get(Reply, reply_id)
        assert (reply.channel, reply.status, reply.conversation_ref) == ("direct_message", "sent", sent["user_id"])


def test_a_messenger_conversation_older_than_24_hours_is_refused_and_nothing_changes(runtime, emulator):
    old = control(emulator, "facebook/messages", {"author": {"name": "Dave R."},
                                                  "text": "Still no refund and nobody answers. Terrible service.",
                                                  "created_time": int(time.time()) - 2 * 24 * 3600})
    recent = control(emulator, "facebook/messages", {"author": {"name": "Sofia Marquez"},
                                                     "text": "My parcel is lost and nobody answers. Awful."})
    poll(runtime, "fb-messages")
    with runtime.db.transaction() as session:
        events_before = session.scalar(select(func.count()).select_from(Event))

    with pytest.raises(Refused) as refused:
        answer(runtime, old["id"], "Sorry Dave!")

    assert refused.value.status == 409
    assert f"Messenger {WINDOW_RULE}; the customer last wrote 2 days ago" in str(refused.value)
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Reply)) == 0
        assert session.scalar(select(func.count()).select_from(Event)) == events_before
    answer(runtime, recent["id"], "Sorry Sofia, we are tracing it now.")
    runtime.outbox.send_due()
    messages = requests.get(f"{emulator.url}/_emulator/facebook/messages", timeout=5).json()["messages"]
    assert [m["text"] for m in messages if m["by_brand"]] == ["Sorry Sofia, we are tracing it now."]
    with runtime.db.transaction() as session:
        assert session.scalar(select(Ticket).join(Mention).where(Mention.external_id == old["id"])).status != \
            "resolved"


def test_a_follow_up_by_direct_message_is_not_planned_once_the_window_has_closed(runtime, emulator):
    from datetime import timedelta

    from responder.followups import why_no_followup

    sent = control(emulator, "instagram/messages", {"author": {"username": "noor_a"},
                                                    "text": "My order never arrived and nobody answers. Awful."})
    poll(runtime, "ig-messages")
    settings = runtime.live.settings.model_copy(update={
        "followups": runtime.live.settings.followups.model_copy(update={"enabled": True})})
    with runtime.db.transaction() as session:
        ticket = session.scalar(select(Mention).where(Mention.external_id == sent["id"])).ticket
        now = runtime.clock.now()
        ticket.first_response_at = now

        assert why_no_followup(session, ticket, settings, now) is None
        assert why_no_followup(session, ticket, settings, now + timedelta(hours=25)).startswith(
            f"Instagram {WINDOW_RULE}; the customer last wrote 25 hours ago")


def test_a_customers_messenger_messages_and_page_comments_are_one_customer(runtime, emulator):
    post = control(emulator, "facebook/posts", {"kind": "post", "author": {"id": PAGE_ID}, "text": "Sale!"})["id"]
    said = control(emulator, "facebook/posts", {"kind": "comment", "author": {"name": "Marta Lindqvist"},
                                                "in_reply_to": post, "text": "Mine never came. Terrible."})["id"]
    wrote = control(emulator, "facebook/messages", {"author": {"name": "Marta Lindqvist"},
                                                    "text": "Here is my order number, it never came."})["id"]
    poll(runtime, "fb-comments")
    poll(runtime, "fb-messages")

    with runtime.db.transaction() as session:
        comment, message = (session.scalar(select(Mention).where(Mention.external_id == external_id))
                            for external_id in (said, wrote))
        assert comment.identity_id == message.identity_id
        assert comment.identity.customer.display_name == "Marta Lindqvist"
