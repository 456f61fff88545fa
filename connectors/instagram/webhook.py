"""Instagram webhook deliveries (`object: "instagram"`), as pure functions
for the webhook endpoint: `comments` changes (comments and replies on the
account's media), `messages` (direct messages, as `messaging` events) and
`mentions`, which carry only the ids of the media or comment the account
was mentioned in: the connector reads those (`fetch_mentioned`).

The subscription handshake and the X-Hub-Signature-256 check are the
page webhooks' (`connectors.facebook.webhook`): one Meta app signs both."""

from __future__ import annotations

from typing import Any

from connectors.base import InboundPost, MalformedPayload, SkippedItem
from connectors.facebook.webhook import messaging_posts
from connectors.instagram.parse import MENTION_PREFIX, parse_comment


def source_kind_of(post: InboundPost) -> str:
    """Which kind of source a delivered post belongs to."""
    if post.kind == "direct_message":
        return "messages"
    return "mentions" if post.external_id.startswith(MENTION_PREFIX) else "comments"


def parse_webhook(payload: Any, ig_user_id: str) -> tuple[list[InboundPost], list[SkippedItem]]:
    """The comments and direct messages of a delivery, oldest first, and
    what could not be read. Raises MalformedPayload when the payload is not
    an Instagram delivery at all."""
    posts: list[InboundPost] = []
    skipped: list[SkippedItem] = []
    for entry, changes in _entries(payload, ig_user_id, skipped):
        moment = entry.get("time")
        for change in changes:
            field = change.get("field") if isinstance(change, dict) else None
            if not isinstance(field, str):
                skipped.append(SkippedItem(raw=change, reason="a change must be an object with a field"))
            elif field == "comments":
                try:
                    posts.append(_comment(change.get("value"), moment, ig_user_id))
                except MalformedPayload as error:
                    skipped.append(SkippedItem(raw=change, reason=str(error)))
        posts += messaging_posts(entry, "instagram", ig_user_id, skipped)
    return sorted(posts, key=lambda p: p.created_at), skipped


def mentions_of(payload: Any, ig_user_id: str) -> list[tuple[str, str | None]]:
    """The (media id, comment id or None) of each `mentions` change."""
    found = []
    for _, changes in _entries(payload, ig_user_id, []):
        for change in changes:
            value = change.get("value") if isinstance(change, dict) and change.get("field") == "mentions" else None
            media_id = value.get("media_id") if isinstance(value, dict) else None
            if isinstance(media_id, str) and media_id.strip():
                comment_id = value.get("comment_id")
                found.append((media_id, comment_id if isinstance(comment_id, str) and comment_id else None))
    return found


def _entries(payload: Any, ig_user_id: str, skipped: list[SkippedItem]) -> list[tuple[dict, list]]:
    if not isinstance(payload, dict) or payload.get("object") != "instagram":
        found = payload.get("object") if isinstance(payload, dict) else type(payload).__name__
        raise MalformedPayload(f"not an Instagram webhook delivery (object is {found!r})")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("the Instagram webhook delivery has no entry list")
    kept = []
    for entry in entries:
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            skipped.append(SkippedItem(raw=entry, reason="an entry must be an object with a changes list"))
        elif entry.get("id") != ig_user_id:
            skipped.append(SkippedItem(raw=entry, reason=f"entry for account {entry.get('id')!r}, not {ig_user_id}"))
        else:
            kept.append((entry, changes))
    return kept


def _comment(value: Any, moment: Any, ig_user_id: str) -> InboundPost:
    """A `comments` change names no time: the entry's time stands for it."""
    if not isinstance(value, dict):
        raise MalformedPayload("a comments change has no value object")
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    if not isinstance(moment, int) or isinstance(moment, bool) or moment <= 0:
        raise MalformedPayload(f"comment {value.get('id')!r}: the entry has no valid time: {moment!r}")
    raw = {**value, "timestamp": moment}
    return parse_comment(raw, media, ig_user_id)
