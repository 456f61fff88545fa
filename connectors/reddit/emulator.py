"""Reddit as praw calls it for the Reddit connector: the password-grant
token of a script app, the brand user's unread inbox and marking it read,
subreddit search and new comments, posting a comment or an answer to a
private message, things by fullname, a user's comments and the brand's sent
messages; plus the control endpoints under /_emulator/reddit/. A private
message can come from a subreddit's moderators (`author` null, as Reddit
hides which moderator wrote) or from Reddit itself (`author_fullname` null).

The brand's script app is CLIENT_ID / CLIENT_SECRET and the brand user's
password is PASSWORD; other credentials are refused the way Reddit refuses
them (401 for the app, a 200 `invalid_grant` for the user). Listings page
with `after`/`before` fullnames and answer an empty page for an anchor that
is gone, as Reddit's do. Rate-limit headers describe a window so short
that prawcore, which paces calls as if a window lasted 600 s, never waits:
a limit is only reached through an injected 429 fault."""

from __future__ import annotations

import itertools
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from flask import Blueprint, jsonify, request

from connectors.emulator.app import control_error, emulator, iso_time, json_body
from connectors.emulator.media import media_items, media_url

PLATFORM = "reddit"
CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"
PASSWORD = "emulator-password"
TOKEN_PATH = "/api/v1/access_token"
TOKEN_SECONDS = 86400
RATE_LIMIT = 1000
RATE_WINDOW_SECONDS = 10
MAX_COMMENT_LENGTH = 10000
MAX_SELFTEXT_LENGTH = 40000
MAX_TITLE_LENGTH = 300
FIRST_IDS = {"t1": int("m0a0000", 36), "t3": int("1b00000", 36), "t4": int("2f00000", 36)}
FIRST_USER_ID = int("1a0000", 36)
USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{2,21}$")
FULLNAME = re.compile(r"^t[134]_[0-9a-z]{1,13}$")
SORTS = frozenset({"relevance", "hot", "top", "new", "comments"})
TIME_FILTERS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400, "year": 366 * 86400,
                "all": None}
INBOX_SUBJECTS = {"username_mention": "username mention", "comment_reply": "comment reply",
                  "post_reply": "post reply"}
STATUS_MESSAGES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                   429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
INVALID_TOKEN = 'Bearer realm="reddit", error="invalid_token"'
CONTROL_KINDS = ("mention", "post", "comment", "message")
# Who a private message can be sent as besides its author.
SENDERS = ("moderators", "reddit")


@dataclass
class User:
    id: str
    name: str

    @property
    def fullname(self) -> str:
        return f"t2_{self.id}"


@dataclass
class Thing:
    """A comment (t1), post (t3) or private message (t4)."""

    kind: str
    id: str
    author: User
    text: str
    created: float
    subreddit: str | None = None
    title: str = ""
    link_id: str | None = None
    parent_id: str | None = None
    dest: User | None = None
    first_message: str | None = None
    deleted: bool = False
    # A message sent as a subreddit's moderators or as Reddit (see SENDERS).
    sent_as: str | None = None
    # A post's photos and videos (connectors/emulator/media.py's items).
    media: tuple[dict, ...] = ()

    @property
    def fullname(self) -> str:
        return f"{self.kind}_{self.id}"


