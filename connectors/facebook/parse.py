"""Pure functions that turn Graph API objects and page webhook changes into
InboundPosts. Graph writes times as "2026-01-05T09:14:02+0000"; webhooks
as unix seconds; both are read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from config.clock import parse_utc
from connectors.base import Author, Batch, InboundPost, MalformedPayload, Media, SkippedItem

FACEBOOK_URL = "https://www.facebook.com/"
# Facebook recommendations are binary; they are stored on the star scale.
RECOMMENDATION_RATINGS = {"positive": 5, "negative": 1}
POST_ITEMS = frozenset({"post", "status", "photo", "video", "share", "link"})
KEPT_VERBS = frozenset({"add", "edited"})
# Attachment types, as closeloop names what they carry; shares of links,
# stickers and the like are left out.
ATTACHMENT_KINDS = {"photo": "image", "cover_photo": "image", "profile_media": "image", "video_inline": "video",
                    "video_autoplay": "video", "video": "video", "animated_image_share": "gif",
                    "animated_image_video": "gif", "animated_image_autoplay": "gif"}

Parser = Callable[[Any], InboundPost]


def parse_post(raw: Any, page_id: str) -> InboundPost:
    """A post of the page's feed (fields id, message, from, created_time,
    permalink_url); the page's own posts are by_brand."""
    raw = _object(raw, "a post")
    post_id = _id(raw, "id", "post")
    author = _author(raw.get("from"), f"post {post_id}")
    return InboundPost(
        platform="facebook",
        external_id=post_id,
        kind="post",
        text=_message(raw, "message", f"post {post_id}"),
        author=author,
        created_at=_created_at(raw, "created_time", f"post {post_id}"),
        url=_url(raw, post_id),
        conversation_id=post_id,
        by_brand=author.platform_user_id == page_id,
        media=attached_media(_listed(raw.get("attachments"))),
        raw=raw,
    )


def parse_comment(raw: Any, post_id: str, page_id: str) -> InboundPost:
    """A comment read from the post `post_id` with filter=stream: a "reply"
    when it answers another comment (its `parent`), else a "comment"."""
    raw = _object(raw, "a comment")
    comment_id = _id(raw, "id", "comment")
    where = f"comment {comment_id}"
    author = _author(raw.get("from"), where)
    parent = raw.get("parent")
    if parent is not None and not (isinstance(parent, dict) and _is_id(parent.get("id"))):
        raise MalformedPayload(f"{where} has a parent without an id: {parent!r}")
    parent_id = parent["id"] if parent else None
    return InboundPost(
        platform="facebook",
        external_id=comment_id,
        kind="reply" if parent_id else "comment",
        text=_message(raw, "message", where),
        author=author,
        created_at=_created_at(raw, "created_time", where),
        url=_url(raw, comment_id),
        conversation_id=post_id,
        in_reply_to=parent_id or post_id,
        by_brand=author.platform_user_id == page_id,
        media=attached_media([raw.get("attachment")]),
        raw=raw,
    )


def parse_rating(raw: Any) -> InboundPost:
    """A page recommendation. It has no id of its own: its open_graph_story
    is what one comments on to answer it, so that is its id."""
    raw = _object(raw, "a rating")
    story = raw.get("open_graph_story")
    if not isinstance(story, dict) or not _is_id(story.get("id")):
        raise MalformedPayload("rating has no open_graph_story id (ask for the open_graph_story field)")
    story_id = story["id"]
    where = f"rating {story_id}"
    kind = raw.get("recommendation_type")
    if kind not in RECOMMENDATION_RATINGS:
        raise MalformedPayload(f"{where} has no recommendation_type positive or negative: {kind!r}")
    return InboundPost(
        platform="facebook",
        external_id=story_id,
        kind="review",
        text=_message(raw, "review_text", where),
        author=_author(raw.get("reviewer"), where, role="reviewer"),
        created_at=_created_at(raw, "created_time", where),
        url=FACEBOOK_URL + story_id,
        conversation_id=story_id,
        rating=RECOMMENDATION_RATINGS[kind],
        raw=raw,
    )


def parse_feed_change(value: Any, page_id: str) -> InboundPost | None:
    """The post, comment or rating of one `feed` change of a page webhook;
    None for what is not one to take in (a removal, a reaction)."""
    value = _object(value, "a feed change value")
    item, verb = value.get("item"), value.get("verb")
    if not isinstance(item, str) or not isinstance(verb, str):
        raise MalformedPayload(f"feed change has no item and verb: {item!r}, {verb!r}")
    if verb not in KEPT_VERBS or (item not in POST_ITEMS and item not in ("comment", "rating")):
        return None
    if item == "rating":
        return _rating_change(value)
    post_id = _id(value, "post_id", f"{item} change")
    if item == "comment":
        comment_id = _id(value, "comment_id", "comment change")
        parent_id = value.get("parent_id")
        if parent_id is not None and not _is_id(parent_id):
            raise MalformedPayload(f"comment {comment_id} has an invalid parent_id: {parent_id!r}")
        is_reply = parent_id is not None and parent_id != post_id
        external_id, in_reply_to = comment_id, parent_id if is_reply else post_id
        kind = "reply" if is_reply else "comment"
    else:
        external_id, kind, in_reply_to = post_id, "post", None
    where = f"{kind} {external_id}"
    author = _author(value.get("from"), where)
    return InboundPost(
        platform="facebook",
        external_id=external_id,
        kind=kind,
        text=_message(value, "message", where),
        author=author,
        created_at=_created_at(value, "created_time", where),
        url=FACEBOOK_URL + external_id,
        conversation_id=post_id,
        in_reply_to=in_reply_to,
        by_brand=author.platform_user_id == page_id,
        media=_changed_photos(value),
        raw=value,
    )


