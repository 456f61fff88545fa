"""A review site as the review feed connector reads it: the brand's reviews
as RSS 2.0, Atom and JSON Feed 1.1 (public, newest first, at most 50, with
ETag and Last-Modified and 304 on a matching conditional request), and a
reply API for the brand's answers; plus the control endpoints under
/_emulator/reviews/ that create, list and delete reviews.

A review's id is bare in every feed, Atom included, so that a reader
hands the reply API the id it saw; the rating and the reviewer's id travel
in a `review:` namespace (RSS, Atom) or a `_review` extension (JSON Feed)."""

from __future__ import annotations

import email.utils
import hashlib
import itertools
import math
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.http import http_date, is_resource_modified, quote_etag

from connectors.emulator.app import control_error, emulator, iso_time, json_body, utc_now
from connectors.emulator.media import made, media_items, media_url

PLATFORM = "reviews"
REVIEW_NS = "https://example.com/ns/review/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MAX_ENTRIES = 50
MAX_TEXT_LENGTH = 10000
MAX_REPLY_LENGTH = 4000
MAX_NAME_LENGTH = 100
FIRST_ID = 5000001
FAULT_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}

ET.register_namespace("review", REVIEW_NS)
ET.register_namespace("dc", DC_NS)


@dataclass(frozen=True)
class Review:
    id: str
    author_id: str
    author_name: str
    rating: int
    title: str
    text: str
    created_at: datetime
    # Photos and videos with the review (connectors/emulator/media.py's items).
    media: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Reply:
    id: str
    review_id: str
    text: str
    created_at: datetime


class ReviewsState:
    """Reviews and the brand's replies; handlers hold `lock` while they read or write."""

    def __init__(self, brand_name: str):
        self.lock = threading.RLock()
        self.brand_name = brand_name
        self.changed_at = utc_now()
        self._ids = itertools.count(FIRST_ID)
        self._reviewers: dict[str, str] = {}
        self._reviews: dict[str, Review] = {}
        self._replies: dict[str, Reply] = {}

    def add_review(self, name: str, rating: int, title: str, text: str, created_at: datetime | None,
                   media: tuple[dict, ...] = ()) -> Review:
        with self.lock:
            author_id = self._reviewers.setdefault(name.lower(), f"reviewer-{len(self._reviewers) + 1}")
            review = Review(str(next(self._ids)), author_id, name, rating, title, text, created_at or utc_now(),
                            media)
            self._reviews[review.id] = review
            self.changed_at = utc_now()
            return review

    def add_reply(self, review_id: str, text: str) -> Reply:
        """Raises LookupError when the review does not exist (any more)."""
        with self.lock:
            if review_id not in self._reviews:
                raise LookupError(review_id)
            reply = Reply(str(next(self._ids)), review_id, text, utc_now())
            self._replies[reply.id] = reply
            return reply

    def review(self, review_id: str) -> Review | None:
        return self._reviews.get(review_id)

    def replies_to(self, review_id: str) -> list[Reply]:
        with self.lock:
            return [r for r in self._replies.values() if r.review_id == review_id]

    def delete(self, post_id: str) -> bool:
        """Delete a review (its replies go with it) or one reply."""
        with self.lock:
            if self._replies.pop(post_id, None) is not None:
                return True
            if self._reviews.pop(post_id, None) is None:
                return False
            for reply in self.replies_to(post_id):
                del self._replies[reply.id]
            self.changed_at = utc_now()
            return True

    def newest_first(self) -> list[Review]:
        with self.lock:
            return sorted(self._reviews.values(), key=lambda r: (r.created_at, int(r.id)), reverse=True)

    def listing(self) -> list[dict]:
        with self.lock:
            posts = [review_json(r) for r in self._reviews.values()]
            posts += [reply_json(r, self.brand_name) for r in self._replies.values()]
        return sorted(posts, key=lambda p: (p["created_at"], int(p["id"])))


def create_state(brand_handle: str, brand_name: str) -> ReviewsState:
    return ReviewsState(brand_name)


def reviews_state() -> ReviewsState:
    return emulator().platforms[PLATFORM]


api = Blueprint("reviews_api", __name__, url_prefix="/reviews")
control = Blueprint("reviews_control", __name__, url_prefix="/_emulator/reviews")
blueprints = (api, control)


