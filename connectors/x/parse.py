"""X API v2 payloads (`return_type=dict`): a tweet as an InboundPost, and
the batch of a poll's pages."""

from __future__ import annotations

import html
import re
from datetime import datetime

from config.clock import parse_utc
from connectors.base import Author, Batch, InboundPost, MalformedPayload, Media, SkippedItem

LANGUAGE = re.compile(r"^[a-z]{2}$")
ID = re.compile(r"^[0-9]{1,19}$")
# X's media types, as closeloop names them; others are left out.
MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "gif"}


def parse_tweet(raw: dict, users: dict[str, dict], brand_user_id: str | None,
                media: dict[str, dict] | None = None) -> InboundPost:
    """An InboundPost from one tweet of a v2 response (`return_type=dict`)
    and the users and media of its `includes`, by id and media_key."""
    if not isinstance(raw, dict):
        raise MalformedPayload(f"a tweet must be an object, not {type(raw).__name__}")
    tweet_id = id_of(raw)
    if tweet_id is None:
        raise MalformedPayload(f"tweet has no valid id: {raw.get('id')!r}")
    text = full_text(raw)
    if text is None:
        raise MalformedPayload(f"tweet {tweet_id} has no text")
    author_id = raw.get("author_id")
    if not isinstance(author_id, str) or not author_id:
        raise MalformedPayload(f"tweet {tweet_id} has no author_id")
    user = users.get(author_id)
    if not isinstance(user, dict) or not isinstance(user.get("username"), str) or not user["username"]:
        raise MalformedPayload(f"tweet {tweet_id}: author {author_id} is not in includes.users")
    created_at = _moment(raw.get("created_at"))
    if created_at is None:
        raise MalformedPayload(f"tweet {tweet_id} has no valid created_at: {raw.get('created_at')!r}")
    in_reply_to = replied_to(raw)
    conversation_id = raw.get("conversation_id")
    name = user.get("name")
    return InboundPost(
        platform="x",
        external_id=tweet_id,
        kind="reply" if in_reply_to else "post",
        text=html.unescape(text),
        author=Author(platform_user_id=author_id, handle=user["username"], name=name if isinstance(name, str) else "",
                      followers=_followers(user), verified=user.get("verified") is True),
        created_at=created_at,
        url=f"https://x.com/{user['username']}/status/{tweet_id}",
        conversation_id=conversation_id if isinstance(conversation_id, str) else None,
        in_reply_to=in_reply_to,
        by_brand=brand_user_id is not None and author_id == brand_user_id,
        language=raw["lang"] if isinstance(raw.get("lang"), str) and LANGUAGE.match(raw["lang"]) else None,
        media=attached_media(raw, media or {}),
        raw={"tweet": raw, "user": user},
    )


def attached_media(raw: dict, media: dict[str, dict]) -> tuple[Media, ...]:
    """The photos and videos a tweet's `attachments.media_keys` name, from
    the page's `includes.media`. X gives a photo its `url` and a video or
    GIF only a `preview_image_url`; media it left out, of a type we do not
    know or with no address at all are skipped."""
    attachments = raw.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    found = []
    for key in keys if isinstance(keys, list) else []:
        item = media.get(key) if isinstance(key, str) else None
        kind = MEDIA_KINDS.get(item.get("type")) if item else None
        if kind is None:
            continue
        url, preview = _text(item, "url"), _text(item, "preview_image_url")
        if not (url or preview):
            continue
        found.append(Media(url=url, kind=kind, alt_text=_text(item, "alt_text"), width=_size(item, "width"),
                           height=_size(item, "height"), preview_url=preview))
    return tuple(found)


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _size(item: dict, key: str) -> int | None:
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def media_of(page: dict) -> dict[str, dict]:
    """The media of a page's `includes`, by media_key."""
    includes = page.get("includes")
    items = includes.get("media") if isinstance(includes, dict) else None
    if not isinstance(items, list):
        return {}
    return {m["media_key"]: m for m in items if isinstance(m, dict) and isinstance(m.get("media_key"), str)}