class RedditState:
    """Users, things, the brand's unread inbox and issued tokens; handlers
    hold `lock` while they read or write."""

    def __init__(self, brand_handle: str, brand_name: str):
        self.lock = threading.RLock()
        self._ids = {kind: itertools.count(first) for kind, first in FIRST_IDS.items()}
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._users: dict[str, User] = {}
        self.things: dict[str, Thing] = {}
        self.unread: dict[str, str] = {}
        self.tokens: set[str] = set()
        # Subreddits only their approved users can read; the brand is not one.
        self.private: set[str] = set()
        self._window = (0.0, 0)
        self.brand = self.user_for(brand_handle)

    def user_for(self, name: str) -> User:
        with self.lock:
            if name.lower() not in self._users:
                self._users[name.lower()] = User(base36(next(self._user_ids)), name)
            return self._users[name.lower()]

    def user(self, name: str) -> User | None:
        return self._users.get(name.lower())

    def thing(self, fullname: str) -> Thing | None:
        """A thing that exists and is not deleted."""
        found = self.things.get(fullname)
        return found if found is not None and not found.deleted else None

    def add(self, kind: str, author: User, text: str, **fields) -> Thing:
        """A new thing, with the brand's inbox told about it as Reddit would."""
        with self.lock:
            thing = Thing(kind, base36(next(self._ids[kind])), author, text, float(int(time.time())), **fields)
            self.things[thing.fullname] = thing
            notice = self._inbox_type(thing)
            if notice:
                self.unread[thing.fullname] = notice
            return thing

    def _inbox_type(self, thing: Thing) -> str | None:
        if thing.author is self.brand:
            return None
        if thing.kind == "t4":
            return "message" if thing.dest is self.brand else None
        if thing.kind != "t1":
            return None
        parent = self.things.get(thing.parent_id)
        if parent is not None and parent.author is self.brand:
            return "comment_reply" if parent.kind == "t1" else "post_reply"
        return "username_mention" if mentions(self.brand.name).search(thing.text) else None

    def delete(self, fullname: str) -> bool:
        with self.lock:
            thing = self.thing(fullname)
            if thing is None:
                return False
            thing.deleted = True
            self.unread.pop(fullname, None)
            return True

    def newest_first(self, keep: Callable[[Thing], bool]) -> list[Thing]:
        return [t for t in reversed(self.things.values()) if not t.deleted and keep(t)]

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return token

    def count_call(self) -> dict[str, str]:
        """The x-ratelimit-* headers after one more call."""
        now = time.time()
        with self.lock:
            start, used = self._window
            if now - start >= RATE_WINDOW_SECONDS:
                start, used = now, 0
            used += 1
            self._window = (start, used)
        return {"x-ratelimit-remaining": f"{max(0, RATE_LIMIT - used):.1f}", "x-ratelimit-used": str(used),
                "x-ratelimit-reset": str(max(0, math.ceil(start + RATE_WINDOW_SECONDS - now)))}


def create_state(brand_handle: str, brand_name: str) -> RedditState:
    return RedditState(brand_handle, brand_name)


def reddit_state() -> RedditState:
    return emulator().platforms[PLATFORM]


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def mentions(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w/])/?u/{re.escape(name)}(?![\w-])", re.IGNORECASE)


def slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "_".join(words)[:50].rstrip("_") or "_"


def matches(query: str, text: str) -> bool:
    """Reddit's search, roughly: words and "phrases" must all appear in
    the title or text, `OR` between groups means any group will do."""
    groups: list[list[str]] = [[]]
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if word == "OR":
            groups.append([])
        elif (phrase or word).strip():
            groups[-1].append(" ".join((phrase or word).split()).lower())
    haystack = " ".join(text.split()).lower()
    return any(group and all(term in haystack for term in group) for group in groups)


# -- rendering, in the shapes Reddit answers with ---------------------------------------------------------

def _times(thing: Thing) -> dict:
    return {"created_utc": thing.created, "created": thing.created}


def _post_of(state: RedditState, thing: Thing) -> Thing:
    return state.things[thing.link_id] if thing.kind == "t1" else thing


def permalink(state: RedditState, thing: Thing) -> str:
    post = _post_of(state, thing)
    path = f"/r/{post.subreddit}/comments/{post.id}/{slug(post.title)}/"
    return path + (f"{thing.id}/" if thing.kind == "t1" else "")


def render_post(state: RedditState, thing: Thing) -> dict:
    replies = sum(1 for t in state.things.values() if t.link_id == thing.fullname and not t.deleted)
    return {"kind": "t3", "data": {
        "id": thing.id, "name": thing.fullname, "title": thing.title, "selftext": thing.text,
        "author": thing.author.name, "author_fullname": thing.author.fullname, "subreddit": thing.subreddit,
        "subreddit_name_prefixed": f"r/{thing.subreddit}", "permalink": permalink(state, thing),
        "url": f"https://www.reddit.com{permalink(state, thing)}", "domain": f"self.{thing.subreddit}",
        "is_self": True, "num_comments": replies, "score": 1, "ups": 1, "downs": 0, "over_18": False,
        "locked": False, "archived": False, "stickied": False, "link_flair_text": None, **_times(thing),
        **_post_media(thing)}}


