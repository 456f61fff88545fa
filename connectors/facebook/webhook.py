"""Facebook page webhooks: the subscription handshake, the signature check
and the parsing of a delivery, as pure functions for the webhook endpoint."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from connectors.base import InboundPost, MalformedPayload, SkippedItem
from connectors.facebook.messages import parse_messaging_event
from connectors.facebook.parse import parse_feed_change

# Which kind of source a delivered post belongs to, for linking it to one.
SOURCE_KIND_OF_POST = {"post": "page_posts", "comment": "comments", "reply": "comments", "review": "reviews",
                       "direct_message": "messages"}


class SubscriptionRefused(ValueError):
    """A webhook subscription handshake that must not be answered."""



def verify_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """The hub.challenge to answer a webhook subscription handshake with."""
    mode = params.get("hub.mode")
    if mode != "subscribe":
        raise SubscriptionRefused(f"hub.mode must be 'subscribe', not {mode!r}")
    if not verify_token:
        raise SubscriptionRefused("this Facebook account has no verify_token to check the subscription against")
    given = params.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise SubscriptionRefused("hub.verify_token does not match the account's verify_token")
    challenge = params.get("hub.challenge")
    if not challenge:
        raise SubscriptionRefused("hub.challenge is missing")
    return challenge


def signature_is_valid(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether X-Hub-Signature-256 is the HMAC-SHA256 of the raw body with the app secret."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256="):].strip().lower().encode())


def parse_webhook(payload: dict, page_id: str) -> tuple[list[InboundPost], list[SkippedItem]]:
    """The posts, comments and ratings of a page delivery's `feed` changes
    and the Messenger messages of its `messaging` events, oldest first, and
    what could not be read. Raises MalformedPayload when
    the payload is not a page delivery at all."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        found = payload.get("object") if isinstance(payload, dict) else type(payload).__name__
        raise MalformedPayload(f"not a page webhook delivery (object is {found!r})")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("the page webhook delivery has no entry list")
    posts: list[InboundPost] = []
    skipped: list[SkippedItem] = []
    for entry in entries:
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            skipped.append(SkippedItem(raw=entry, reason="an entry must be an object with a changes list"))
            continue
        if entry.get("id") != page_id:
            skipped.append(SkippedItem(raw=entry, reason=f"entry for page {entry.get('id')!r}, not {page_id}"))
            continue
        for change in changes:
            field = change.get("field") if isinstance(change, dict) else None
            if not isinstance(field, str):
                skipped.append(SkippedItem(raw=change, reason="a change must be an object with a field"))
                continue
            if field not in ("feed", "ratings"):
                continue
            try:
                post = parse_feed_change(change.get("value"), page_id)
            except MalformedPayload as error:
                skipped.append(SkippedItem(raw=change, reason=str(error)))
                continue
            if post is not None:
                posts.append(post)
        posts += messaging_posts(entry, "facebook", page_id, skipped)
    return sorted(posts, key=lambda p: p.created_at), skipped


def messaging_posts(entry: dict, platform: str, brand_id: str, skipped: list[SkippedItem]) -> list[InboundPost]:
    """The messages of an entry's `messaging` events (Messenger and
    Instagram deliver direct messages so); what cannot be read is added to
    `skipped`."""
    events = entry.get("messaging", [])
    if not isinstance(events, list):
        skipped.append(SkippedItem(raw=entry, reason="an entry's messaging must be a list"))
        return []
    posts = []
    for event in events:
        try:
            post = parse_messaging_event(event, platform, brand_id)
        except MalformedPayload as error:
            skipped.append(SkippedItem(raw=event, reason=str(error)))
            continue
        if post is not None:
            posts.append(post)
    return posts
