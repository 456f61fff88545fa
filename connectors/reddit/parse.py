"""Reddit payloads to platform-neutral records: pure functions over the JSON
Reddit sends (listings of things, asked for with raw_json=1 so texts are not
HTML-escaped), plus the cursor and keyword rules of the Reddit connector."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any, Iterable

from connectors.base import Author, InboundPost, MalformedPayload, Media, SkippedItem

REDDIT_URL = "https://www.reddit.com"
FULLNAME = re.compile(r"^t([1-6])_([0-9a-z]{1,13})$")
POST_KINDS = {"t1": "comment", "t3": "post", "t4": "direct_message"}
DELETED_AUTHOR = "[deleted]"
# Who admin and automatic messages are from.
PLATFORM_AUTHOR = "reddit"
SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{2,21}$")
# Items of the brand's inbox that answer one of its comments.
REPLY_TYPES = frozenset({"comment_reply"})
_THREAD_IN_PATH = re.compile(r"/comments/([0-9a-z]{1,13})/")
_QUERY_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WAIT = re.compile(r"([0-9]+) (milliseconds?|seconds?|minutes?|hours?)")
_UNIT_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}
CURSOR_MAX_LENGTH = 200
LAST_EPOCH = 253402300800


def listing_children(page: Any) -> tuple[list[Any], str | None]:
    """The children of one listing page and its `after` anchor."""
    if not isinstance(page, dict) or page.get("kind") != "Listing" or not isinstance(page.get("data"), dict):
        raise MalformedPayload("the answer is not a Reddit listing")
    children = page["data"].get("children")
    if not isinstance(children, list):
        raise MalformedPayload("the listing has no list of children")
    after = page["data"].get("after")
    return children, after if isinstance(after, str) and after else None


def fullname_of(child: Any) -> str | None:
    """The fullname (`t1_abc`) of a listing child, if it has a valid one;
    known even for an item that cannot be parsed further."""
    data = child.get("data") if isinstance(child, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and FULLNAME.match(name) else None


def id_number(fullname: str) -> int:
    """Reddit ids are base-36 counters: a larger number is a newer thing."""
    return int(fullname.partition("_")[2], 36)


def created_of(child: Any) -> float | None:
    data = child.get("data") if isinstance(child, dict) else None
    return _epoch(data.get("created_utc")) if isinstance(data, dict) else None


def parse_thing(child: Any, brand: str | None) -> InboundPost:
    """An InboundPost from one listing child: a comment (t1), a post (t3)
    or a private message (t4). `brand` is the brand's username."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        raise MalformedPayload("a listing child must be an object with kind and data")
    kind, data = child.get("kind"), child["data"]
    if not isinstance(kind, str) or kind not in POST_KINDS:
        raise MalformedPayload(f"a thing of kind {kind!r} is not a comment, post or message")
    name = fullname_of(child)
    if name is None or not name.startswith(f"{kind}_"):
        raise MalformedPayload(f"{kind} thing has no valid fullname: {data.get('name')!r}")
    author = _author(kind, name, data)
    created = _epoch(data.get("created_utc"))
    if created is None:
        raise MalformedPayload(f"{name} has no valid created_utc: {data.get('created_utc')!r}")
    text, url, conversation, in_reply_to = _content(kind, name, data)
    post_kind = POST_KINDS[kind]
    if kind == "t1" and isinstance(data.get("type"), str) and data["type"] in REPLY_TYPES:
        post_kind = "reply"
    return InboundPost(
        platform="reddit",
        external_id=name,
        kind=post_kind,
        text=text,
        author=author,
        created_at=datetime.fromtimestamp(created, timezone.utc),
        url=url,
        conversation_id=conversation,
        in_reply_to=in_reply_to,
        by_brand=brand is not None and author.handle.lower() == brand.lower(),
        from_platform=not author.platform_user_id.startswith("t2_"),
        media=submission_media(data) if kind == "t3" else (),
        raw={"kind": kind, "data": data},
    )