def _post_media(thing: Thing) -> dict:
    """The fields by which Reddit tells a post's pictures: a gallery for
    several, a hosted video, or an uploaded image."""
    if not thing.media:
        return {}
    if len(thing.media) > 1:
        metadata = {f"m{thing.id}{n}": {"status": "valid", "e": "Image", "m": "image/png",
                                        "s": {"u": media_url(m["file"]), "x": m["width"] or 96, "y": m["height"] or 64}}
                    if m["file"] else {"status": "failed"} for n, m in enumerate(thing.media)}
        items = [{"media_id": key, "id": n, **({"caption": m["alt_text"]} if m["alt_text"] else {})}
                 for n, (key, m) in enumerate(zip(metadata, thing.media))]
        return {"is_gallery": True, "is_self": False, "gallery_data": {"items": items}, "media_metadata": metadata}
    item = thing.media[0]
    still = item["preview"] or (item["file"] if item["type"] != "video" else None)
    out = {"is_self": False, "thumbnail": media_url(still) if still else "default"}
    if still:
        out["preview"] = {"images": [{"source": {"url": media_url(still), "width": item["width"] or 96,
                                                 "height": item["height"] or 64}, "resolutions": []}], "enabled": True}
    if item["type"] == "video":
        video = {"fallback_url": media_url(item["file"]), "width": item["width"] or 96,
                 "height": item["height"] or 64} if item["file"] else None
        return {**out, "is_video": True, "post_hint": "hosted:video",
                "media": {"reddit_video": video} if video else None}
    if item["file"]:
        out.update(post_hint="image", url=media_url(item["file"]), url_overridden_by_dest=media_url(item["file"]))
    return out


def render_comment(state: RedditState, thing: Thing) -> dict:
    post = _post_of(state, thing)
    return {"kind": "t1", "data": {
        "id": thing.id, "name": thing.fullname, "body": thing.text, "author": thing.author.name,
        "author_fullname": thing.author.fullname, "link_id": thing.link_id, "parent_id": thing.parent_id,
        "subreddit": thing.subreddit, "subreddit_name_prefixed": f"r/{thing.subreddit}",
        "permalink": permalink(state, thing), "link_title": post.title, "link_author": post.author.name,
        "link_permalink": f"https://www.reddit.com{permalink(state, post)}",
        "is_submitter": post.author is thing.author, "replies": "", "score": 1, "ups": 1, "downs": 0,
        "distinguished": None, "stickied": False, "locked": False, "archived": False, **_times(thing)}}


def render_inbox_comment(state: RedditState, thing: Thing, notice: str) -> dict:
    """A comment as the inbox shows it: `context` instead of `permalink`, no `link_id`."""
    post = _post_of(state, thing)
    return {"kind": "t1", "data": {
        "id": thing.id, "name": thing.fullname, "body": thing.text, "author": thing.author.name,
        "author_fullname": thing.author.fullname, "parent_id": thing.parent_id, "dest": state.brand.name,
        "subreddit": thing.subreddit, "subreddit_name_prefixed": f"r/{thing.subreddit}",
        "context": permalink(state, thing) + "?context=3", "link_title": post.title, "type": notice,
        "subject": INBOX_SUBJECTS[notice], "was_comment": True, "new": thing.fullname in state.unread,
        "first_message": None, "first_message_name": None, "replies": "", "score": 1, "likes": None,
        "distinguished": None, **_times(thing)}}


