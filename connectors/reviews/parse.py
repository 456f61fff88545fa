"""Reading review feeds, as pure functions: RSS 2.0 and Atom through
feedparser, JSON Feed 1.1, `{"reviews": [...]}` or a list of reviews
through json; each entry an InboundPost of kind "review" with its stars."""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import logging
import math
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit

import feedparser

from connectors.base import Author, Batch, InboundPost, MalformedPayload, Media, SkippedItem

log = logging.getLogger(__name__)

# The store keeps ids of at most 100 characters, and the connector puts a
# 9-character feed key in front; longer ones are replaced by a digest.
MAX_ID_LENGTH = 91
MAX_NAME_LENGTH = 200
MAX_URL_LENGTH = 1000
# Media RSS's media:rating is a content advisory ("adult"), not stars.
NOT_STARS = frozenset({"media_rating"})


def batch_since(posts: list[InboundPost], skipped: list[SkippedItem], cursor: str | None) -> Batch:
    """The posts published at or after the cursor, each once and oldest
    first, and the newest publication time seen as the next cursor. Equal
    times are kept: two reviews can share a second, and duplicates are
    dropped downstream by id."""
    since = cursor_time(cursor)
    kept: dict[str, InboundPost] = {}
    for post in posts:
        if since is None or post.created_at >= since:
            kept.setdefault(post.external_id, post)
    if since is not None and posts and len(kept) == len(posts):
        log.warning("every entry of the review feed is newer than the cursor %s: reviews published in between "
                    "may have dropped out of the feed before this poll", cursor)
    ordered = sorted(reversed(kept.values()), key=lambda p: p.created_at)
    newest = max((p.created_at for p in ordered), default=None)
    if newest is None or (since is not None and newest <= since):
        return Batch(posts=ordered, cursor=cursor, skipped=skipped)
    return Batch(posts=ordered, cursor=newest.isoformat(), skipped=skipped)


def cursor_time(cursor: str | None) -> datetime | None:
    if not cursor:
        return None
    try:
        moment = datetime.fromisoformat(cursor)
    except ValueError:
        log.warning("review feed cursor %r is not an ISO 8601 time; reading the whole feed", cursor)
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_document(body: bytes, url: str, content_type: str = "") -> tuple[list[InboundPost], list[SkippedItem]]:
    """The reviews of a downloaded feed, and the entries skipped with the
    reason. Raises MalformedPayload, saying what was received, when the
    body is neither a feed nor JSON of reviews."""
    if "json" in content_type.lower() or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        try:
            document = json.loads(body)
        except ValueError:
            raise MalformedPayload(f"JSON that cannot be read ({_described(body, content_type)})") from None
        return _parse_all(json_items(document), parse_json_review)
    # No content-location: feedparser would resolve Atom ids against it too,
    # and a bare review id must stay what the reply API knows.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-type": content_type} if content_type else {})
    if not _is_feed(parsed):
        raise MalformedPayload(f"neither an RSS/Atom feed nor JSON ({_described(body, content_type)})")
    prefixes = [prefix for prefix in parsed.get("namespaces", {}) if prefix]
    return _parse_all(parsed.entries, lambda entry: parse_feed_entry(entry, prefixes, url))


def _is_feed(parsed: feedparser.FeedParserDict) -> bool:
    """feedparser flags a feed served with a non-XML content type or
    another charset as bozo, yet reads it; what it could not read at all
    has no entries and either no version or a bozo flag of another kind."""
    if parsed.entries:
        return True
    if not parsed.get("version"):
        return False
    harmless = feedparser.ThingsNobodyCaresAboutButMe
    return not parsed.get("bozo") or isinstance(parsed.get("bozo_exception"), harmless)


def _parse_all(items: Iterable[Any],
               parse: Callable[[Any], InboundPost]) -> tuple[list[InboundPost], list[SkippedItem]]:
    posts, skipped = [], []
    for item in items:
        try:
            posts.append(parse(item))
        except MalformedPayload as error:
            skipped.append(SkippedItem(raw=_plain(item), reason=str(error)))
    return posts, skipped