def submission_media(data: dict) -> tuple[Media, ...]:
    """The photos and videos of a post: a gallery's items in order (from
    `gallery_data` and `media_metadata`), a hosted video
    (`media.reddit_video`, its still from `preview` or the `thumbnail`),
    or an uploaded image (`post_hint` "image"). A link's preview is the
    linked page's, not the customer's, and is left out."""
    if data.get("is_gallery") is True:
        return _gallery(data)
    still = _preview_image(data)
    if data.get("is_video") is True:
        media = data.get("secure_media") or data.get("media")
        video = media.get("reddit_video") if isinstance(media, dict) else None
        video = video if isinstance(video, dict) else {}
        url, thumbnail = _text(video, "fallback_url"), _text(data, "thumbnail")
        preview = _text(still, "url") or (thumbnail if thumbnail.startswith("https://") else "")
        if not (url or preview):
            return ()
        return (Media(url=url, kind="video", width=_size(video, "width"), height=_size(video, "height"),
                      preview_url=preview),)
    url = _text(data, "url_overridden_by_dest") or _text(data, "url")
    if data.get("post_hint") == "image" and url:
        return (Media(url=url, kind="gif" if url.lower().endswith(".gif") else "image",
                      width=_size(still, "width"), height=_size(still, "height")),)
    return ()


def _gallery(data: dict) -> tuple[Media, ...]:
    gallery, metadata = data.get("gallery_data"), data.get("media_metadata")
    items = gallery.get("items") if isinstance(gallery, dict) else None
    if not isinstance(items, list) or not isinstance(metadata, dict):
        return ()
    found = []
    for item in items:
        meta = metadata.get(item.get("media_id")) if isinstance(item, dict) else None
        if not isinstance(meta, dict) or meta.get("status") != "valid" or not isinstance(meta.get("s"), dict):
            continue
        source, kind = meta["s"], {"Image": "image", "AnimatedImage": "gif"}.get(meta.get("e"))
        url = _text(source, "u") if kind == "image" else _text(source, "gif") or _text(source, "mp4")
        if kind is None or not url:
            continue
        found.append(Media(url=url, kind=kind, alt_text=_text(item, "caption"), width=_size(source, "x"),
                           height=_size(source, "y")))
    return tuple(found)