def render_message(state: RedditState, thing: Thing) -> dict:
    author, author_fullname, distinguished = thing.author.name, thing.author.fullname, None
    if thing.sent_as == "moderators":
        author, author_fullname, distinguished = None, None, "moderator"
    elif thing.sent_as == "reddit":
        author, author_fullname, distinguished = "reddit", None, "admin"
    return {"kind": "t4", "data": {
        "id": thing.id, "name": thing.fullname, "body": thing.text, "subject": thing.title,
        "author": author, "author_fullname": author_fullname, "dest": thing.dest.name,
        "parent_id": thing.parent_id,
        "first_message": int(thing.first_message[3:], 36) if thing.first_message else None,
        "first_message_name": thing.first_message, "context": "", "subreddit": thing.subreddit,
        "subreddit_name_prefixed": f"r/{thing.subreddit}" if thing.subreddit else None, "was_comment": False,
        "new": thing.fullname in state.unread, "type": "unknown", "replies": "", "distinguished": distinguished,
        **_times(thing)}}


def render_any(state: RedditState, thing: Thing) -> dict:
    renderers = {"t1": render_comment, "t3": render_post, "t4": render_message}
    return renderers[thing.kind](state, thing)


def listing(things: list[Thing], render: Callable[[Thing], dict]) -> dict:
    """One page of `things` (newest first) for the limit, after and before asked."""
    raw_limit = request.args.get("limit", "25")
    limit = min(100, int(raw_limit)) if raw_limit.isdigit() and int(raw_limit) > 0 else 25
    names = [t.fullname for t in things]
    after, before = request.args.get("after"), request.args.get("before")
    anchor = after or before
    if anchor and anchor not in names:
        start, end = 0, 0
    elif after:
        start = names.index(after) + 1
        end = start + limit
    elif before:
        end = names.index(before)
        start = max(0, end - limit)
    else:
        start, end = 0, limit
    page = things[start:end]
    data = {"after": page[-1].fullname if page and end < len(things) else None,
            "before": page[0].fullname if page and start > 0 else None,
            "dist": len(page), "modhash": "", "geo_filter": "", "children": [render(t) for t in page]}
    return {"kind": "Listing", "data": data}


# -- the API ---------------------------------------------------------------------------------------------

api = Blueprint("reddit_api", __name__)
control = Blueprint("reddit_control", __name__, url_prefix="/_emulator/reddit")
blueprints = (api, control)


def reddit_error(status: int, headers: dict | None = None):
    return jsonify({"message": STATUS_MESSAGES[status], "error": status}), status, headers or {}


def api_errors(*errors: list[str]):
    """Reddit reports a refused post with 200 and a list of [type, message, field]."""
    return jsonify({"json": {"errors": list(errors)}})


@api.before_request
def check_call():
    """Log the call, then fail it if a fault is pending or it has no valid token."""
    shared = emulator()
    params = request.args.to_dict()
    if request.path != TOKEN_PATH:
        params.update(request.form.to_dict())
    shared.record_request(PLATFORM, request.method, request.path, params)
    fault = shared.take_fault(PLATFORM)
    if fault is not None:
        fault.wait()
        status = fault.http_status
        headers = {}
        if status == 401 and request.path != TOKEN_PATH:
            headers["www-authenticate"] = INVALID_TOKEN
        if status == 429:
            wait = str(math.ceil(fault.retry_after))
            headers.update({"Retry-After": wait, "x-ratelimit-remaining": "0.0",
                            "x-ratelimit-used": str(RATE_LIMIT), "x-ratelimit-reset": wait})
        return reddit_error(status, headers)
    if request.path == TOKEN_PATH:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    state = reddit_state()
    with state.lock:
        known = token in state.tokens
    if scheme.lower() != "bearer" or not known:
        return reddit_error(401, {"www-authenticate": INVALID_TOKEN})
    return None


@api.after_request
def add_rate_limit_headers(response):
    if request.path != TOKEN_PATH and "x-ratelimit-remaining" not in response.headers:
        response.headers.update(reddit_state().count_call())
    return response


@api.post(TOKEN_PATH)
def access_token():
    auth = request.authorization
    if auth is None or auth.type != "basic" or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
        return reddit_error(401)
    if request.form.get("grant_type") != "password":
        return jsonify({"error": "unsupported_grant_type"})
    state = reddit_state()
    username, password = request.form.get("username", ""), request.form.get("password")
    if username.lower() != state.brand.name.lower() or password != PASSWORD:
        return jsonify({"error": "invalid_grant"})
    return jsonify({"access_token": state.issue_token(), "token_type": "bearer", "expires_in": TOKEN_SECONDS,
                    "scope": "*"})