def attached_media(attachments: list) -> tuple[Media, ...]:
    """The photos and videos of a post's `attachments` (an album's are its
    `subattachments`) or of a comment's one `attachment`: `media.image` is
    the picture or a video's still, `media.source` a video's file."""
    found = []
    for attachment in attachments:
        if not isinstance(attachment, dict):
            continue
        if attachment.get("type") == "album":
            found += attached_media(_listed(attachment.get("subattachments")))
            continue
        kind = ATTACHMENT_KINDS.get(attachment.get("type"))
        media = attachment.get("media") if isinstance(attachment.get("media"), dict) else {}
        image = media.get("image") if isinstance(media.get("image"), dict) else {}
        picture = _text(image, "src")
        source = _text(media, "source")
        url = picture if kind == "image" else source
        if kind is None or not (url or picture):
            continue
        found.append(Media(url=url, kind=kind, alt_text=_text(attachment, "description"),
                           width=_size(image, "width") if kind == "image" else None,
                           height=_size(image, "height") if kind == "image" else None,
                           preview_url=picture if kind != "image" else ""))
    return tuple(found)


def _changed_photos(value: dict) -> tuple[Media, ...]:
    """The photos of a feed change: `photos` (several) or, for a photo or
    a comment with one, `photo`; addresses only, no sizes."""
    photos = value.get("photos") if isinstance(value.get("photos"), list) else [value.get("photo")]
    return tuple(Media(url=url, kind="image") for url in photos if isinstance(url, str) and url)


def _listed(edge: Any) -> list:
    """The `data` of an edge written into an object (`attachments`)."""
    data = edge.get("data") if isinstance(edge, dict) else None
    return data if isinstance(data, list) else []


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _size(raw: dict, key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def batch_from(items: Iterable[tuple[Any, Parser]], cursor: str | None,
               moment_of: Callable[[Any], int | None] | None = None) -> Batch:
    """Each item parsed once, oldest first; what cannot be parsed is
    skipped. The cursor is the newest time seen (unix seconds, by
    `moment_of`: Facebook's created_time unless told), skipped items
    included, and never moves back."""
    moment_of = moment_of or created_unix
    posts: dict[str, InboundPost] = {}
    skipped: list[SkippedItem] = []
    newest = int(cursor) if cursor and cursor.isdigit() else 0
    for raw, parse in items:
        moment = moment_of(raw)
        if moment is not None:
            newest = max(newest, moment)
        try:
            post = parse(raw)
        except MalformedPayload as error:
            skipped.append(SkippedItem(raw=raw, reason=str(error)))
            continue
        posts[post.external_id] = post
    ordered = sorted(posts.values(), key=lambda p: (p.created_at, p.external_id))
    return Batch(posts=ordered, cursor=str(newest) if newest else cursor, skipped=skipped)


def created_unix(raw: Any) -> int | None:
    """An object's created_time in unix seconds, or None."""
    if not isinstance(raw, dict):
        return None
    moment = utc_time(raw.get("created_time"))
    return int(moment.timestamp()) if moment else None


def utc_time(value: Any) -> datetime | None:
    """Graph times are ISO 8601, or epoch seconds in webhook deliveries."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, timezone.utc)
    return parse_utc(value)


def _rating_change(value: dict) -> InboundPost:
    story_id = _id(value, "open_graph_story_id", "rating change")
    where = f"rating {story_id}"
    kind = value.get("recommendation_type")
    rating = RECOMMENDATION_RATINGS.get(kind) if kind is not None else value.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise MalformedPayload(f"{where} has no recommendation_type positive or negative: {kind!r}")
    reviewer = {"id": value.get("reviewer_id"), "name": value.get("reviewer_name")}
    return InboundPost(
        platform="facebook",
        external_id=story_id,
        kind="review",
        text=_message(value, "review_text", where),
        author=_author(reviewer, where, role="reviewer"),
        created_at=_created_at(value, "created_time", where),
        url=FACEBOOK_URL + story_id,
        conversation_id=story_id,
        rating=rating,
        raw=value,
    )


def _object(raw: Any, what: str) -> dict:
    if not isinstance(raw, dict):
        raise MalformedPayload(f"{what} must be an object, not {type(raw).__name__}")
    return raw


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _id(raw: dict, key: str, what: str) -> str:
    if not _is_id(raw.get(key)):
        raise MalformedPayload(f"{what} has no valid {key}: {raw.get(key)!r}")
    return raw[key]


def _author(raw: Any, where: str, role: str = "from") -> Author:
    """Facebook has no handles: the name stands in for one. Without the
    pages_read_user_content permission Graph leaves `from` out."""
    if not isinstance(raw, dict) or not _is_id(raw.get("id")):
        raise MalformedPayload(f"{where} has no {role} with an id (the page token may lack "
                               "pages_read_user_content)")
    name = raw.get("name") if isinstance(raw.get("name"), str) else ""
    return Author(platform_user_id=raw["id"], handle=name, name=name)


def _message(raw: dict, key: str, where: str) -> str:
    """A photo or a sticker alone has no text: that is an empty one."""
    text = raw.get(key, "")
    if not isinstance(text, str):
        raise MalformedPayload(f"{where} has a {key} that is not text: {text!r}")
    return text


def _created_at(raw: dict, key: str, where: str) -> datetime:
    moment = utc_time(raw.get(key))
    if moment is None:
        raise MalformedPayload(f"{where} has no valid {key}: {raw.get(key)!r}")
    return moment


def _url(raw: dict, object_id: str) -> str:
    url = raw.get("permalink_url")
    return url if isinstance(url, str) and url.startswith("https://") else FACEBOOK_URL + object_id
