"""Facebook pushes page posts, comments and reviews to /webhooks/facebook/<account>."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from config import load_settings
from connectors.facebook.emulator import DEFAULT_APP_SECRET, PAGE_ID
from listener.polling import sync_sources
from store.models import Mention, QuarantinedPost, Ticket
from tests import TEST_SECRET_KEY
from web import create_app

VERIFY_TOKEN = "let-me-in"


@pytest.fixture
def app(db, clock, emulator):
    settings = load_settings(env={}, overrides={
        "database": {"url": db.url},
        "web": {"secret_key": TEST_SECRET_KEY},
        "accounts": {"acme_fb": {"platform": "facebook", "base_url": emulator.url, "page_id": PAGE_ID,
                                 "page_access_token": "page-token", "app_secret": DEFAULT_APP_SECRET,
                                 "verify_token": VERIFY_TOKEN}},
        "sources": [{"name": "fb-comments", "account": "acme_fb", "kind": "comments", "target": PAGE_ID},
                    {"name": "fb-reviews", "account": "acme_fb", "kind": "reviews", "target": PAGE_ID}],
    })
    with db.transaction() as session:
        sync_sources(session, settings, clock.now())
    return create_app(settings, db=db, clock=clock)


def signed(body: dict, secret: str = DEFAULT_APP_SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def comment_delivery(comment_id="555_901", text="The order never came and nobody answers. Awful."):
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1767600000, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "post_id": f"{PAGE_ID}_555", "comment_id": comment_id,
        "parent_id": f"{PAGE_ID}_555", "from": {"id": "4242", "name": "Ines Duarte"}, "message": text,
        "created_time": 1767600000}}]}]}


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_subscription_handshake_answers_the_challenge(app):
    client = app.test_client()
    response = client.get("/webhooks/facebook/acme_fb", query_string={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "1158201444")
    wrong = client.get("/webhooks/facebook/acme_fb", query_string={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_a_signed_delivery_is_stored_once_even_when_delivered_again(app, db):
    client = app.test_client()
    raw, headers = signed(comment_delivery())
    first = client.post("/webhooks/facebook/acme_fb", data=raw, headers=headers)
    again = client.post("/webhooks/facebook/acme_fb", data=raw, headers=headers)
    assert first.get_json() == {"stored": 1, "duplicates": 0, "tickets_raised": 1, "quarantined": 0}
    assert again.get_json() == {"stored": 0, "duplicates": 1, "tickets_raised": 0, "quarantined": 0}
    with db.transaction() as session:
        mention = session.scalar(select(Mention))
        assert (mention.platform, mention.kind, mention.source.name) == ("facebook", "comment", "fb-comments")
    assert count(db, Ticket) == 1


@pytest.mark.parametrize("headers", [
    {},
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "md5=abc"},
])
def test_a_delivery_with_a_missing_or_wrong_signature_is_refused_and_changes_nothing(app, db, headers):
    raw, _ = signed(comment_delivery())
    response = app.test_client().post("/webhooks/facebook/acme_fb", data=raw,
                                      headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 403
    assert "X-Hub-Signature-256" in response.get_json()["error"]["message"]
    assert count(db, Mention) == 0


def test_a_body_changed_after_signing_is_refused(app, db):
    raw, headers = signed(comment_delivery())
    response = app.test_client().post("/webhooks/facebook/acme_fb", data=raw.replace(b"Awful", b"Great"),
                                      headers=headers)
    assert response.status_code == 403
    assert count(db, Mention) == 0


def test_an_unknown_account_is_not_found(app):
    raw, headers = signed(comment_delivery())
    assert app.test_client().post("/webhooks/facebook/nope", data=raw, headers=headers).status_code == 404


def test_a_signed_body_that_is_not_a_page_delivery_is_refused(app, db):
    raw, headers = signed({"object": "instagram"})
    response = app.test_client().post("/webhooks/facebook/acme_fb", data=raw, headers=headers)
    assert response.status_code == 400
    assert count(db, Mention) == 0


def test_the_emulator_delivers_a_signed_webhook_that_becomes_a_ticket(app, db, emulator):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        post_id = requests.post(f"{emulator.url}/_emulator/facebook/posts", timeout=5, json={
            "kind": "review", "author": {"name": "Ola Nordmann"}, "text": "Rude staff and a broken product.",
            "rating": 1}).json()["id"]
        delivered = requests.post(f"{emulator.url}/_emulator/facebook/webhook-deliveries", timeout=10, json={
            "url": f"http://127.0.0.1:{server.server_port}/webhooks/facebook/acme_fb", "post_ids": [post_id]})
        assert delivered.json()["status"] == 200
        bad = requests.post(f"{emulator.url}/_emulator/facebook/webhook-deliveries", timeout=10, json={
            "url": f"http://127.0.0.1:{server.server_port}/webhooks/facebook/acme_fb", "post_ids": [post_id],
            "signature": "bad"})
        assert bad.json()["status"] == 403
    finally:
        server.shutdown()
    with db.transaction() as session:
        mention = session.scalar(select(Mention))
        assert (mention.kind, mention.rating, mention.sentiment) == ("review", 1, "negative")
        assert mention.source.name == "fb-reviews"
    assert count(db, Ticket) == 1


def test_a_delivery_with_bad_posts_among_good_ones_stores_the_good_and_quarantines_the_bad(app, db):
    delivery = comment_delivery("555_901", "My refund \x00 never came. Awful.")
    changes = delivery["entry"][0]["changes"]
    changes.append({"field": "feed", "value": dict(changes[0]["value"], comment_id="555_902", message="Still waiting")})
    changes.append({"field": "feed", "value": dict(changes[0]["value"], comment_id=None, message="no id")})
    raw, headers = signed(delivery)

    response = app.test_client().post("/webhooks/facebook/acme_fb", data=raw, headers=headers)

    assert response.status_code == 200
    assert response.get_json() | {"tickets_raised": 0} == {"stored": 2, "duplicates": 0, "tickets_raised": 0,
                                                          "quarantined": 1}
    with db.transaction() as session:
        assert session.scalar(select(Mention.text).where(Mention.external_id == "555_901")) == (
            "My refund \ufffd never came. Awful.")
        kept = session.scalar(select(QuarantinedPost))
        assert (kept.platform, kept.raw["value"]["message"]) == ("facebook", "no id")