@api.get("/api/v1/me")
def me():
    state = reddit_state()
    with state.lock:
        return jsonify({"id": state.brand.id, "name": state.brand.name, "created_utc": 1500000000.0,
                        "link_karma": 1, "comment_karma": 1, "is_employee": False, "has_verified_email": True,
                        "icon_img": "", "inbox_count": len(state.unread)})


@api.get("/message/unread/", strict_slashes=False)
def unread():
    state = reddit_state()
    with state.lock:
        things = state.newest_first(lambda t: t.fullname in state.unread)

        def render(thing: Thing) -> dict:
            if thing.kind == "t4":
                return render_message(state, thing)
            return render_inbox_comment(state, thing, state.unread[thing.fullname])

        return jsonify(listing(things, render))


@api.get("/message/sent/", strict_slashes=False)
def sent():
    state = reddit_state()
    with state.lock:
        things = state.newest_first(lambda t: t.kind == "t4" and t.author is state.brand)
        return jsonify(listing(things, lambda t: render_message(state, t)))


@api.post("/api/read_message/", strict_slashes=False)
def read_message():
    state = reddit_state()
    with state.lock:
        for fullname in request.form.get("id", "").split(","):
            state.unread.pop(fullname.strip(), None)
    return jsonify({})


def subreddits(names: str) -> set[str] | None:
    """The lower-cased names of an 'a+b' path part; None for r/all."""
    parts = names.split("+")
    if any(not SUBREDDIT.match(p) for p in parts):
        return set()
    lowered = {p.lower() for p in parts}
    return None if "all" in lowered else lowered


def _in(subs: set[str] | None, thing: Thing) -> bool:
    return subs is None or (thing.subreddit or "").lower() in subs


def private_error(subs: set[str] | None):
    """Reddit's 403 for a listing or about page of a private subreddit."""
    state = reddit_state()
    with state.lock:
        if subs and subs & state.private:
            return jsonify({"reason": "private", "message": "Forbidden", "error": 403}), 403
    return None


@api.get("/r/<name>/about/", strict_slashes=False)
def subreddit_about(name: str):
    subs = subreddits(name)
    if not subs:
        return reddit_error(404)
    refused = private_error(subs)
    if refused is not None:
        return refused
    return jsonify({"kind": "t5", "data": {"display_name": name, "name": f"t5_{base36(sum(map(ord, name)))}",
                                           "subreddit_type": "public", "title": name, "over18": False}})


@api.get("/r/<names>/search/", strict_slashes=False)
def search(names: str):
    subs = subreddits(names)
    if subs == set():
        return reddit_error(404)
    refused = private_error(subs)
    if refused is not None:
        return refused
    sort, window = request.args.get("sort", "relevance"), request.args.get("t", "all")
    if sort not in SORTS or window not in TIME_FILTERS:
        return reddit_error(400)
    restrict = request.args.get("restrict_sr", "").lower() in ("1", "true", "on")
    query = request.args.get("q", "")
    oldest = time.time() - TIME_FILTERS[window] if TIME_FILTERS[window] else 0
    state = reddit_state()
    with state.lock:
        things = state.newest_first(lambda t: t.kind == "t3" and (not restrict or _in(subs, t))
                                    and t.created >= oldest and matches(query, f"{t.title}\n{t.text}"))
        return jsonify(listing(things, lambda t: render_post(state, t)))


@api.get("/r/<names>/comments/", strict_slashes=False)
def subreddit_comments(names: str):
    subs = subreddits(names)
    if subs == set():
        return reddit_error(404)
    refused = private_error(subs)
    if refused is not None:
        return refused
    state = reddit_state()
    with state.lock:
        things = state.newest_first(lambda t: t.kind == "t1" and _in(subs, t))
        return jsonify(listing(things, lambda t: render_comment(state, t)))