@api.before_request
def check_call():
    """Log the call, then fail it if a fault is pending; the reply API
    wants a Bearer token, the feeds are public."""
    shared = emulator()
    shared.record_request(PLATFORM, request.method, request.path, request.args.to_dict())
    replies = request.endpoint == f"{api.name}.replies"
    fault = shared.take_fault(PLATFORM)
    if fault is not None:
        fault.wait()
        status = fault.http_status
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if status == 429 else {}
        if replies:
            return jsonify({"error": FAULT_MESSAGES[status]}), status, headers
        return Response(FAULT_MESSAGES[status], status, headers, mimetype="text/plain")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if replies and (scheme != "Bearer" or not token.strip()):
        return jsonify({"error": "a Bearer token is required"}), 401, {"WWW-Authenticate": "Bearer"}
    return None


def feed_reviews() -> tuple[list[Review], datetime]:
    """The newest reviews, as many as `limit` asks (at most 50), and when the list last changed."""
    raw = request.args.get("limit", str(MAX_ENTRIES))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ENTRIES:
        abort(Response(f"limit must be a whole number from 1 to {MAX_ENTRIES}", 400, mimetype="text/plain"))
    state = reviews_state()
    with state.lock:
        return state.newest_first()[:int(raw)], state.changed_at


def conditional(body: str | bytes, mimetype: str, changed_at: datetime) -> Response:
    """200 with ETag and Last-Modified, or 304 when the request's
    If-None-Match (else If-Modified-Since) still matches."""
    etag = hashlib.sha1(body if isinstance(body, bytes) else body.encode()).hexdigest()
    last_modified = changed_at.replace(microsecond=0)
    headers = {"ETag": quote_etag(etag), "Last-Modified": http_date(last_modified)}
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers, mimetype=mimetype)


def enclosures(review: Review) -> list[dict]:
    """The review's files as a feed encloses them: address, type, length."""
    out = []
    for item in review.media:
        found = made(item["file"]) if item["file"] else None
        if found is not None:
            out.append({"url": media_url(item["file"]), "type": found[1], "length": str(len(found[0])),
                        "title": item["alt_text"] or ""})
    return out


def review_link(review: Review) -> str:
    return f"{request.host_url}reviews/{review.id}"


@api.get("/feed.xml")
def rss_feed():
    reviews, changed_at = feed_reviews()
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    add = ET.SubElement
    add(channel, "title").text = f"Reviews of {reviews_state().brand_name}"
    add(channel, "link").text = f"{request.host_url}reviews"
    add(channel, "description").text = f"The latest customer reviews of {reviews_state().brand_name}"
    add(channel, "lastBuildDate").text = email.utils.format_datetime(changed_at, usegmt=True)
    for review in reviews:
        item = add(channel, "item")
        if review.title:
            add(item, "title").text = review.title
        add(item, "link").text = review_link(review)
        add(item, "guid", {"isPermaLink": "false"}).text = review.id
        add(item, "pubDate").text = email.utils.format_datetime(review.created_at, usegmt=True)
        add(item, f"{{{DC_NS}}}creator").text = review.author_name
        add(item, "description").text = review.text
        add(item, f"{{{REVIEW_NS}}}rating").text = str(review.rating)
        add(item, f"{{{REVIEW_NS}}}author_id").text = review.author_id
        for enclosure in enclosures(review):
            add(item, "enclosure", {"url": enclosure["url"], "type": enclosure["type"], "length": enclosure["length"]})
    body = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return conditional(body, "application/rss+xml", changed_at)


@api.get("/feed.atom")
def atom_feed():
    reviews, changed_at = feed_reviews()
    # Atom is the default namespace, written as a plain attribute: ElementTree
    # cannot write a default namespace beside unqualified attributes.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    add = ET.SubElement
    add(feed, "title").text = f"Reviews of {reviews_state().brand_name}"
    add(feed, "id").text = f"{request.host_url}reviews/feed.atom"
    add(feed, "updated").text = iso_time(changed_at)
    add(feed, "link", {"rel": "self", "href": request.base_url})
    for review in reviews:
        entry = add(feed, "entry")
        add(entry, "id").text = review.id
        add(entry, "title").text = review.title
        add(entry, "link", {"rel": "alternate", "href": f"/reviews/{review.id}"})
        add(entry, "published").text = iso_time(review.created_at)
        add(entry, "updated").text = iso_time(review.created_at)
        author = add(entry, "author")
        add(author, "name").text = review.author_name
        add(author, "uri").text = f"{request.host_url}reviewers/{review.author_id}"
        add(entry, "content", {"type": "text"}).text = review.text
        add(entry, f"{{{REVIEW_NS}}}rating").text = str(review.rating)
        add(entry, f"{{{REVIEW_NS}}}author_id").text = review.author_id
        for enclosure in enclosures(review):
            add(entry, "link", {"rel": "enclosure", "href": enclosure["url"], "type": enclosure["type"],
                                "length": enclosure["length"], "title": enclosure["title"]})
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return conditional(body, "application/atom+xml", changed_at)


