"""Facebook's Graph API as the Facebook connector uses it, under any version
prefix (`/v19.0/...`): the page (`/me`), one object, the page's feed, the
comments of a post, comment or recommendation (read and written) and the
page's ratings; plus control endpoints under /_emulator/facebook/ that
create, list and delete posts, comments and recommendations and send
signed webhook deliveries.

Like Graph it takes the token from `access_token` or an Authorization
header, returns only the fields asked for (sub-field selections such as
`from{id}` are accepted and ignored), pages with `after`/`before` cursors
and answers errors as {"error": {"message", "type", "code", ...}}.
A customer is an author with a name and optionally an id; an author whose
id is the page's writes as the page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urlencode

import requests
from flask import Blueprint, jsonify, request
from werkzeug.routing import BaseConverter

from connectors.emulator.app import control_error, emulator, iso_time, is_number, json_body, utc_now
from connectors.emulator.media import media_items, media_url

PLATFORM = "facebook"
PAGE_ID = "1010"
FACEBOOK_URL = "https://www.facebook.com/"
MAX_MESSAGE_LENGTH = 8000
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
DEFAULT_APP_SECRET = "emulator-app-secret"
DELIVERY_TIMEOUT_SECONDS = 5
KINDS = ("post", "comment", "review")
RATING_TYPES = {1: "negative", 2: "negative", 4: "positive", 5: "positive"}
USER_ID = re.compile(r"^[0-9]{1,20}$")

PAGE_FIELDS = ("id", "name", "link")
POST_FIELDS = ("id", "message", "from", "created_time", "updated_time", "permalink_url", "attachments")
COMMENT_FIELDS = ("id", "message", "from", "created_time", "parent", "permalink_url", "comment_count",
                  "attachment", "like_count", "is_hidden", "can_hide", "can_remove", "user_likes")
RATING_FIELDS = ("created_time", "recommendation_type", "review_text", "reviewer", "open_graph_story",
                 "has_rating", "has_review", "rating")
NODE_FIELDS = {"Page": (PAGE_FIELDS, ("name", "id")), "Post": (POST_FIELDS, ("created_time", "message", "id")),
               "Comment": (COMMENT_FIELDS, ("created_time", "from", "message", "id")),
               "Recommendation": (RATING_FIELDS, ("created_time", "recommendation_type", "review_text", "reviewer"))}
MISSING_TOKEN = "An access token is required to request this resource."
EXPIRED_TOKEN = ("Error validating access token: Session has expired on Monday, 05-Jan-26 09:00:00 PST. "
                 "The current time is Tuesday, 06-Jan-26 10:00:00 PST.")
NO_PERMISSION = ("(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public "
                 "Content Access' feature. Refer to https://developers.facebook.com/docs/apps/review/login-permissions"
                 "#manage-pages and https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS "
                 "for details.")
ERROR_PAGE = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Facebook | Error</title>"
              "</head><body><h1>Sorry, something went wrong.</h1><p>We're working on it and we'll get it fixed "
              "as soon as we can.</p></body></html>")


@dataclass(frozen=True)
class Person:
    id: str
    name: str


@dataclass(frozen=True)
class Item:
    """A post, a comment or a recommendation (its open graph story).
    `root_id` is the post or story a comment belongs to (itself for
    those); `parent_id` the object a comment was written on."""

    id: str
    seq: int
    kind: str
    author: Person
    text: str
    created_at: datetime
    root_id: str
    parent_id: str | None = None
    recommendation_type: str | None = None
    # Attached photos and videos (connectors/emulator/media.py's items);
    # a comment carries one at most.
    media: tuple[dict, ...] = ()


class FacebookState:
    """People, posts, comments and recommendations; hold `lock` to read or write."""

    def __init__(self, brand_name: str):
        self.lock = threading.RLock()
        self.page = Person(PAGE_ID, brand_name)
        self._seq = itertools.count(1)
        self._post_numbers = itertools.count(2000001)
        self._comment_numbers = itertools.count(3000001)
        self._story_numbers = itertools.count(4000001)
        self._user_numbers = itertools.count(5000001)
        self._people: dict[str, Person] = {PAGE_ID: self.page}
        self._ids_by_name: dict[str, str] = {}
        self._items: dict[str, Item] = {}
        # Comments the page hid, and those it liked (emulator_moderation).
        self.hidden: set[str] = set()
        self.liked: set[str] = set()

    def person(self, name: str | None, person_id: str | None = None) -> Person:
        """The person with this id, or else this name, created or renamed."""
        with self.lock:
            if person_id == PAGE_ID:
                return self.page
            person_id = person_id or self._ids_by_name.get(name) or str(next(self._user_numbers))
            known = self._people.get(person_id)
            self._people[person_id] = Person(person_id, name or (known.name if known else person_id))
            self._ids_by_name[self._people[person_id].name] = person_id
            return self._people[person_id]

    def item(self, object_id: str) -> Item | None:
        return self._items.get(object_id)

    def add(self, kind: str, author: Person, text: str, parent_id: str | None = None,
            recommendation_type: str | None = None, created_at: datetime | None = None,
            media: tuple[dict, ...] = ()) -> Item:
        """Raises LookupError when a comment's `parent_id` is not a visible object."""
        with self.lock:
            root_id = None
            if kind == "comment":
                parent = self._items.get(parent_id or "")
                if parent is None:
                    raise LookupError(parent_id)
                root_id = parent.root_id
                item_id = f"{root_id.rpartition('_')[2]}_{next(self._comment_numbers)}"
            elif kind == "post":
                item_id = f"{PAGE_ID}_{next(self._post_numbers)}"
            else:
                item_id = str(next(self._story_numbers))
            item = Item(item_id, next(self._seq), kind, author, text, created_at or utc_now(), root_id or item_id,
                        parent_id, recommendation_type, media)
            self._items[item_id] = item
            return item

    def delete(self, object_id: str) -> bool:
        """Removes the object and everything written under it."""
        with self.lock:
            if object_id not in self._items:
                return False
            for item in [*self.descendants(object_id), self._items[object_id]]:
                del self._items[item.id]
            return True

    def oldest_first(self) -> list[Item]:
        with self.lock:
            return sorted(self._items.values(), key=sort_key)

    def of_kind(self, kind: str) -> list[Item]:
        return [i for i in self.oldest_first() if i.kind == kind]

    def children(self, object_id: str) -> list[Item]:
        return [i for i in self.oldest_first() if i.kind == "comment" and i.parent_id == object_id]

    def descendants(self, object_id: str) -> list[Item]:
        found, frontier = [], [object_id]
        while frontier:
            below = [i for i in self._items.values() if i.kind == "comment" and i.parent_id in frontier]
            found += below
            frontier = [i.id for i in below]
        return sorted(found, key=sort_key)

    def updated_at(self, item: Item) -> datetime:
        """A post is updated when it is commented on."""
        return max([item.created_at, *(c.created_at for c in self.descendants(item.id))])