@api.get("/user/<name>/comments", strict_slashes=False)
def user_comments(name: str):
    state = reddit_state()
    with state.lock:
        user = state.user(name)
        if user is None:
            return reddit_error(404)
        things = state.newest_first(lambda t: t.kind == "t1" and t.author is user)
        return jsonify(listing(things, lambda t: render_comment(state, t)))


@api.get("/api/info/", strict_slashes=False)
def info():
    state = reddit_state()
    with state.lock:
        found = [state.thing(name) for name in request.args.get("id", "").split(",")]
        things = [t for t in found if t is not None and t.kind in ("t1", "t3")]
        children = [render_any(state, t) for t in things]
        return jsonify({"kind": "Listing", "data": {"after": None, "before": None, "dist": len(children),
                                                    "modhash": "", "geo_filter": "", "children": children}})


@api.post("/api/comment/", strict_slashes=False)
def comment():
    """Post as the brand under a comment or post, or answer a private message."""
    text = request.form.get("text", "")
    if not text.strip():
        return api_errors(["NO_TEXT", "we need something here", "text"])
    if len(text) > MAX_COMMENT_LENGTH:
        return api_errors(["TOO_LONG", f"this is too long (max: {MAX_COMMENT_LENGTH})", "text"])
    state = reddit_state()
    with state.lock:
        parent = state.things.get(request.form.get("thing_id", ""))
        if parent is None:
            return api_errors(["NO_THING_ID", "id not specified", "parent"])
        if parent.deleted:
            return api_errors({"t1": ["DELETED_COMMENT", "that comment has been deleted", "parent"],
                               "t3": ["DELETED_LINK", "the link you are commenting on has been deleted", "parent"],
                               "t4": ["DELETED_THING", "that element has been deleted", "parent"]}[parent.kind])
        thing = reply_to(state, parent, state.brand, text)
        return jsonify({"json": {"errors": [], "data": {"things": [render_any(state, thing)]}}})


def reply_to(state: RedditState, parent: Thing, author: User, text: str) -> Thing:
    if parent.kind == "t4":
        other = parent.dest if parent.author is author else parent.author
        subject = parent.title if parent.title.startswith("re: ") else f"re: {parent.title}"
        return state.add("t4", author, text, title=subject, parent_id=parent.fullname, dest=other,
                         first_message=parent.first_message or parent.fullname)
    link_id = parent.link_id or parent.fullname
    return state.add("t1", author, text, subreddit=parent.subreddit, link_id=link_id, parent_id=parent.fullname)


# -- control ---------------------------------------------------------------------------------------------

def post_json(state: RedditState, thing: Thing) -> dict:
    conversation = {"t1": thing.link_id, "t3": thing.fullname, "t4": thing.first_message or thing.fullname}
    return {
        "id": thing.fullname, "kind": {"t1": "comment", "t3": "post", "t4": "message"}[thing.kind],
        "text": thing.text, "title": thing.title or None, "subreddit": thing.subreddit,
        "author": {"name": thing.author.name, "id": thing.author.fullname},
        "in_reply_to": thing.parent_id, "conversation_id": conversation[thing.kind],
        "created_at": iso_time(datetime.fromtimestamp(thing.created, timezone.utc)),
        "by_brand": thing.author is state.brand, "unread": thing.fullname in state.unread,
    }


class BadPost(ValueError):
    """A control request that cannot become a post."""