def json_items(document: Any) -> list:
    """The entries of a JSON Feed (`items`), of `{"reviews": [...]}` or of a top-level list."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("items", "reviews"):
            if isinstance(document.get(key), list):
                return document[key]
    raise MalformedPayload("JSON that is not a feed of reviews (no items or reviews list)")


def parse_feed_entry(entry: dict, prefixes: Iterable[str] = (), feed_url: str = "") -> InboundPost:
    """An InboundPost from one feedparser entry of an RSS or Atom feed. The
    rating and the author's id come from extension elements, which
    feedparser names `<prefix>_rating`, `<prefix>_author_id` after the
    feed's namespace prefixes; a relative link is joined to `feed_url`."""
    external_id = _string(entry.get("id")) or _string(entry.get("link"))
    if not external_id:
        raise MalformedPayload("review has no id, guid or link")
    names = [*(f"{prefix}_" for prefix in prefixes), ""]
    rating = parse_rating(_first(entry, _rating_keys(entry, names)), external_id)
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    if not published:
        raise MalformedPayload(f"review {external_id} has no readable date "
                               f"(published {entry.get('published')!r}, updated {entry.get('updated')!r})")
    contents = [c for c in entry.get("content") or [] if isinstance(c, dict) and c.get("value")]
    body = _text(contents[0]) if contents else _text(entry.get("summary_detail") or {"value": entry.get("summary")})
    title = _text(entry.get("title_detail") or {"value": entry.get("title")})
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or detail.get("email") or ""
    author_id = _string(_first(entry, [n + "author_id" for n in names])) or detail.get("href") or name
    link = next((link.get("href") for link in entry.get("links") or []
                 if link.get("rel", "alternate") == "alternate" and link.get("href")), None)
    if link is None and entry.get("guidislink") and urlsplit(external_id).scheme in ("http", "https"):
        link = external_id
    files = [(_string(e.get("href")), _string(e.get("type")), e.get("length"), _string(e.get("title")))
             for e in entry.get("enclosures") or [] if isinstance(e, dict)]
    files += [(_string(m.get("url")), _string(m.get("type")), m.get("fileSize"), "")
              for m in entry.get("media_content") or [] if isinstance(m, dict)]
    return _review(external_id, title, body, rating, datetime(*published[:6], tzinfo=timezone.utc),
                   author_id, name, urljoin(feed_url, link) if link else "", _plain(entry),
                   attached_files([(urljoin(feed_url, url) if url else "", *rest) for url, *rest in files]))


def _rating_keys(entry: dict, names: list[str]) -> list[str]:
    """Where an entry's stars may be, namespaced elements first. feedparser
    also copies Media RSS's media:rating (a content advisory such as
    "nonadult") to an unprefixed `rating`, which is then not stars."""
    keys = [name + key for key in ("rating", "stars") for name in names if name + key not in NOT_STARS]
    advisory = entry.get("media_rating")
    if isinstance(advisory, dict) and advisory.get("content") == entry.get("rating"):
        keys.remove("rating")
    return keys


def parse_json_review(item: Any) -> InboundPost:
    """An InboundPost from one item of a JSON Feed 1.1 (rating in a
    `_review` extension object or a `rating` field) or of a plain list of
    reviews (`author` a string or an object, `rating` or `stars`, `text`,
    `content` or `body`, `published`, `date` or `created_at`)."""
    if not isinstance(item, dict):
        raise MalformedPayload(f"a review must be an object, not {type(item).__name__}")
    url = _string(_first(item, ["url", "link", "external_url"]))
    external_id = _string(item.get("id")) or url
    if not external_id:
        raise MalformedPayload("review has no id and no url")
    extension = item.get("_review") if isinstance(item.get("_review"), dict) else {}
    stars = _first(extension, ["rating", "stars"])
    rating = parse_rating(_first(item, ["rating", "stars"]) if stars is None else stars, external_id)
    written = _first(item, ["date_published", "published", "date", "created_at", "date_modified", "updated"])
    created_at = json_time(written)
    if created_at is None:
        raise MalformedPayload(f"review {external_id} has no readable date: {written!r}")
    if item.get("content_text") is None and item.get("content_html") is not None:
        body = _text({"type": "text/html", "value": item.get("content_html")})
    else:
        body = _string(_first(item, ["content_text", "text", "content", "body", "summary"]))
    authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
    author = authors[0] if authors else None
    if isinstance(author, dict):
        name = _string(author.get("name"))
        author_id = _string(_first(author, ["id", "uri", "url"])) or name
    else:
        name = author_id = _string(author)
    author_id = _string(extension.get("author_id")) or author_id
    files = [(_string(a.get("url")), _string(a.get("mime_type")), a.get("size_in_bytes"), _string(a.get("title")))
             for a in item.get("attachments") or [] if isinstance(a, dict)]
    image = _string(item.get("image"))
    if image and image not in {url for url, *_ in files}:
        files.insert(0, (image, "image/", None, ""))
    return _review(external_id, _string(item.get("title")), body, rating, created_at, author_id, name, url, item,
                   attached_files(files))