def create_state(brand_handle: str, brand_name: str) -> FacebookState:
    return FacebookState(brand_name)


def fb_state() -> FacebookState:
    return emulator().platforms[PLATFORM]


def sort_key(item: Item) -> tuple[datetime, int]:
    return item.created_at, item.seq


class GraphVersion(BaseConverter):
    regex = r"v[0-9]+\.[0-9]+"


class GraphError(Exception):
    """An error answered in Graph's shape."""

    def __init__(self, status: int, message: str, code: int, kind: str = "OAuthException",
                 subcode: int | None = None, transient: bool = False, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind
        self.subcode, self.transient, self.headers = subcode, transient, headers or {}


api = Blueprint("facebook_api", __name__)
control = Blueprint("facebook_control", __name__, url_prefix="/_emulator/facebook")
blueprints = (api, control)
api.record_once(lambda setup: setup.app.url_map.converters.setdefault("graph_version", GraphVersion))


@api.errorhandler(GraphError)
def graph_error(error: GraphError):
    body = {"message": error.message, "type": error.kind, "code": error.code}
    if error.subcode is not None:
        body["error_subcode"] = error.subcode
    body["is_transient"] = error.transient
    body["fbtrace_id"] = "A" + uuid.uuid4().hex[:10]
    return jsonify({"error": body}), error.status, error.headers


@api.before_request
def check_call(platform: str = PLATFORM):
    """Log the call, then fail it if a fault is pending or it has no token.
    Other Graph parts (Instagram) check their calls so, under their name."""
    shared = emulator()
    params = {**request.args.to_dict(), **request.form.to_dict()}
    shared.record_request(platform, request.method, request.path,
                          {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof")})
    fault = shared.take_fault(platform)
    if fault is not None:
        fault.wait()
        if fault.http_status == 429:
            usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 100, "total_time": 100,
                                "estimated_time_to_regain_access": math.ceil(fault.retry_after / 60)}]}
            raise GraphError(400, "(#4) Application request limit reached", 4, transient=True,
                             headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        if fault.http_status == 401:
            raise GraphError(400, EXPIRED_TOKEN, 190, subcode=463)
        if fault.http_status == 403:
            raise GraphError(403, NO_PERMISSION, 10)
        return ERROR_PAGE, fault.http_status, {"Content-Type": "text/html; charset=utf-8"}
    if not access_token():
        raise GraphError(400, MISSING_TOKEN, 104)
    return None


def access_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme in ("Bearer", "OAuth") and token.strip():
        return token.strip()
    return request.values.get("access_token") or None


def missing_object(object_id: str) -> GraphError:
    verb = "get" if request.method == "GET" else "post"
    return GraphError(400, f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
                           "loaded due to missing permissions, or does not support this operation. Please read the "
                           "Graph API documentation at https://developers.facebook.com/docs/graph-api",
                      100, kind="GraphMethodException", subcode=33)


def node_type(object_id: str) -> str | None:
    if object_id == PAGE_ID:
        return "Page"
    item = fb_state().item(object_id)
    return None if item is None else {"post": "Post", "comment": "Comment", "review": "Recommendation"}[item.kind]


def expect_node(object_id: str, edge: str, *allowed: str) -> Item | None:
    """The object an edge is read from, if it is of an allowed type."""
    node = node_type(object_id)
    if node is None:
        raise missing_object(object_id)
    if node not in allowed:
        raise GraphError(400, f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node})", 100)
    return fb_state().item(object_id)