def _text_field(body: dict, name: str, longest: int, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadPost(f"{name} must be a non-empty string")
    if len(value) > longest:
        raise BadPost(f"{name} can have at most {longest} characters; this one has {len(value)}")
    return value


def _create(state: RedditState, body: dict) -> Thing:
    """The thing a control request describes; raises BadPost."""
    kind = body.get("kind")
    if kind not in CONTROL_KINDS:
        raise BadPost(f"kind must be one of {', '.join(CONTROL_KINDS)}, not {kind!r}")
    author = body.get("author")
    name = author.get("name") if isinstance(author, dict) else None
    if not isinstance(name, str) or not USERNAME.match(name):
        raise BadPost("author must be an object whose name is 3 to 20 letters, digits, '_' or '-'")
    if name.lower() == state.brand.name.lower():
        raise BadPost("author.name is the brand's; the brand posts through POST /api/comment")
    text = _text_field(body, "text", MAX_SELFTEXT_LENGTH if kind == "post" else MAX_COMMENT_LENGTH)
    title = _text_field(body, "title", MAX_TITLE_LENGTH, required=False)
    subreddit = body.get("subreddit")
    if subreddit is not None and (not isinstance(subreddit, str) or not SUBREDDIT.match(subreddit)):
        raise BadPost("subreddit must be 2 to 21 letters, digits or '_'")
    in_reply_to = body.get("in_reply_to")
    if in_reply_to is not None and (not isinstance(in_reply_to, str) or not FULLNAME.match(in_reply_to)):
        raise BadPost("in_reply_to must be a fullname such as t3_1b00000 or t1_m0a0000")
    parent = state.thing(in_reply_to) if in_reply_to else None
    if in_reply_to and parent is None:
        raise BadPost(f"in_reply_to {in_reply_to!r} is not a known post, comment or message")
    user = state.user_for(name)
    if kind == "post":
        if parent is not None:
            raise BadPost("a post cannot reply to anything; use kind comment")
        media = media_items(body)
        if isinstance(media, str):
            raise BadPost(media)
        return state.add("t3", user, text, subreddit=subreddit or "acme", title=title or text[:80],
                         media=tuple(media))
    sent_as = body.get("sent_as")
    if sent_as is not None and (kind != "message" or sent_as not in SENDERS):
        raise BadPost(f"sent_as is for a message, and one of {', '.join(SENDERS)}")
    if kind == "message":
        if (subreddit is not None) != (sent_as == "moderators"):
            raise BadPost("a private message has no subreddit, unless it is sent as that subreddit's moderators")
        if parent is None:
            return state.add("t4", user, text, title=title or "(no subject)", dest=state.brand, subreddit=subreddit,
                             sent_as=sent_as)
        if parent.kind != "t4" or state.brand not in (parent.author, parent.dest):
            raise BadPost("a message can only answer a message to or from the brand")
        return reply_to(state, parent, user, text)
    if parent is not None and parent.kind == "t4":
        raise BadPost("a comment answers a post or a comment, not a message")
    if parent is not None and subreddit is not None and subreddit.lower() != parent.subreddit.lower():
        raise BadPost(f"in_reply_to is in r/{parent.subreddit}, not r/{subreddit}")
    if kind == "mention" and not mentions(state.brand.name).search(text):
        text = f"u/{state.brand.name} {text}"
    if parent is None:
        parent = state.add("t3", user, "", subreddit=subreddit or "acme", title=title or "Discussion")
    return reply_to(state, parent, user, text)


@control.post("/posts")
def add_post():
    """A customer's post, comment, mention of the brand or private message to it."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    state = reddit_state()
    with state.lock:
        try:
            thing = _create(state, body)
        except BadPost as error:
            return control_error(str(error))
        return jsonify({"id": thing.fullname, "conversation_id": post_json(state, thing)["conversation_id"]}), 201


@control.put("/subreddits/<name>")
def set_subreddit(name: str):
    """Make a subreddit private or public again: {"private": bool}."""
    body = json_body()
    if not SUBREDDIT.match(name) or body is None or not isinstance(body.get("private"), bool):
        return control_error("give a subreddit name and a JSON body with private: true or false")
    state = reddit_state()
    with state.lock:
        (state.private.add if body["private"] else state.private.discard)(name.lower())
    return jsonify({"subreddit": name, "private": body["private"]})


@control.get("/posts")
def list_posts():
    state = reddit_state()
    with state.lock:
        return jsonify({"posts": [post_json(state, t) for t in state.things.values() if not t.deleted]})


@control.delete("/posts/<fullname>")
def delete_post(fullname: str):
    if not reddit_state().delete(fullname):
        return control_error(f"post {fullname!r} does not exist", 404)
    return jsonify({"deleted": fullname})

