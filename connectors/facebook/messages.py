"""Direct messages of the Messenger Platform, as pure functions: a message
read through the conversations API (`/{conversation-id}/messages`) and a
`messaging` event of a webhook delivery, for a Facebook page (Messenger)
and for the Instagram account linked to it, both as InboundPosts.

A message's conversation is the customer's one thread with the brand, so
its conversation id is the customer's page-scoped id (PSID, or IGSID on
Instagram): webhook events name no conversation, and the customer's
Messenger messages and comments on the page share that id."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from config.clock import parse_utc
from connectors.base import Author, InboundPost, MalformedPayload, Media

INBOX_URLS = {"facebook": "https://www.facebook.com/messages/t/{id}",
              "instagram": "https://www.instagram.com/direct/inbox/"}
ATTACHMENT_KINDS = {"image": "image", "video": "video", "animated_gif": "gif", "ig_reel": "video", "reel": "video"}


def inbox_url(platform: str, customer_id: str) -> str:
    return INBOX_URLS[platform].format(id=customer_id)


def parse_message(raw: Any, platform: str, brand_id: str) -> InboundPost:
    """A message of a conversation (fields id, message, from, to,
    created_time, attachments). The brand's own messages are by_brand and
    belong to the conversation of the customer they went to."""
    if not isinstance(raw, dict):
        raise MalformedPayload(f"a message must be an object, not {type(raw).__name__}")
    message_id = raw.get("id")
    if not isinstance(message_id, str) or not message_id.strip():
        raise MalformedPayload(f"message has no valid id: {message_id!r}")
    where = f"message {message_id}"
    sender = raw.get("from")
    if not isinstance(sender, dict) or not _is_id(sender.get("id")):
        raise MalformedPayload(f"{where} has no from with an id")
    by_brand = sender["id"] == brand_id
    if by_brand:
        recipients = (raw.get("to") or {}).get("data") if isinstance(raw.get("to"), dict) else None
        customer = next((r for r in recipients or [] if isinstance(r, dict) and _is_id(r.get("id"))
                         and r["id"] != brand_id), None)
        if customer is None:
            raise MalformedPayload(f"{where} is the brand's and has no recipient with an id")
        customer_id = customer["id"]
    else:
        customer_id = sender["id"]
    text = raw.get("message", "")
    if not isinstance(text, str):
        raise MalformedPayload(f"{where} has a message that is not text: {text!r}")
    created_at = parse_utc(raw.get("created_time"))
    if created_at is None:
        raise MalformedPayload(f"{where} has no valid created_time: {raw.get('created_time')!r}")
    attachments = (raw.get("attachments") or {}).get("data") if isinstance(raw.get("attachments"), dict) else None
    return InboundPost(
        platform=platform,
        external_id=message_id,
        kind="direct_message",
        text=text,
        author=_author(sender),
        created_at=created_at,
        url=inbox_url(platform, customer_id),
        conversation_id=customer_id,
        by_brand=by_brand,
        media=tuple(m for m in map(_api_attachment, attachments or []) if m is not None),
        raw=raw,
    )


def parse_messaging_event(event: Any, platform: str, brand_id: str) -> InboundPost | None:
    """The message of one webhook `messaging` event; None for what is no
    message (a read receipt, a reaction, a deleted message). The brand's
    own messages come back as echoes (is_echo), sent to the customer."""
    if not isinstance(event, dict):
        raise MalformedPayload(f"a messaging event must be an object, not {type(event).__name__}")
    message = event.get("message")
    if message is None or (isinstance(message, dict) and message.get("is_deleted")):
        return None
    if not isinstance(message, dict) or not _is_id(message.get("mid")):
        raise MalformedPayload("a messaging event has a message without a mid")
    where = f"message {message['mid']}"
    sender, recipient = event.get("sender"), event.get("recipient")
    if not (isinstance(sender, dict) and _is_id(sender.get("id")) and isinstance(recipient, dict)
            and _is_id(recipient.get("id"))):
        raise MalformedPayload(f"{where} has no sender and recipient ids")
    by_brand = bool(message.get("is_echo")) or sender["id"] == brand_id
    customer_id = recipient["id"] if by_brand else sender["id"]
    moment = event.get("timestamp")
    if not isinstance(moment, int) or isinstance(moment, bool) or moment <= 0:
        raise MalformedPayload(f"{where} has no valid timestamp: {moment!r}")
    text = message.get("text", "")
    if not isinstance(text, str):
        raise MalformedPayload(f"{where} has a text that is not text: {text!r}")
    attachments = message.get("attachments") if isinstance(message.get("attachments"), list) else []
    return InboundPost(
        platform=platform,
        external_id=message["mid"],
        kind="direct_message",
        text=text,
        author=Author(platform_user_id=sender["id"], handle=""),
        created_at=datetime.fromtimestamp(moment / 1000, timezone.utc),
        url=inbox_url(platform, customer_id),
        conversation_id=customer_id,
        by_brand=by_brand,
        media=tuple(m for m in map(_event_attachment, attachments) if m is not None),
        raw=event,
    )


def _author(sender: dict) -> Author:
    """Instagram gives a username, Messenger a name."""
    username = sender.get("username") if isinstance(sender.get("username"), str) else ""
    name = sender.get("name") if isinstance(sender.get("name"), str) else ""
    return Author(platform_user_id=sender["id"], handle=username or name, name=name or username)


def _api_attachment(raw: Any) -> Media | None:
    """An attachment of a message read through the API: image_data or
    video_data with a url (and a preview for videos)."""
    if not isinstance(raw, dict):
        return None
    image, video = raw.get("image_data"), raw.get("video_data")
    if isinstance(video, dict) and _is_url(video.get("url")):
        preview = video.get("preview_url")
        return Media(url=video["url"], kind="video", width=_size(video.get("width")),
                     height=_size(video.get("height")), preview_url=preview if _is_url(preview) else "")
    if isinstance(image, dict) and _is_url(image.get("url")):
        return Media(url=image["url"], kind="image", width=_size(image.get("width")), height=_size(image.get("height")))
    return None


def _event_attachment(raw: Any) -> Media | None:
    """An attachment of a webhook message: {type, payload: {url}}; what is
    no picture or video (a file, a location, a story mention) is left out."""
    if not isinstance(raw, dict) or raw.get("type") not in ATTACHMENT_KINDS:
        return None
    payload = raw.get("payload")
    url = payload.get("url") if isinstance(payload, dict) else None
    return Media(url=url, kind=ATTACHMENT_KINDS[raw["type"]]) if _is_url(url) else None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