def requested_fields(node: str) -> list[str]:
    """The `fields` asked for, or the node's defaults; sub-selections are ignored."""
    known, defaults = NODE_FIELDS[node]
    raw = request.args.get("fields")
    if raw is None:
        return list(defaults)
    names, depth, current = [], 0, ""
    for char in raw + ",":
        if char == "," and depth == 0:
            names.append(current.split("{")[0].strip())
            current = ""
            continue
        depth += (char == "{") - (char == "}")
        current += char
    for name in names:
        if name not in known:
            raise GraphError(400, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})", 100)
    return list(dict.fromkeys(names))


def whole_number(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise GraphError(400, f"(#100) The parameter {name} must be an integer, not {raw!r}", 100)
    return int(raw)


def choice(name: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, allowed[0])
    if value not in allowed:
        raise GraphError(400, f"(#100) {name} must be one of the following values: {', '.join(allowed)}", 100)
    return value


def item_key(item: Item) -> tuple[int, int]:
    """Where an item stands in a listing; a cursor names it."""
    return int(item.created_at.timestamp() * 1_000_000), item.seq


def make_cursor(item: Item) -> str:
    micros, seq = item_key(item)
    return base64.urlsafe_b64encode(f"{micros}:{seq}".encode()).decode().rstrip("=")


def read_cursor(name: str) -> tuple[int, int] | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        micros, seq = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split(":")
        return int(micros), int(seq)
    except (ValueError, UnicodeDecodeError):
        raise GraphError(400, f"(#100) The {name} cursor is not valid", 100) from None


def listing(items: list[Item], render: Callable[[Item], dict], newest_first: bool) -> dict:
    """One page of `items` in Graph's shape, newest or oldest first."""
    limit = whole_number("limit")
    if limit is not None and limit < 1:
        raise GraphError(400, "(#100) The parameter limit must be a positive integer", 100)
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    after, before = read_cursor("after"), read_cursor("before")
    sign = -1 if newest_first else 1

    def rank(key: tuple[int, int]) -> tuple[int, int]:
        return sign * key[0], sign * key[1]

    ordered = sorted(items, key=lambda i: rank(item_key(i)))
    if after is not None:
        ordered = [i for i in ordered if rank(item_key(i)) > rank(after)]
    if before is not None:
        ordered = [i for i in ordered if rank(item_key(i)) < rank(before)][-limit:]
    page = ordered[:limit]
    if not page:
        return {"data": []}
    paging: dict = {"cursors": {"before": make_cursor(page[0]), "after": make_cursor(page[-1])}}
    if len(ordered) > limit:
        args = {k: v for k, v in request.args.items() if k != "before"}
        paging["next"] = f"{request.base_url}?{urlencode({**args, 'after': make_cursor(page[-1])})}"
    return {"data": [render(i) for i in page], "paging": paging}


def graph_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def person_json(person: Person) -> dict:
    return {"name": person.name, "id": person.id}


def permalink(item: Item) -> str:
    root = item.root_id.rpartition("_")[2]
    base = f"{FACEBOOK_URL}{PAGE_ID}/posts/{root}" if "_" in item.root_id else FACEBOOK_URL + root
    return base if item.kind != "comment" else f"{base}?comment_id={item.id.rpartition('_')[2]}"


def render_post(state: FacebookState, item: Item, fields: list[str]) -> dict:
    full = {"id": item.id, "message": item.text, "from": person_json(item.author),
            "created_time": graph_time(item.created_at), "updated_time": graph_time(state.updated_at(item)),
            "permalink_url": permalink(item)}
    if item.media:
        full["attachments"] = {"data": [render_attachment(m, permalink(item)) for m in item.media]}
    return {name: full[name] for name in fields if name in full}


def render_attachment(media: dict, link: str) -> dict:
    """An attachment as the Graph API writes one: `media.image` is the
    picture (a video's still), `media.source` a video's file."""
    out = {"type": media["type"], "url": link}
    image = media["preview"] or (media["file"] if media["type"] == "photo" else None)
    found = {}
    if image:
        found["image"] = {"src": media_url(image), "width": media["width"] or 720, "height": media["height"] or 480}
    if media["file"] and media["type"] != "photo":
        found["source"] = media_url(media["file"])
    if found:
        out["media"] = found
    if media["alt_text"]:
        out["description"] = media["alt_text"]
    return out


def render_comment(state: FacebookState, item: Item, fields: list[str]) -> dict:
    full = {"id": item.id, "message": item.text, "from": person_json(item.author),
            "created_time": graph_time(item.created_at), "permalink_url": permalink(item),
            "comment_count": len(state.children(item.id)), "like_count": int(item.id in state.liked),
            "is_hidden": item.id in state.hidden, "user_likes": item.id in state.liked,
            "can_hide": item.author.id != PAGE_ID and item.root_id.startswith(f"{PAGE_ID}_"),
            "can_remove": item.root_id.startswith(f"{PAGE_ID}_")}
    if item.media:
        full["attachment"] = render_attachment(item.media[0], permalink(item))
    parent = state.item(item.parent_id or "")
    if parent is not None and parent.kind == "comment":
        full["parent"] = {"created_time": graph_time(parent.created_at), "from": person_json(parent.author),
                          "message": parent.text, "id": parent.id}
    return {name: full[name] for name in fields if name in full}


def render_rating(item: Item, fields: list[str]) -> dict:
    full = {"created_time": graph_time(item.created_at), "recommendation_type": item.recommendation_type,
            "review_text": item.text, "reviewer": person_json(item.author),
            "open_graph_story": {"id": item.id, "message": item.text, "start_time": graph_time(item.created_at),
                                 "type": "og.recommends"},
            "has_rating": False, "has_review": bool(item.text)}
    return {name: full[name] for name in fields if name in full}


@api.get("/<graph_version:version>/me")
def me(version: str):
    full = {"id": PAGE_ID, "name": fb_state().page.name, "link": FACEBOOK_URL + PAGE_ID}
    return jsonify({name: full[name] for name in requested_fields("Page")})


@api.get("/<graph_version:version>/<object_id>")
def graph_object(version: str, object_id: str):
    state = fb_state()
    with state.lock:
        node = node_type(object_id)
        if node is None:
            raise missing_object(object_id)
        if node == "Page":
            return me(version)
        fields, item = requested_fields(node), state.item(object_id)
        if node == "Post":
            return jsonify(render_post(state, item, fields))
        if node == "Comment":
            return jsonify(render_comment(state, item, fields))
        return jsonify(render_rating(item, fields))


@api.get("/<graph_version:version>/<object_id>/feed")
def feed(version: str, object_id: str):
    state = fb_state()
    with state.lock:
        expect_node(object_id, "feed", "Page")
        fields = requested_fields("Post")
        since, until = whole_number("since"), whole_number("until")
        posts = [p for p in state.of_kind("post")
                 if (since is None or int(p.created_at.timestamp()) >= since)
                 and (until is None or int(p.created_at.timestamp()) <= until)]
        return jsonify(listing(posts, lambda p: render_post(state, p, fields), newest_first=True))


@api.get("/<graph_version:version>/<object_id>/comments")
def comments(version: str, object_id: str):
    state = fb_state()
    with state.lock:
        expect_node(object_id, "comments", "Post", "Comment", "Recommendation")
        fields = requested_fields("Comment")
        stream = choice("filter", ("toplevel", "stream")) == "stream"
        newest_first = choice("order", ("chronological", "reverse_chronological")) == "reverse_chronological"
        found = state.descendants(object_id) if stream else state.children(object_id)
        return jsonify(listing(found, lambda c: render_comment(state, c, fields), newest_first))


@api.post("/<graph_version:version>/<object_id>/comments")
def add_comment(version: str, object_id: str):
    """Comment as the page."""
    message = request.form.get("message")
    if message is None and request.is_json:
        message = (json_body() or {}).get("message")
    if not isinstance(message, str) or not message.strip():
        raise GraphError(400, "(#100) Missing message or attachment", 100)
    if len(message) > MAX_MESSAGE_LENGTH:
        raise GraphError(400, f"(#100) A comment can have at most {MAX_MESSAGE_LENGTH} characters", 100)
    state = fb_state()
    with state.lock:
        expect_node(object_id, "comments", "Post", "Comment", "Recommendation")
        comment = state.add("comment", state.page, message, parent_id=object_id)
    return jsonify({"id": comment.id})


@api.get("/<graph_version:version>/<object_id>/ratings")
def ratings(version: str, object_id: str):
    state = fb_state()
    with state.lock:
        expect_node(object_id, "ratings", "Page")
        fields = requested_fields("Recommendation")
        return jsonify(listing(state.of_kind("review"), lambda r: render_rating(r, fields), newest_first=True))


@api.route("/<graph_version:version>/<path:rest>", methods=["GET", "POST", "DELETE"])
def unknown_path(version: str, rest: str):
    raise GraphError(400, f"Unknown path components: /{rest}", 2500)


def post_json(item: Item) -> dict:
    out = {"id": item.id, "kind": item.kind, "text": item.text, "author": person_json(item.author),
           "in_reply_to": item.parent_id, "post_id": item.root_id, "created_at": iso_time(item.created_at),
           "by_brand": item.author.id == PAGE_ID}
    if item.kind == "review":
        out["recommendation_type"] = item.recommendation_type
    if item.kind == "comment":
        state = fb_state()
        out["hidden"], out["liked"] = item.id in state.hidden, item.id in state.liked
    return out


def created_time(body: dict) -> tuple[datetime | None, str | None]:
    """The optional `created_time` of a new post (unix seconds or ISO 8601), or an error."""
    raw = body.get("created_time")
    if raw is None:
        return None, None
    moment = None
    if is_number(raw) and raw > 0:
        moment = datetime.fromtimestamp(raw, timezone.utc)
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        moment = moment if moment is not None and moment.tzinfo is not None else None
    if moment is None:
        return None, "created_time must be unix seconds or an ISO 8601 time with a time zone"
    if moment > utc_now() + timedelta(seconds=1):
        return None, "created_time must not be in the future"
    return moment, None


def recommendation(body: dict) -> tuple[str | None, str | None]:
    """A review's recommendation_type, from it or from a 1-5 rating, or an error."""
    kind, rating = body.get("recommendation_type"), body.get("rating")
    if kind is not None:
        if kind not in ("positive", "negative"):
            return None, "recommendation_type must be 'positive' or 'negative'"
        if rating is not None and RATING_TYPES.get(rating) != kind:
            return None, f"rating {rating!r} does not agree with recommendation_type {kind!r}"
        return kind, None
    if rating is None:
        return None, "a review needs a rating (1-2 or 4-5) or a recommendation_type"
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        return None, "rating must be a whole number from 1 to 5"
    if rating not in RATING_TYPES:
        return None, ("Facebook recommendations are positive or negative: rating 3 has neither; use 1-2, 4-5 "
                      "or recommendation_type")
    return RATING_TYPES[rating], None


@control.post("/posts")
def add_post():
    """A visitor post on the page, a comment or a recommendation; an
    optional `created_time` (unix seconds or ISO 8601) dates it in the past."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    kind = body.get("kind", "post")
    if kind not in KINDS:
        return control_error(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    author = body.get("author")
    if not isinstance(author, dict):
        return control_error("author must be an object with a name and optionally an id")
    author_id, name = author.get("id"), author.get("name")
    if author_id is not None and (not isinstance(author_id, str) or not USER_ID.match(author_id)):
        return control_error("author.id must be a string of 1 to 20 digits")
    if author_id != PAGE_ID and (not isinstance(name, str) or not name.strip()):
        return control_error("author.name must be a non-empty string")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return control_error("text must be a non-empty string")
    if len(text) > MAX_MESSAGE_LENGTH:
        return control_error(f"text can have at most {MAX_MESSAGE_LENGTH} characters")
    in_reply_to = body.get("in_reply_to")
    if kind == "comment" and not isinstance(in_reply_to, str):
        return control_error("a comment needs in_reply_to: the id of a post, comment or review")
    if kind != "comment" and in_reply_to is not None:
        return control_error(f"a {kind} is written on the page and takes no in_reply_to")
    moment, problem = created_time(body)
    if problem:
        return control_error(problem)
    media = media_items(body)
    if isinstance(media, str):
        return control_error(media)
    if kind == "comment" and len(media) > 1:
        return control_error("a comment carries one photo or video at most")
    rating_type = None
    if kind == "review":
        if author_id == PAGE_ID:
            return control_error("the page cannot recommend itself")
        rating_type, problem = recommendation(body)
        if problem:
            return control_error(problem)
    state = fb_state()
    with state.lock:
        if kind == "comment" and state.item(in_reply_to) is None:
            return control_error(f"in_reply_to {in_reply_to!r} is not a known post, comment or review")
        person = state.person(name.strip() if isinstance(name, str) else None, author_id)
        item = state.add(kind, person, text, in_reply_to, rating_type, moment, tuple(media))
    return jsonify({"id": item.id}), 201


@control.get("/posts")
def list_posts():
    return jsonify({"posts": [post_json(i) for i in fb_state().oldest_first()]})


@control.delete("/posts/<object_id>")
def delete_post(object_id: str):
    if not fb_state().delete(object_id):
        return control_error(f"post {object_id!r} does not exist", 404)
    return jsonify({"deleted": object_id})



def change_for(state: FacebookState, item: Item) -> dict:
    """The `feed` change a page webhook delivers for a new item."""
    created = int(item.created_at.timestamp())
    if item.kind == "review":
        value = {"item": "rating", "verb": "add", "reviewer_id": item.author.id, "reviewer_name": item.author.name,
                 "review_text": item.text, "recommendation_type": item.recommendation_type,
                 "open_graph_story_id": item.id, "created_time": created}
    elif item.kind == "post":
        value = {"from": person_json(item.author), "message": item.text, "post_id": item.id,
                 "created_time": created, "item": "status", "published": 1, "verb": "add"}
    else:
        root = state.item(item.root_id)
        post = {"id": item.root_id, "status_type": "mobile_status_update", "is_published": True,
                "updated_time": graph_time(state.updated_at(root)), "permalink_url": permalink(root),
                "promotion_status": "inactive"}
        value = {"from": person_json(item.author), "post": post, "message": item.text, "post_id": item.root_id,
                 "comment_id": item.id, "created_time": created, "item": "comment", "parent_id": item.parent_id,
                 "verb": "add"}
    return {"field": "feed", "value": value}


@control.post("/webhook-deliveries")
def deliver_webhook():
    """POST a signed page delivery of some posts to `url`; answer what the receiver said."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    url = body.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        return control_error("url must be an http:// or https:// address")
    post_ids = body.get("post_ids")
    if not isinstance(post_ids, list) or not post_ids or not all(isinstance(i, str) for i in post_ids):
        return control_error("post_ids must be a non-empty list of post, comment or review ids")
    app_secret = body.get("app_secret", DEFAULT_APP_SECRET)
    if not isinstance(app_secret, str) or not app_secret:
        return control_error("app_secret must be a non-empty string")
    signature = body.get("signature")
    if signature not in (None, "bad"):
        return control_error("signature may only be 'bad' (to send a wrong one)")
    state = fb_state()
    with state.lock:
        unknown = [i for i in post_ids if state.item(i) is None]
        if unknown:
            return control_error(f"unknown post ids: {', '.join(unknown)}")
        changes = [change_for(state, state.item(i)) for i in post_ids]
    delivery = {"object": "page", "entry": [{"id": PAGE_ID, "time": int(utc_now().timestamp()), "changes": changes}]}
    raw = json.dumps(delivery, separators=(",", ":")).encode()
    key = (app_secret + "-but-wrong" if signature == "bad" else app_secret).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
               "X-Hub-Signature-256": "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()}
    try:
        answer = requests.post(url, data=raw, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return control_error(f"the receiver at {url} could not be reached: {error}", 502)
    return jsonify({"status": answer.status_code, "body": answer.text[:2000]})