def _preview_image(data: dict) -> dict:
    """The full-size `source` of a post's first preview image, or {}."""
    preview = data.get("preview")
    images = preview.get("images") if isinstance(preview, dict) else None
    first = images[0] if isinstance(images, list) and images and isinstance(images[0], dict) else {}
    return first.get("source") if isinstance(first.get("source"), dict) else {}


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _size(raw: dict, key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _author(kind: str, name: str, data: dict) -> Author:
    """Who wrote a thing. Reddit hides the moderator who writes a
    subreddit's mail (`author` is null) and gives admin and automatic
    messages no user (`author_fullname` is null): those are stored as
    "moderator of r/<subreddit>" and "reddit"."""
    author, author_id, subreddit = data.get("author"), data.get("author_fullname"), data.get("subreddit")
    if kind == "t4" and author is None and isinstance(subreddit, str) and SUBREDDIT.match(subreddit):
        moderators = f"moderator of r/{subreddit}"
        return Author(platform_user_id=f"r/{subreddit.lower()}", handle=moderators, name=moderators)
    if not isinstance(author, str) or not author or author == DELETED_AUTHOR:
        raise MalformedPayload(f"{name} has no author (deleted or missing)")
    if kind == "t4" and author_id is None:
        return Author(platform_user_id=PLATFORM_AUTHOR, handle=PLATFORM_AUTHOR, name=author)
    if not isinstance(author_id, str) or not author_id.startswith("t2_"):
        raise MalformedPayload(f"{name} has no author_fullname")
    return Author(platform_user_id=author_id, handle=author, name=author)


def _content(kind: str, name: str, data: dict) -> tuple[str, str, str | None, str | None]:
    """Text, url, conversation and parent of a thing of a known kind."""
    thing_id = name.partition("_")[2]
    if kind == "t3":
        title, selftext = data.get("title"), data.get("selftext") or ""
        if not isinstance(title, str) or not isinstance(selftext, str):
            raise MalformedPayload(f"{name} has no title")
        text = f"{title}\n\n{selftext}" if selftext.strip() else title
        return text, _url(data.get("permalink")), name, None
    body = data.get("body")
    if not isinstance(body, str):
        raise MalformedPayload(f"{name} has no body")
    parent = data.get("parent_id")
    parent = parent if isinstance(parent, str) and FULLNAME.match(parent) else None
    if kind == "t4":
        first = data.get("first_message_name")
        conversation = first if isinstance(first, str) and FULLNAME.match(first) else name
        return body, f"{REDDIT_URL}/message/messages/{thing_id}", conversation, parent
    if parent is None:
        raise MalformedPayload(f"{name} has no parent_id")
    # Inbox items carry `context` instead of `permalink` and `link_id`.
    path = data.get("permalink") or data.get("context")
    return body, _url(path), _thread(data.get("link_id"), path), parent


def _thread(link_id: Any, path: Any) -> str | None:
    if isinstance(link_id, str) and link_id.startswith("t3_") and FULLNAME.match(link_id):
        return link_id
    found = _THREAD_IN_PATH.search(path) if isinstance(path, str) else None
    return f"t3_{found.group(1)}" if found else None


def _url(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        return ""
    return REDDIT_URL + path.partition("?")[0]


def _epoch(value: Any) -> float | None:
    """Seconds since 1970, up to the year 9999."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < LAST_EPOCH:
        return None
    return float(value)


def parse_children(children: Iterable[Any], brand: str | None) -> tuple[list[InboundPost], list[SkippedItem]]:
    """Every child that parses, and the others with the reason."""
    posts, skipped = [], []
    for child in children:
        try:
            posts.append(parse_thing(child, brand))
        except MalformedPayload as error:
            skipped.append(SkippedItem(raw=child, reason=str(error), external_id=fullname_of(child)))
    return posts, skipped


def age_key(created: float, fullname: str) -> tuple:
    """Orders things by time; within a second by kind, then id."""
    return created, fullname[:2], id_number(fullname)


def oldest_first(posts: Iterable[InboundPost]) -> list[InboundPost]:
    """Each post once, oldest first."""
    unique = {post.external_id: post for post in posts}
    return sorted(unique.values(), key=lambda p: age_key(p.created_at.timestamp(), p.external_id))


def matches_query(text: str, query: str) -> bool:
    """Whether `text` matches a keyword query, ignoring case: words (and
    "quoted phrases") must all appear; `OR` between groups means any group
    will do. An empty query matches everything."""
    groups: list[list[str]] = [[]]
    for phrase, word in _QUERY_TOKENS.findall(query):
        if word == "OR":
            groups.append([])
        elif " ".join(phrase.split()) or word:
            groups[-1].append((" ".join(phrase.split()) or word).lower())
    groups = [group for group in groups if group]
    if not groups:
        return True
    haystack = " ".join(text.split()).lower()
    return any(all(term in haystack for term in group) for group in groups)


def rate_limit_wait(message: str) -> float | None:
    """Seconds from a RATELIMIT message such as "Take a break for 9
    minutes before trying again"."""
    found = _WAIT.search(message or "")
    if not found:
        return None
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]


def read_search_cursor(cursor: str | None) -> tuple[float | None, set[str]]:
    """A search cursor: the newest created_utc seen, then the fullnames
    already returned from the overlap before it."""
    if not cursor:
        return None, set()
    first, *names = cursor.split()
    try:
        newest = float(first)
    except ValueError:
        return None, set()
    return (newest if math.isfinite(newest) else None), {n for n in names if FULLNAME.match(n)}


def search_cursor(newest: float, recent: list[str]) -> str:
    """`newest` and as many of `recent` (newest first) as fit the column."""
    cursor = str(int(newest))
    for name in recent:
        if len(cursor) + 1 + len(name) > CURSOR_MAX_LENGTH:
            break
        cursor += f" {name}"
    return cursor
