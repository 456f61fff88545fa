import copy
import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.facebook.webhook import SubscriptionRefused, parse_webhook, signature_is_valid, verify_subscription

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "facebook" / "fixtures"
PAGE_ID = "108800000000001"
POST_ID = "108800000000001_122110000000000304"
APP_SECRET = "app-secret-for-tests"


def delivery() -> dict:
    return json.loads((FIXTURES / "webhook_feed.json").read_text(encoding="utf-8"))


def signed(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_it_accepts_a_delivery_signed_with_the_app_secret():
    body = json.dumps(delivery()).encode()

    assert signature_is_valid(body, signed(body), APP_SECRET) is True


def test_it_checks_the_exact_bytes_that_were_signed():
    body = json.dumps(delivery()).encode()
    reformatted = json.dumps(delivery(), indent=2).encode()

    assert signature_is_valid(reformatted, signed(body), APP_SECRET) is False


@pytest.mark.parametrize("header", [
    None,
    "",
    "sha1=0123456789abcdef0123456789abcdef01234567",
    "sha256=",
    "sha256=not-hex-at-all",
    "sha256=ünïcode",
])
def test_it_rejects_a_missing_or_malformed_signature(header):
    body = json.dumps(delivery()).encode()

    assert signature_is_valid(body, header, APP_SECRET) is False


def test_it_rejects_a_signature_made_with_another_secret():
    body = json.dumps(delivery()).encode()

    assert signature_is_valid(body, signed(body, "someone-elses-secret"), APP_SECRET) is False


def test_it_rejects_every_signature_when_no_app_secret_is_configured():
    body = b"{}"

    assert signature_is_valid(body, signed(body, ""), "") is False


def test_it_answers_the_subscription_handshake_with_the_challenge():
    params = {"hub.mode": "subscribe", "hub.verify_token": "our-verify-token", "hub.challenge": "1158201444"}

    assert verify_subscription(params, "our-verify-token") == "1158201444"


@pytest.mark.parametrize("params, configured, reason", [
    ({"hub.mode": "unsubscribe", "hub.verify_token": "t", "hub.challenge": "1"}, "t", "hub.mode"),
    ({"hub.verify_token": "t", "hub.challenge": "1"}, "t", "hub.mode"),
    ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "t", "does not match"),
    ({"hub.mode": "subscribe", "hub.challenge": "1"}, "t", "does not match"),
    ({"hub.mode": "subscribe", "hub.verify_token": "t"}, "t", "hub.challenge"),
    ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "", "no verify_token"),
])
def test_it_refuses_a_handshake_it_cannot_trust(params, configured, reason):
    with pytest.raises(SubscriptionRefused, match=reason) as caught:
        verify_subscription(params, configured)

    assert isinstance(caught.value, ValueError)


def test_it_reads_a_visitor_post_from_a_delivery():
    posts, _ = parse_webhook(delivery(), PAGE_ID)

    post = posts[0]
    assert post.kind == "post"
    assert post.external_id == "108800000000001_122110000000000601"
    assert post.conversation_id == post.external_id
    assert post.in_reply_to is None
    assert post.text == "My coffee grinder stopped working after a week. Warranty?"
    assert post.author.platform_user_id == "7003000000000501"
    assert post.author.name == "Keiko Tanabe"
    assert post.created_at == datetime.fromtimestamp(1767779400, timezone.utc)
    assert post.by_brand is False


def test_it_reads_a_comment_on_a_post_from_a_delivery():
    posts, _ = parse_webhook(delivery(), PAGE_ID)

    comment = posts[1]
    assert comment.kind == "comment"
    assert comment.external_id == "122110000000000304_1400000000000010"
    assert comment.in_reply_to == POST_ID
    assert comment.conversation_id == POST_ID


def test_it_reads_a_reply_to_a_comment_from_a_delivery():
    posts, _ = parse_webhook(delivery(), PAGE_ID)

    reply = posts[2]
    assert reply.kind == "reply"
    assert reply.external_id == "122110000000000304_1400000000000011"
    assert reply.in_reply_to == "122110000000000304_1400000000000010"
    assert reply.conversation_id == POST_ID


def test_it_reads_a_recommendation_from_a_delivery():
    posts, _ = parse_webhook(delivery(), PAGE_ID)

    review = posts[3]
    assert review.kind == "review"
    assert review.external_id == "1230000000000501"
    assert review.rating == 1
    assert review.author.platform_user_id == "7003000000000503"
    assert review.author.name == "Olu Adeyemi"
    assert review.text == "Checkout kept failing, gave up after three tries."


def test_it_ignores_removals_and_reactions_and_skips_a_malformed_change():
    posts, skipped = parse_webhook(delivery(), PAGE_ID)

    assert len(posts) == 4
    assert "122110000000000304_1400000000000009" not in {p.external_id for p in posts}
    assert len(skipped) == 1
    assert "comment_id" in skipped[0].reason
    assert skipped[0].raw["value"]["message"] == "This change lost its comment_id on the way."


def test_it_marks_the_pages_own_comment_as_by_brand():
    payload = delivery()
    payload["entry"][0]["changes"][1]["value"]["from"] = {"id": PAGE_ID, "name": "Acme"}

    posts, _ = parse_webhook(payload, PAGE_ID)

    assert posts[1].by_brand is True
    assert posts[0].by_brand is False


def test_it_takes_an_edited_post_again_under_the_same_id():
    payload = delivery()
    edited = copy.deepcopy(payload["entry"][0]["changes"][0])
    edited["value"].update(verb="edited", message="Grinder fixed itself, never mind!")
    payload["entry"][0]["changes"] = [edited]

    posts, _ = parse_webhook(payload, PAGE_ID)

    assert [(p.external_id, p.text) for p in posts] == [("108800000000001_122110000000000601",
                                                         "Grinder fixed itself, never mind!")]


def test_it_skips_an_entry_for_another_page():
    payload = delivery()
    payload["entry"][0]["id"] = "999999999999999"

    posts, skipped = parse_webhook(payload, PAGE_ID)

    assert posts == []
    assert "999999999999999" in skipped[0].reason


def test_it_passes_over_fields_other_than_the_feed():
    payload = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1767780000, "changes": [
        {"field": "mention", "value": {"post_id": POST_ID, "verb": "add"}},
    ]}]}

    assert parse_webhook(payload, PAGE_ID) == ([], [])


@pytest.mark.parametrize("change", [["not", "an", "object"], {"value": {"item": "post"}}])
def test_it_skips_a_change_that_is_not_a_change(change):
    payload = {"object": "page", "entry": [{"id": PAGE_ID, "changes": [change]}]}

    posts, skipped = parse_webhook(payload, PAGE_ID)

    assert posts == []
    assert len(skipped) == 1


@pytest.mark.parametrize("payload", [
    {"object": "instagram", "entry": []},
    {"entry": []},
    {"object": "page"},
    {"object": "page", "entry": {"id": PAGE_ID}},
    ["object", "page"],
])
def test_it_refuses_what_is_not_a_page_delivery(payload):
    with pytest.raises(MalformedPayload):
        parse_webhook(payload, PAGE_ID)
