"""Pure functions that turn Instagram Graph API objects into InboundPosts:
comments and replies on the brand's media, media the brand is tagged in,
comments that mention the brand, and the photos and videos they carry.

Instagram leaves `from` out of a comment when the token lacks a
permission or the commenter's account is restricted; the username alone
then names the author. Media and comments the brand is mentioned in are
answered through `/{ig-user-id}/mentions`, so their ids carry what that
call needs: "mention_<media id>" and "mention_<media id>_<comment id>"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from connectors.base import Author, Batch, InboundPost, MalformedPayload, Media
from connectors.facebook.parse import batch_from, utc_time

INSTAGRAM_URL = "https://www.instagram.com/"
MENTION_PREFIX = "mention_"
# An author known by username only (no `from` id) is stored under this prefix.
USERNAME_PREFIX = "username:"
MEDIA_KINDS = {"IMAGE": "image", "VIDEO": "video", "REELS": "video"}
ON_THE_POST = "the brand's post this comment is on"

Parser = Callable[[Any], InboundPost]


def parse_comment(raw: Any, media: dict, brand_id: str, brand_username: str = "",
                  parent_id: str | None = None) -> InboundPost:
    """A comment on the brand's `media` (fields id, text, timestamp,
    username, from), or a reply when `parent_id` (or its own parent_id)
    names the comment it answers."""
    raw = _object(raw, "a comment")
    comment_id = _id(raw, "id", "comment")
    where = f"comment {comment_id}"
    parent_id = parent_id or raw.get("parent_id")
    if parent_id is not None and not _is_id(parent_id):
        raise MalformedPayload(f"{where} has an invalid parent_id: {parent_id!r}")
    media_id = _id(media, "id", f"the media of {where}")
    author = author_of(raw, where)
    # Instagram comments are text only: a comment on the brand's post shows
    # the photo it is about; a reply under it does not repeat it.
    shown = () if parent_id else tuple(replace(item, alt_text=item.alt_text or ON_THE_POST)
                                       for item in media_of(media))
    return InboundPost(
        platform="instagram",
        external_id=comment_id,
        kind="reply" if parent_id else "comment",
        text=_text(raw, "text", where),
        author=author,
        created_at=_created_at(raw, where),
        url=_permalink(media),
        conversation_id=media_id,
        in_reply_to=parent_id or media_id,
        by_brand=is_brand(author, brand_id, brand_username),
        media=shown,
        raw=raw,
    )


def parse_tagged_media(raw: Any, brand_id: str, brand_username: str = "") -> InboundPost:
    """A post the brand is tagged or @mentioned in (`/{ig-user-id}/tags`)."""
    raw = _object(raw, "a media object")
    media_id = _id(raw, "id", "media")
    where = f"media {media_id}"
    author = author_of(raw, where)
    external_id = f"{MENTION_PREFIX}{media_id}"
    return InboundPost(
        platform="instagram",
        external_id=external_id,
        kind="post",
        text=_text(raw, "caption", where),
        author=author,
        created_at=_created_at(raw, where),
        url=_permalink(raw),
        conversation_id=external_id,
        by_brand=is_brand(author, brand_id, brand_username),
        media=media_of(raw),
        raw=raw,
    )


def parse_mentioned_comment(raw: Any, media_id: str) -> InboundPost:
    """A comment on someone else's media that @mentions the brand, read
    through `mentioned_comment` (fields id, text, timestamp, username, media)."""
    raw = _object(raw, "a mentioned comment")
    comment_id = _id(raw, "id", "mentioned comment")
    where = f"comment {comment_id}"
    media = raw.get("media") if isinstance(raw.get("media"), dict) else {"id": media_id}
    return InboundPost(
        platform="instagram",
        external_id=f"{MENTION_PREFIX}{media_id}_{comment_id}",
        kind="comment",
        text=_text(raw, "text", where),
        author=author_of(raw, where),
        created_at=_created_at(raw, where),
        url=_permalink(media),
        conversation_id=f"{MENTION_PREFIX}{media_id}",
        raw=raw,
    )


def mention_target(external_id: str) -> tuple[str, str | None] | None:
    """The media id and comment id a mention's id names; None for an id
    that is no mention's."""
    if not external_id.startswith(MENTION_PREFIX):
        return None
    media_id, _, comment_id = external_id[len(MENTION_PREFIX):].partition("_")
    return media_id, comment_id or None


def media_of(raw: dict) -> tuple[Media, ...]:
    """The photos and videos of a media object: itself, or each child of
    a carousel. Instagram leaves media_url out of media with copyrighted
    music; those are left out too."""
    children = raw.get("children")
    if raw.get("media_type") == "CAROUSEL_ALBUM" and isinstance(children, dict):
        items = children.get("data") if isinstance(children.get("data"), list) else []
        return tuple(m for child in items if isinstance(child, dict) for m in media_of(child))
    kind = MEDIA_KINDS.get(raw.get("media_type")) or MEDIA_KINDS.get(raw.get("media_product_type"))
    url = raw.get("media_url")
    if kind is None or not _is_url(url):
        return ()
    preview = raw.get("thumbnail_url")
    return (Media(url=url, kind=kind, preview_url=preview if _is_url(preview) else ""),)


def author_of(raw: dict, where: str) -> Author:
    """`from` {id, username} where Instagram gives it, else the username."""
    sender = raw.get("from")
    username = raw.get("username") if _is_id(raw.get("username")) else ""
    if isinstance(sender, dict) and _is_id(sender.get("id")):
        username = sender.get("username") if _is_id(sender.get("username")) else username
        return Author(platform_user_id=sender["id"], handle=username, name=username)
    if username:
        return Author(platform_user_id=USERNAME_PREFIX + username, handle=username, name=username)
    raise MalformedPayload(f"{where} has neither from nor username (the token may lack instagram_manage_comments)")


def is_brand(author: Author, brand_id: str, brand_username: str) -> bool:
    return author.platform_user_id == brand_id or bool(brand_username and author.handle == brand_username)


def timestamp_unix(raw: Any) -> int | None:
    if not isinstance(raw, dict):
        return None
    moment = utc_time(raw.get("timestamp"))
    return int(moment.timestamp()) if moment else None


def instagram_batch(items: Iterable[tuple[Any, Parser]], cursor: str | None) -> Batch:
    """As Facebook's batches, by Instagram's `timestamp`."""
    return batch_from(items, cursor, timestamp_unix)


def _object(raw: Any, what: str) -> dict:
    if not isinstance(raw, dict):
        raise MalformedPayload(f"{what} must be an object, not {type(raw).__name__}")
    return raw


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _id(raw: dict, key: str, what: str) -> str:
    if not _is_id(raw.get(key)):
        raise MalformedPayload(f"{what} has no valid {key}: {raw.get(key)!r}")
    return raw[key]


def _text(raw: dict, key: str, where: str) -> str:
    """A photo posted without a caption has none: that is an empty text."""
    text = raw.get(key) if raw.get(key) is not None else ""
    if not isinstance(text, str):
        raise MalformedPayload(f"{where} has a {key} that is not text: {text!r}")
    return text


def _created_at(raw: dict, where: str):
    moment = utc_time(raw.get("timestamp"))
    if moment is None:
        raise MalformedPayload(f"{where} has no valid timestamp: {raw.get('timestamp')!r}")
    return moment


def _permalink(media: dict) -> str:
    url = media.get("permalink")
    return url if isinstance(url, str) and url.startswith("https://") else INSTAGRAM_URL