def id_of(raw: dict) -> str | None:
    """A post's or user's id, when it is one (X's are decimal digits)."""
    value = raw.get("id")
    return value if isinstance(value, str) and ID.match(value) else None


def _followers(user: dict) -> int:
    metrics = user.get("public_metrics")
    count = metrics.get("followers_count") if isinstance(metrics, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0


def _moment(value) -> datetime | None:
    try:
        return parse_utc(value)
    except OverflowError:  # a time at the very edge of the calendar
        return None


def batch_from_pages(pages: list[dict], cursor: str | None, brand_user_id: str | None,
                     looked_up: dict[str, dict] | None = None) -> Batch:
    """The posts of every page, each once and oldest first. `looked_up`
    holds the authors a page's includes missed and that were asked for
    apart. What cannot be parsed is skipped (and quarantined by the
    caller); the cursor moves to the newest id seen, skipped items
    included, so they are not fetched again. Errors X reported beside its
    data are kept, but for the authors found after all."""
    posts: dict[str, InboundPost] = {}
    skipped: list[SkippedItem] = []
    errors: list[str] = []
    looked_up = looked_up or {}
    newest = int(cursor) if cursor and ID.match(cursor) else 0
    for page in pages:
        users = {**users_of(page), **looked_up}
        media = media_of(page)
        meta = page.get("meta")
        newest_id = meta.get("newest_id") if isinstance(meta, dict) else None
        if isinstance(newest_id, str) and ID.match(newest_id):
            newest = max(newest, int(newest_id))
        errors += [describe(e) for e in listed(page, "errors") if not _found_after_all(e, looked_up)]
        for raw in listed(page, "data"):
            tweet_id = id_of(raw) if isinstance(raw, dict) else None
            try:
                post = parse_tweet(raw, users, brand_user_id, media)
            except MalformedPayload as error:
                skipped.append(SkippedItem(raw=raw, reason=str(error), external_id=tweet_id))
            else:
                posts[post.external_id] = post
            if tweet_id is not None:
                newest = max(newest, int(tweet_id))
    ordered = sorted(posts.values(), key=lambda p: int(p.external_id))
    return Batch(posts=ordered, cursor=str(newest) if newest else cursor, skipped=skipped, errors=errors)


def missing_authors(pages: list[dict]) -> list[str]:
    """The author ids of the pages' posts that their includes do not hold."""
    missing = {}
    for page in pages:
        users = users_of(page)
        for raw in listed(page, "data"):
            author_id = raw.get("author_id") if isinstance(raw, dict) else None
            if isinstance(author_id, str) and ID.match(author_id) and author_id not in users:
                missing[author_id] = None
    return list(missing)


def full_text(raw: dict) -> str | None:
    """A long post's whole text is in `note_tweet`; `text` holds its start."""
    note = raw.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return note["text"]
    text = raw.get("text")
    return text if isinstance(text, str) else None


def describe(error) -> str:
    """One item of an `errors` array, as a sentence."""
    if not isinstance(error, dict):
        return str(error)
    return str(error.get("detail") or error.get("message") or error.get("title") or error)


def _found_after_all(error, looked_up: dict[str, dict]) -> bool:
    return isinstance(error, dict) and error.get("resource_type") == "user" and (
        error.get("resource_id") in looked_up or error.get("value") in looked_up)


def users_of(page: dict) -> dict[str, dict]:
    """The users of a page's `includes`, by id."""
    includes = page.get("includes")
    return by_id(includes.get("users") if isinstance(includes, dict) else None)


def by_id(users) -> dict[str, dict]:
    """A list of user objects, by id; what is not one is left out."""
    if not isinstance(users, list):
        return {}
    return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}


def listed(page: dict, key: str) -> list:
    value = page.get(key)
    return value if isinstance(value, list) else []


def replied_to(raw: dict) -> str | None:
    for reference in listed(raw, "referenced_tweets"):
        parent = reference.get("id") if isinstance(reference, dict) else None
        if isinstance(parent, str) and parent and reference.get("type") == "replied_to":
            return parent
    return None
