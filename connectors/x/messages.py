"""X direct messages in API v2 responses: a MessageCreate event as an
InboundPost, and the batch of pages read newest first down to a cursor.
DM event ids are Snowflakes like post ids, so they order by time."""

from __future__ import annotations

from config.clock import parse_utc
from connectors.base import Author, Batch, InboundPost, MalformedPayload, SkippedItem
from connectors.x.parse import attached_media, media_of, users_of

MESSAGE_FIELDS = ["id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id", "attachments"]


def message_url(conversation_id: str) -> str:
    return f"https://x.com/messages/{conversation_id}"


def parse_message_event(raw: dict, users: dict[str, dict], brand_user_id: str | None,
                        media: dict[str, dict] | None = None) -> InboundPost:
    """An InboundPost of kind direct_message from one MessageCreate event
    and the users (the expanded senders) and media of its `includes`."""
    if not isinstance(raw, dict):
        raise MalformedPayload(f"a direct message event must be an object, not {type(raw).__name__}")
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id.isdigit():
        raise MalformedPayload(f"direct message event has no valid id: {event_id!r}")
    if raw.get("event_type") != "MessageCreate":
        raise MalformedPayload(f"direct message event {event_id} is a {raw.get('event_type')!r}, not a message")
    text = raw.get("text")
    if not isinstance(text, str):
        raise MalformedPayload(f"direct message {event_id} has no text")
    conversation_id = raw.get("dm_conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise MalformedPayload(f"direct message {event_id} has no dm_conversation_id")
    sender_id = raw.get("sender_id")
    user = users.get(sender_id) if isinstance(sender_id, str) else None
    if not isinstance(user, dict) or not user.get("username"):
        raise MalformedPayload(f"direct message {event_id}: sender {sender_id!r} is not in includes.users")
    created_at = parse_utc(raw.get("created_at"))
    if created_at is None:
        raise MalformedPayload(f"direct message {event_id} has no valid created_at: {raw.get('created_at')!r}")
    metrics = user.get("public_metrics") or {}
    return InboundPost(
        platform="x",
        external_id=event_id,
        kind="direct_message",
        text=text,
        author=Author(platform_user_id=sender_id, handle=user["username"], name=user.get("name", ""),
                      followers=int(metrics.get("followers_count") or 0), verified=bool(user.get("verified"))),
        created_at=created_at,
        url=message_url(conversation_id),
        conversation_id=conversation_id,
        by_brand=brand_user_id is not None and sender_id == brand_user_id,
        media=attached_media(raw, media or {}),
        raw={"event": raw, "user": user},
    )


def is_older(event_id: object, cursor: str | None) -> bool:
    """Whether an event is at or below the cursor: already read."""
    return (cursor is not None and cursor.isdigit() and isinstance(event_id, str) and event_id.isdigit()
            and int(event_id) <= int(cursor))


def reaches(page: dict, cursor: str | None) -> bool:
    """Whether a page (newest first) goes down to the cursor, so the pages
    after it hold nothing new."""
    return any(isinstance(raw, dict) and is_older(raw.get("id"), cursor) for raw in page.get("data", []))


def messages_batch(pages: list[dict], cursor: str | None, brand_user_id: str | None) -> Batch:
    """The messages newer than `cursor` on every page, each once and oldest
    first; what cannot be parsed is skipped. The cursor moves to the newest
    id seen, skipped events included, so they are not read again."""
    posts: dict[str, InboundPost] = {}
    skipped: list[SkippedItem] = []
    newest = int(cursor) if cursor and cursor.isdigit() else 0
    for page in pages:
        users, media = users_of(page), media_of(page)
        for raw in page.get("data", []):
            event_id = raw.get("id") if isinstance(raw, dict) else None
            if is_older(event_id, cursor):
                continue
            try:
                post = parse_message_event(raw, users, brand_user_id, media)
            except MalformedPayload as error:
                known = isinstance(event_id, str) and event_id.isdigit()
                skipped.append(SkippedItem(raw=raw, reason=str(error), external_id=event_id if known else None))
                if known:
                    newest = max(newest, int(event_id))
                continue
            posts[post.external_id] = post
            newest = max(newest, int(post.external_id))
    ordered = sorted(posts.values(), key=lambda p: int(p.external_id))
    return Batch(posts=ordered, cursor=str(newest) if newest else cursor, skipped=skipped)