@api.get("/feed.json")
def json_feed():
    reviews, changed_at = feed_reviews()
    items = []
    for review in reviews:
        item = {"id": review.id, "url": review_link(review), "content_text": review.text,
                "date_published": iso_time(review.created_at), "authors": [{"name": review.author_name}],
                "_review": {"rating": review.rating, "author_id": review.author_id}}
        if review.title:
            item["title"] = review.title
        attached = [{"url": e["url"], "mime_type": e["type"], "size_in_bytes": int(e["length"]),
                     **({"title": e["title"]} if e["title"] else {})} for e in enclosures(review)]
        if attached:
            item["attachments"] = attached
        items.append(item)
    feed = {"version": JSON_FEED_VERSION, "title": f"Reviews of {reviews_state().brand_name}",
            "home_page_url": f"{request.host_url}reviews", "feed_url": request.base_url, "items": items}
    return conditional(jsonify(feed).get_data(), "application/feed+json", changed_at)


@api.route("/<review_id>/replies", methods=["GET", "POST"])
def replies(review_id: str):
    """The brand's replies under a review, and a new one."""
    state = reviews_state()
    if request.method == "GET":
        with state.lock:
            if state.review(review_id) is None:
                return jsonify({"error": f"review {review_id} does not exist or was deleted"}), 404
            return jsonify({"replies": [reply_api_json(r) for r in state.replies_to(review_id)]})
    body = json_body()
    text = body.get("text") if body is not None else None
    if not isinstance(text, str) or not text.strip():
        return jsonify({"error": "text must be a non-empty string"}), 400
    if len(text) > MAX_REPLY_LENGTH:
        return jsonify({"error": f"a reply can have at most {MAX_REPLY_LENGTH} characters; "
                                 f"this one has {len(text)}"}), 400
    try:
        reply = state.add_reply(review_id, text)
    except LookupError:
        return jsonify({"error": f"review {review_id} does not exist or was deleted"}), 404
    return jsonify({"id": reply.id, "url": reply_url(reply)}), 201


def reply_url(reply: Reply) -> str:
    return f"{request.host_url}reviews/{reply.review_id}#reply-{reply.id}"


def reply_api_json(reply: Reply) -> dict:
    return {"id": reply.id, "text": reply.text, "url": reply_url(reply), "created_at": iso_time(reply.created_at)}


def review_json(review: Review) -> dict:
    return {"id": review.id, "kind": "review", "title": review.title, "text": review.text, "rating": review.rating,
            "author": {"id": review.author_id, "name": review.author_name}, "in_reply_to": None,
            "created_at": iso_time(review.created_at), "by_brand": False}


def reply_json(reply: Reply, brand_name: str) -> dict:
    return {"id": reply.id, "kind": "reply", "title": None, "text": reply.text, "rating": None,
            "author": {"id": "brand", "name": brand_name}, "in_reply_to": reply.review_id,
            "created_at": iso_time(reply.created_at), "by_brand": True}


@control.post("/posts")
def add_post():
    """A customer's review: author.name, rating 1 to 5, text, and
    optionally title and created_at (ISO 8601 with an offset, to backdate it)."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    author = body.get("author")
    name = author.get("name") if isinstance(author, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        return control_error(f"author must be an object with a name of 1 to {MAX_NAME_LENGTH} characters")
    rating = body.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        return control_error("rating must be a whole number of stars from 1 to 5")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_LENGTH:
        return control_error(f"text must be a non-empty string of at most {MAX_TEXT_LENGTH} characters")
    title = body.get("title", "")
    if not isinstance(title, str) or len(title) > 200:
        return control_error("title must be a string of at most 200 characters")
    created_at = body.get("created_at")
    if created_at is not None:
        created_at = aware_time(created_at)
        if created_at is None:
            return control_error("created_at must be an ISO 8601 time with an offset, e.g. 2026-01-05T09:00:00Z")
    media = media_items(body)
    if isinstance(media, str):
        return control_error(media)
    review = reviews_state().add_review(name.strip(), rating, title.strip(), text, created_at, tuple(media))
    return jsonify({"id": review.id}), 201


def aware_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.utcoffset() is not None else None


@control.get("/posts")
def list_posts():
    return jsonify({"posts": reviews_state().listing()})


@control.delete("/posts/<post_id>")
def delete_post(post_id: str):
    if not reviews_state().delete(post_id):
        return control_error(f"post {post_id!r} does not exist", 404)
    return jsonify({"deleted": post_id})