def attached_files(files: list[tuple[str, str, Any, str]]) -> tuple[Media, ...]:
    """The photos and videos among a review's enclosed files (address,
    type, length, title): told by their type, each address once."""
    found: dict[str, Media] = {}
    for url, mime_type, length, title in files:
        kind = "gif" if mime_type == "image/gif" else mime_type.partition("/")[0]
        if kind not in ("image", "video", "gif") or not url or url in found:
            continue
        size = int(length) if isinstance(length, (int, str)) and str(length).isdigit() else None
        found[url] = Media(url=url, kind=kind, alt_text=title, size_bytes=size)
    return tuple(found.values())


def _review(external_id: str, title: str, body: str, rating: int | None, created_at: datetime, author_id: str,
            name: str, url: str, raw: dict, media: tuple[Media, ...] = ()) -> InboundPost:
    if not title and not body and rating is None:
        raise MalformedPayload(f"review {external_id} has no text and no rating")
    name = name.strip()
    return InboundPost(
        platform="reviews",
        external_id=_bounded(external_id),
        kind="review",
        text="\n\n".join(part for part in (title, body) if part),
        author=Author(platform_user_id=_bounded(author_id.strip() or f"anonymous:{external_id}"),
                      handle=(name or "anonymous")[:MAX_NAME_LENGTH], name=name[:MAX_NAME_LENGTH]),
        created_at=created_at,
        url=url if len(url) <= MAX_URL_LENGTH else "",
        rating=rating,
        media=media,
        raw=raw,
    )


def parse_rating(value: Any, external_id: str = "") -> int | None:
    """Stars from 1 to 5 (a half star rounds up), None when there is no
    rating. An element with attributes reaches us as a dict (`value`)."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("value", value.get("content"))
    number = None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is None or not math.isfinite(number):
        raise MalformedPayload(f"review {external_id} has a rating that is not a number: {value!r}")
    if not 1 <= number <= 5:
        raise MalformedPayload(f"review {external_id} has a rating outside 1 to 5: {value!r}")
    return int(number + 0.5)


def json_time(value: Any) -> datetime | None:
    """An aware UTC time from ISO 8601 (UTC when it names no offset), an
    HTTP date or epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class _TextOfHtml(HTMLParser):
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def _text(detail: dict) -> str:
    """Plain text of a feedparser text construct; HTML loses its tags."""
    value = detail.get("value")
    if not isinstance(value, str):
        return ""
    if "html" not in (detail.get("type") or ""):
        return value.strip()
    parser = _TextOfHtml()
    parser.feed(value)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _first(mapping: dict, keys: Iterable[str]) -> Any:
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)


def _string(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value).strip()


def _bounded(identifier: str) -> str:
    if len(identifier) <= MAX_ID_LENGTH:
        return identifier
    return "sha1:" + hashlib.sha1(identifier.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a feedparser entry, without its parsed times."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).endswith("_parsed")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _described(body: bytes, content_type: str) -> str:
    start = " ".join(body[:80].decode("utf-8", "replace").split())
    return f"{content_type or 'no content type'}, {len(body)} bytes, starting {start!r}"


def _normalised(text: str) -> str:
    return " ".join(text.split())
