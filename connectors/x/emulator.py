"""X API v2 as the X connector uses it: the brand account, its mentions,
recent search, a user's posts and posting a reply; plus the control
endpoints under /_emulator/x/ that create, list and delete posts. Direct
messages are kept here too; their endpoints are in emulator_messages.py.

Like the real API it checks query parameters strictly (an unknown parameter
or field is a 400), returns only the fields asked for and escapes &, < and >
in post texts. A post longer than 280 characters arrives cut, whole in
`note_tweet` when that field is asked for. An author can be left out of a
page's includes, with a partial error beside the data (X does so for some
withheld accounts; a users look-up still finds them), or be suspended (not
found at all). Rate-limit headers are informational: a limit is only
reached through an injected 429 fault."""

from __future__ import annotations

import html
import itertools
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, NoReturn

from flask import Blueprint, abort, jsonify, make_response, request

from connectors.emulator.app import control_error, emulator, iso_time, json_body, utc_now
from connectors.emulator.media import media_items, media_url

PLATFORM = "x"
FIRST_TWEET_ID = 1900000000000000001
FIRST_USER_ID = 1600000000000000001
MAX_TEXT_LENGTH = 280
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
NUMERIC_ID = re.compile(r"^[0-9]{1,19}$")
TOKEN_PREFIX = "tk"
RATE_WINDOW_SECONDS = 15 * 60
RATE_LIMITS = {"me": 75, "mentions": 450, "search_recent": 450, "user_tweets": 1500, "create_tweet": 200,
               "send_direct_message": 200, "direct_message_events": 300, "conversation_events": 300}

TWEET_FIELDS = frozenset({
    "article", "attachments", "author_id", "card_uri", "context_annotations", "conversation_id",
    "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities",
    "geo", "id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet",
    "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics",
    "referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld",
})
USER_FIELDS = frozenset({
    "affiliation", "connection_status", "created_at", "description", "entities", "id", "location",
    "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url", "profile_image_url",
    "protected", "public_metrics", "receives_your_dm", "subscription_type", "url", "username",
    "verified", "verified_type", "withheld",
})
TWEET_EXPANSIONS = frozenset({
    "article.cover_media", "article.media_entities", "attachments.media_keys",
    "attachments.media_source_tweet", "attachments.poll_ids", "author_id",
    "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id", "in_reply_to_user_id",
    "entities.note.mentions.username", "referenced_tweets.id", "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
})
MEDIA_FIELDS = frozenset({
    "alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics",
    "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants", "width",
})
USER_EXPANSIONS = frozenset({"affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"})
TIMELINE_PARAMS = frozenset({
    "end_time", "expansions", "max_results", "media.fields", "pagination_token", "place.fields",
    "poll.fields", "since_id", "start_time", "tweet.fields", "until_id", "user.fields",
})
SEARCH_PARAMS = (TIMELINE_PARAMS - {"pagination_token"}) | {"next_token", "query", "sort_order"}
USER_TWEETS_PARAMS = TIMELINE_PARAMS | {"exclude"}
ME_PARAMS = frozenset({"expansions", "tweet.fields", "user.fields"})
USERS_PARAMS = frozenset({"ids", "expansions", "tweet.fields", "user.fields"})
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
DELETED_PARENT = "You attempted to reply to a Tweet that is deleted or not visible to you."
APP_ONLY_FORBIDDEN = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)
FAULT_PROBLEMS = {
    401: ("Unauthorized", "Unauthorized"),
    403: ("Client Forbidden", "When authenticating requests to the Twitter API v2 endpoints, you must use "
                              "keys and tokens from a Twitter developer App that is attached to a Project. You "
                              "can create a project via the developer portal."),
    429: ("Too Many Requests", "Too Many Requests"),
    500: ("Internal Server Error", "Internal Server Error"),
    503: ("Service Unavailable", "Service Unavailable"),
}


@dataclass
class User:
    id: str
    handle: str
    name: str
    followers: int = 0
    verified: bool = False
    # Whether the brand may send this user direct messages.
    accepts_messages: bool = True
    # Left out of the includes of the pages with their posts.
    left_out: bool = False
    # Not found anywhere, as a suspended account.
    suspended: bool = False


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    in_reply_to: str | None = None
    in_reply_to_user_id: str | None = None
    lang: str = "en"
    # Attached photos and videos: X's media objects, with `url` and
    # `preview_image_url` naming files of the emulator (connectors/emulator/media.py).
    media: tuple[dict, ...] = ()


@dataclass(frozen=True)
class DirectMessage:
    id: str
    conversation_id: str
    sender_id: str
    recipient_id: str
    text: str
    created_at: datetime
    # Attached photos or videos, as a Tweet's `media`.
    media: tuple[dict, ...] = ()


def conversation_between(one: str, other: str) -> str:
    """A one-to-one conversation's id, as X writes it: both user ids, lower first."""
    return "-".join(sorted((one, other), key=int))


class XState:
    """Users, posts and direct messages; handlers hold `lock` while they read or write."""

    def __init__(self, brand_handle: str, brand_name: str):
        self.lock = threading.RLock()
        self._tweet_ids = itertools.count(FIRST_TWEET_ID)
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._users: dict[str, User] = {}
        self._handles: dict[str, str] = {}
        self._tweets: dict[str, Tweet] = {}
        self._messages: list[DirectMessage] = []
        self._calls: dict[str, tuple[float, int]] = {}
        # Replies the brand hid (emulator_moderation).
        self.hidden: set[str] = set()
        self.brand = self.user_for(brand_handle, brand_name)

    def user_for(self, handle: str, name: str, followers: int = 0, verified: bool = False,
                 accepts_messages: bool | None = None, left_out: bool = False, suspended: bool = False) -> User:
        """The user with this handle (any case), created or brought up to
        date; `accepts_messages` is left as it was when None."""
        with self.lock:
            user_id = self._handles.get(handle.lower())
            if user_id is None:
                user_id = str(next(self._user_ids))
                self._handles[handle.lower()] = user_id
                self._users[user_id] = User(user_id, handle, name, followers, verified)
            user = self._users[user_id]
            user.name, user.followers, user.verified = name, followers, verified
            user.left_out, user.suspended = left_out, suspended
            if accepts_messages is not None:
                user.accepts_messages = accepts_messages
            return user

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def tweet(self, tweet_id: str) -> Tweet | None:
        return self._tweets.get(tweet_id)

    def add_tweet(self, author: User, text: str, in_reply_to: str | None = None, lang: str = "en",
                  media: tuple[dict, ...] = ()) -> Tweet:
        """Raises LookupError when `in_reply_to` is not a visible post."""
        with self.lock:
            tweet_id = str(next(self._tweet_ids))
            conversation_id, parent_author = tweet_id, None
            if in_reply_to is not None:
                parent = self._tweets.get(in_reply_to)
                if parent is None:
                    raise LookupError(in_reply_to)
                conversation_id, parent_author = parent.conversation_id, parent.author_id
            media = tuple({**item, "media_key": f"3_{tweet_id}{n}"} for n, item in enumerate(media))
            tweet = Tweet(tweet_id, text, author.id, utc_now(), conversation_id, in_reply_to, parent_author, lang,
                          media)
            self._tweets[tweet_id] = tweet
            return tweet

    def add_message(self, sender: User, recipient: User, text: str, media: tuple[dict, ...] = ()) -> DirectMessage:
        """Ids come from the posts' sequence: X's ids are unique across both."""
        with self.lock:
            message_id = str(next(self._tweet_ids))
            media = tuple({**item, "media_key": f"3_{message_id}{n}"} for n, item in enumerate(media))
            message = DirectMessage(message_id, conversation_between(sender.id, recipient.id),
                                    sender.id, recipient.id, text, utc_now(), media)
            self._messages.append(message)
            return message

    def messages_oldest_first(self) -> list[DirectMessage]:
        with self.lock:
            return list(self._messages)

    def delete(self, tweet_id: str) -> bool:
        with self.lock:
            return self._tweets.pop(tweet_id, None) is not None

    def oldest_first(self) -> list[Tweet]:
        with self.lock:
            return list(self._tweets.values())

    def newest_first(self) -> list[Tweet]:
        return self.oldest_first()[::-1]

    def reply_count(self, tweet_id: str) -> int:
        return sum(1 for t in self._tweets.values() if t.in_reply_to == tweet_id)

    def tweet_count(self, user_id: str) -> int:
        return sum(1 for t in self._tweets.values() if t.author_id == user_id)

    def count_call(self, endpoint: str) -> dict[str, str]:
        """The x-rate-limit-* headers after one more call to `endpoint`."""
        limit = RATE_LIMITS.get(endpoint, 900)
        now = time.time()
        with self.lock:
            start, used = self._calls.get(endpoint, (now, 0))
            if now - start >= RATE_WINDOW_SECONDS:
                start, used = now, 0
            self._calls[endpoint] = (start, used + 1)
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - used - 1)),
                "x-rate-limit-reset": str(int(start + RATE_WINDOW_SECONDS))}


def create_state(brand_handle: str, brand_name: str) -> XState:
    return XState(brand_handle, brand_name)


def x_state() -> XState:
    return emulator().platforms[PLATFORM]


class InvalidRequest(Exception):
    """A 400 in the shape X uses for a bad parameter or body."""

    def __init__(self, message: str, parameter: str | None = None, value: str | None = None):
        super().__init__(message)
        self.message, self.parameter, self.value = message, parameter, value


# X's 403 for an app whose access tier lacks the endpoint names the missing enrolment.
NOT_ENROLLED = {"reason": "client-not-enrolled", "required_enrollment": "Appropriate Level of API Access",
                "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                "type": "https://api.twitter.com/2/problems/client-forbidden"}


def problem(status: int, title: str, detail: str, headers: dict | None = None):
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    if title == "Client Forbidden":
        body.update(NOT_ENROLLED)
    return jsonify(body), status, headers or {}


api = Blueprint("x_api", __name__, url_prefix="/2")
control = Blueprint("x_control", __name__, url_prefix="/_emulator/x")
blueprints = (api, control)


@api.errorhandler(InvalidRequest)
def invalid_request(error: InvalidRequest):
    item = {"message": error.message}
    if error.parameter is not None:
        item["parameters"] = {error.parameter: [error.value]}
    body = {"errors": [item], "title": "Invalid Request", "detail": error.message,
            "type": "https://api.twitter.com/2/problems/invalid-request", "status": 400}
    return jsonify(body), 400


@api.before_request
def check_call():
    """Log the call, then fail it if a fault is pending or it has no credentials."""
    shared = emulator()
    shared.record_request(PLATFORM, request.method, request.path, request.args.to_dict())
    fault = shared.take_fault(PLATFORM)
    if fault is not None:
        fault.wait()
        title, detail = FAULT_PROBLEMS[fault.http_status]
        headers = {}
        if fault.http_status == 429:
            headers = {"x-rate-limit-limit": str(RATE_LIMITS.get(_endpoint(), 900)),
                       "x-rate-limit-remaining": "0",
                       "x-rate-limit-reset": str(math.ceil(time.time() + fault.retry_after))}
        return problem(fault.http_status, title, detail, headers)
    if request.headers.get("Authorization", "").split(" ", 1)[0] not in ("Bearer", "OAuth"):
        return problem(401, "Unauthorized", "Unauthorized")
    return None


@api.after_request
def add_rate_limit_headers(response):
    if "x-rate-limit-limit" not in response.headers:
        response.headers.update(x_state().count_call(_endpoint()))
    return response


def _endpoint() -> str:
    return (request.endpoint or "").rpartition(".")[2]


def check_params(allowed: frozenset[str]) -> None:
    for name in request.args:
        if name not in allowed:
            raise InvalidRequest(f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
                                 name, request.args[name])


def listed(name: str, allowed: frozenset[str]) -> set[str]:
    raw = request.args.get(name)
    if raw is None:
        return set()
    values = raw.split(",")
    for value in values:
        if value not in allowed:
            raise InvalidRequest(f"The `{name}` query parameter value [{value}] is not one of "
                                 f"[{','.join(sorted(allowed))}]", name, raw)
    return set(values)


def whole_number(name: str, low: int, high: int, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not low <= int(raw) <= high:
        raise InvalidRequest(f"The `{name}` query parameter value [{raw}] is not between {low} and {high}",
                             name, raw)
    return int(raw)


def numeric_id(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not NUMERIC_ID.match(raw):
        raise InvalidRequest(f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$",
                             name, raw)
    return int(raw)


def moment(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidRequest(f"The `{name}` query parameter value [{raw}] is not a valid UTC time "
                             "(YYYY-MM-DDTHH:mm:ssZ)", name, raw)
    return parsed


def page_token(name: str) -> int | None:
    """Tokens are opaque to clients; here one names the id a page ends above."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        if raw.startswith(TOKEN_PREFIX):
            return int(raw[len(TOKEN_PREFIX):], 16)
    except ValueError:
        pass
    raise InvalidRequest(f"The `{name}` query parameter value [{raw}] is not a valid token", name, raw)


def make_token(tweet_id: str) -> str:
    return TOKEN_PREFIX + format(int(tweet_id), "x")


def render_user(state: XState, user: User, fields: set[str]) -> dict:
    out = {"id": user.id, "name": user.name, "username": user.handle}
    if "public_metrics" in fields:
        out["public_metrics"] = {"followers_count": user.followers, "following_count": 0,
                                 "tweet_count": state.tweet_count(user.id), "listed_count": 0}
    if "verified" in fields:
        out["verified"] = user.verified
    if "receives_your_dm" in fields:
        out["receives_your_dm"] = user.accepts_messages
    return out


def render_tweet(state: XState, tweet: Tweet, fields: set[str]) -> dict:
    text = html.escape(tweet.text, quote=False)
    out = {"id": tweet.id, "text": text, "edit_history_tweet_ids": [tweet.id]}
    if len(tweet.text) > MAX_TEXT_LENGTH:
        out["text"] = html.escape(tweet.text[:MAX_TEXT_LENGTH], quote=False)
        if "note_tweet" in fields:
            out["note_tweet"] = {"text": text}
    if "created_at" in fields:
        out["created_at"] = iso_time(tweet.created_at)
    if "author_id" in fields:
        out["author_id"] = tweet.author_id
    if "conversation_id" in fields:
        out["conversation_id"] = tweet.conversation_id
    if tweet.in_reply_to is not None and "in_reply_to_user_id" in fields:
        out["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if tweet.in_reply_to is not None and "referenced_tweets" in fields:
        out["referenced_tweets"] = [{"type": "replied_to", "id": tweet.in_reply_to}]
    if "lang" in fields:
        out["lang"] = tweet.lang
    if tweet.media and "attachments" in fields:
        out["attachments"] = {"media_keys": [item["media_key"] for item in tweet.media]}
    if "public_metrics" in fields:
        out["public_metrics"] = {"retweet_count": 0, "reply_count": state.reply_count(tweet.id),
                                 "like_count": 0, "quote_count": 0, "bookmark_count": 0,
                                 "impression_count": 0}
    return out


def render_media(item: dict, fields: set[str]) -> dict:
    """One media object: media_key and type always, the rest when asked
    for and known (a photo has `url`, a video or GIF `preview_image_url`)."""
    out = {"media_key": item["media_key"], "type": item["type"]}
    for name in ("url", "preview_image_url"):
        if name in fields and item.get(name):
            out[name] = media_url(item[name])
    for name in ("alt_text", "width", "height"):
        if name in fields and item.get(name) is not None:
            out[name] = item[name]
    return out


def listing(state: XState, candidates: list[Tweet], token_name: str, min_results: int) -> dict:
    """One page of `candidates` (newest first), answered as X's timelines do."""
    tweet_fields = listed("tweet.fields", TWEET_FIELDS)
    user_fields = listed("user.fields", USER_FIELDS)
    expansions = listed("expansions", TWEET_EXPANSIONS)
    size = whole_number("max_results", min_results, 100, 10)
    since = numeric_id("since_id", request.args.get("since_id"))
    until = numeric_id("until_id", request.args.get("until_id"))
    below = page_token(token_name)
    start, end = moment("start_time"), moment("end_time")
    selected = [
        t for t in candidates
        if (since is None or int(t.id) > since) and (until is None or int(t.id) < until)
        and (below is None or int(t.id) < below)
        and (start is None or t.created_at >= start) and (end is None or t.created_at <= end)
    ]
    page = selected[:size]
    if not page:
        return {"meta": {"result_count": 0}}
    if "attachments.media_keys" in expansions:
        tweet_fields = tweet_fields | {"attachments"}
    body: dict = {"data": [render_tweet(state, t, tweet_fields) for t in page]}
    user_ids = []
    if "author_id" in expansions:
        user_ids += [t.author_id for t in page]
    if "in_reply_to_user_id" in expansions:
        user_ids += [t.in_reply_to_user_id for t in page if t.in_reply_to_user_id]
    users = [state.user(uid) for uid in dict.fromkeys(user_ids)]
    included = [render_user(state, u, user_fields) for u in users if not (u.left_out or u.suspended)]
    if included:
        body["includes"] = {"users": included}
    if "attachments.media_keys" in expansions and any(t.media for t in page):
        media_fields = listed("media.fields", MEDIA_FIELDS)
        body.setdefault("includes", {})["media"] = [render_media(item, media_fields) for t in page for item in t.media]
    missing = [u.id for u in users if u.left_out or u.suspended]
    if missing:
        body["errors"] = [not_found("user", uid, "author_id") for uid in missing]
    meta = {"newest_id": page[0].id, "oldest_id": page[-1].id, "result_count": len(page)}
    if len(selected) > size:
        meta["next_token"] = make_token(page[-1].id)
    body["meta"] = meta
    return body


def not_found(resource_type: str, resource_id: str, parameter: str) -> dict:
    """One item of an `errors` list: a resource X could not find."""
    return {"value": resource_id, "detail": f"Could not find {resource_type} with {parameter}: [{resource_id}].",
            "title": "Not Found Error", "resource_type": resource_type, "parameter": parameter,
            "resource_id": resource_id, "type": NOT_FOUND}


def user_not_found(user_id: str):
    """X answers 200 with only an `errors` list for a user that does not exist."""
    return jsonify({"errors": [not_found("user", user_id, "id")]})


def mentions_pattern(handle: str) -> re.Pattern:
    return re.compile(rf"(?<!\w)@{re.escape(handle)}(?!\w)", re.IGNORECASE)


_QUERY_TOKENS = re.compile(r'-?"[^"]*"|-?\(|\)|[^\s()"]+')
Matcher = Callable[[str, str], bool]


def compile_query(query: str) -> Matcher:
    """A matcher (text, author handle) -> bool for a search query: terms are
    ANDed, `OR` binds looser, `-` negates, quotes make a phrase, parentheses
    group; operators (`x:y`) are ignored except `from:handle`. Raises
    ValueError on a query it cannot read."""
    tokens = _QUERY_TOKENS.findall(query)
    position = 0

    def expression() -> Matcher:
        nonlocal position
        clauses = [clause()]
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            clauses.append(clause())
        return lambda text, handle: any(c(text, handle) for c in clauses)

    def clause() -> Matcher:
        terms = []
        while position < len(tokens) and tokens[position] not in ("OR", ")"):
            terms.append(term())
        if not terms:
            raise ValueError("an OR or a parenthesis has nothing on one side")
        return lambda text, handle: all(t(text, handle) for t in terms)

    def term() -> Matcher:
        nonlocal position
        token = tokens[position]
        position += 1
        negated = token.startswith("-") and len(token) > 1
        token = token[1:] if negated else token
        if token == "(":
            test = expression()
            if position >= len(tokens) or tokens[position] != ")":
                raise ValueError("a parenthesis is not closed")
            position += 1
        elif token.startswith('"'):
            test = _contains(token.strip('"'))
        elif token.lower().startswith("from:"):
            test = _written_by(token[5:].lstrip("@"))
        elif ":" in token:
            return _anything
        else:
            test = _contains(token)
        return _negation(test) if negated else test

    matcher = expression()
    if position < len(tokens):
        raise ValueError("a closing parenthesis has no opening one")
    return matcher


def _contains(words: str) -> Matcher:
    return lambda text, handle: words.lower() in text.lower()


def _written_by(author: str) -> Matcher:
    return lambda text, handle: handle.lower() == author.lower()


def _negation(test: Matcher) -> Matcher:
    return lambda text, handle: not test(text, handle)


def _anything(text: str, handle: str) -> bool:
    return True


@api.get("/users/me")
def me():
    check_params(ME_PARAMS)
    listed("tweet.fields", TWEET_FIELDS)
    listed("expansions", USER_EXPANSIONS)
    state = x_state()
    with state.lock:
        return jsonify({"data": render_user(state, state.brand, listed("user.fields", USER_FIELDS))})


@api.get("/users")
def users():
    """Users by id, up to 100: the found ones in `data`, the others in
    `errors` (only `errors` when none is found)."""
    check_params(USERS_PARAMS)
    listed("tweet.fields", TWEET_FIELDS)
    listed("expansions", USER_EXPANSIONS)
    user_fields = listed("user.fields", USER_FIELDS)
    ids = request.args.get("ids", "").split(",")
    if not 1 <= len(ids) <= 100 or not all(NUMERIC_ID.match(i) for i in ids):
        raise InvalidRequest("The `ids` query parameter value must be 1 to 100 comma-separated user ids",
                             "ids", request.args.get("ids", ""))
    state = x_state()
    with state.lock:
        found = [state.user(i) for i in ids if state.user(i) is not None and not state.user(i).suspended]
        body: dict = {}
        if found:
            body["data"] = [render_user(state, user, user_fields) for user in found]
        missing = [i for i in ids if i not in {user.id for user in found}]
        if missing:
            body["errors"] = [not_found("user", i, "ids") for i in missing]
        return jsonify(body)


@api.get("/users/<user_id>/mentions")
def mentions(user_id: str):
    check_params(TIMELINE_PARAMS)
    numeric_id("id", user_id)
    state = x_state()
    with state.lock:
        user = state.user(user_id)
        if user is None:
            return user_not_found(user_id)
        mentioned = mentions_pattern(user.handle)
        candidates = [t for t in state.newest_first() if t.author_id != user.id and mentioned.search(t.text)]
        return jsonify(listing(state, candidates, "pagination_token", 5))


@api.get("/tweets/search/recent")
def search_recent():
    check_params(SEARCH_PARAMS)
    query = request.args.get("query", "")
    if not query.strip():
        raise InvalidRequest("The `query` query parameter can not be empty", "query", query)
    try:
        matches = compile_query(query)
    except ValueError as error:
        raise InvalidRequest(f"There were errors processing your request: {error}", "query", query) from None
    if request.args.get("sort_order", "recency") not in ("recency", "relevancy"):
        raise InvalidRequest("The `sort_order` query parameter value is not one of [recency,relevancy]",
                             "sort_order", request.args["sort_order"])
    state = x_state()
    with state.lock:
        candidates = [t for t in state.newest_first() if matches(t.text, state.user(t.author_id).handle)]
        return jsonify(listing(state, candidates, "next_token", 10))


@api.get("/users/<user_id>/tweets")
def user_tweets(user_id: str):
    check_params(USER_TWEETS_PARAMS)
    numeric_id("id", user_id)
    excluded = listed("exclude", frozenset({"replies", "retweets"}))
    state = x_state()
    with state.lock:
        if state.user(user_id) is None:
            return user_not_found(user_id)
        candidates = [t for t in state.newest_first() if t.author_id == user_id
                      and not ("replies" in excluded and t.in_reply_to is not None)]
        return jsonify(listing(state, candidates, "pagination_token", 5))


def weighted_length(text: str) -> int:
    """X's count of a post's length (twitter-text's weights), imported when
    first asked: it takes a fifth of a second."""
    from twitter_text import parse_tweet

    return parse_tweet(text).weightedLength


@api.post("/tweets")
def create_tweet():
    """Post as the brand; only a user-context (OAuth 1.0a) call may."""
    if not request.headers.get("Authorization", "").startswith("OAuth "):
        return problem(403, "Unsupported Authentication", APP_ONLY_FORBIDDEN)
    body = json_body()
    if body is None:
        raise InvalidRequest("The request body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("The `text` field must be a non-empty string", "text", str(text))
    weighted = weighted_length(text)
    if weighted > MAX_TEXT_LENGTH:
        raise InvalidRequest(f"The text of a post can be at most {MAX_TEXT_LENGTH} weighted characters; "
                             f"this one counts {weighted}", "text", text)
    reply = body.get("reply")
    in_reply_to = None
    if reply is not None:
        in_reply_to = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        if not isinstance(in_reply_to, str) or not NUMERIC_ID.match(in_reply_to):
            raise InvalidRequest("`reply.in_reply_to_tweet_id` must be a post id", "reply.in_reply_to_tweet_id",
                                 str(in_reply_to))
    state = x_state()
    try:
        tweet = state.add_tweet(state.brand, text, in_reply_to)
    except LookupError:
        return problem(403, "Forbidden", DELETED_PARENT)
    data = {"id": tweet.id, "text": html.escape(tweet.text, quote=False), "edit_history_tweet_ids": [tweet.id]}
    return jsonify({"data": data}), 201


def post_json(state: XState, tweet: Tweet) -> dict:
    author = state.user(tweet.author_id)
    return {
        "id": tweet.id, "text": tweet.text,
        "author": {"id": author.id, "handle": author.handle, "name": author.name, "followers": author.followers},
        "in_reply_to": tweet.in_reply_to, "conversation_id": tweet.conversation_id,
        "created_at": iso_time(tweet.created_at), "by_brand": author.id == state.brand.id,
        "hidden": tweet.id in state.hidden,
    }


def customer_fields(state: XState, body: dict) -> dict | str:
    """The `author` of a control request as `user_for`'s arguments, or
    what is wrong with it. The brand cannot be one."""
    author = body.get("author")
    if not isinstance(author, dict):
        return "author must be an object with handle, name and followers"
    handle = author.get("handle")
    if not isinstance(handle, str) or not HANDLE.match(handle):
        return "author.handle must be 1 to 15 letters, digits or underscores"
    if handle.lower() == state.brand.handle.lower():
        return "author.handle is the brand's; the brand writes through the API (/2/...)"
    name = author.get("name", handle)
    if not isinstance(name, str) or not name.strip():
        return "author.name must be a non-empty string"
    followers = author.get("followers", 0)
    if not isinstance(followers, int) or isinstance(followers, bool) or followers < 0:
        return "author.followers must be a whole number, 0 or more"
    verified = author.get("verified", False)
    if not isinstance(verified, bool):
        return "author.verified must be true or false"
    accepts_messages = author.get("accepts_direct_messages")
    if accepts_messages is not None and not isinstance(accepts_messages, bool):
        return "author.accepts_direct_messages must be true or false"
    left_out, suspended = author.get("left_out_of_includes", False), author.get("suspended", False)
    if not isinstance(left_out, bool) or not isinstance(suspended, bool):
        return "author.left_out_of_includes and author.suspended must be true or false"
    return {"handle": handle, "name": name, "followers": followers, "verified": verified,
            "accepts_messages": accepts_messages, "left_out": left_out, "suspended": suspended}


def customer_writes(state: XState) -> tuple[dict, dict, str]:
    """(body, customer, text) of a control call where a customer writes to
    the brand; what is wrong with it ends the call with a control error."""
    body = json_body()
    if body is None:
        _refuse("the body must be a JSON object")
    customer = customer_fields(state, body)
    if isinstance(customer, str):
        _refuse(customer)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        _refuse("text must be a non-empty string")
    return body, customer, text


def media_of(body: dict) -> tuple[dict, ...] | str:
    """The `media` of a control request (connectors/emulator/media.py) as
    X's media objects, or what is wrong with it."""
    items = media_items(body)
    if isinstance(items, str):
        return items
    return tuple({"type": item["type"], "url": item["file"], "preview_image_url": item["preview"],
                  "alt_text": item["alt_text"], "width": item["width"], "height": item["height"]} for item in items)


def _refuse(message: str) -> NoReturn:
    abort(make_response(control_error(message)))


@control.post("/posts")
def add_post():
    """A customer post mentioning the brand (prefixed with @brand when it does not)."""
    state = x_state()
    body, customer, text = customer_writes(state)
    in_reply_to = body.get("in_reply_to")
    if in_reply_to is not None and not isinstance(in_reply_to, str):
        return control_error("in_reply_to must be a post id (a string)")
    lang = body.get("lang", "en")
    if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2}", lang):
        return control_error("lang must be a two-letter language code such as 'en'")
    if not mentions_pattern(state.brand.handle).search(text):
        text = f"@{state.brand.handle} {text}"
    media = media_of(body)
    if isinstance(media, str):
        return control_error(media)
    with state.lock:
        if in_reply_to is not None and state.tweet(in_reply_to) is None:
            return control_error(f"in_reply_to {in_reply_to!r} is not a known post")
        tweet = state.add_tweet(state.user_for(**customer), text, in_reply_to, lang, media)
    return jsonify({"id": tweet.id}), 201


@control.get("/posts")
def list_posts():
    state = x_state()
    with state.lock:
        return jsonify({"posts": [post_json(state, t) for t in state.oldest_first()]})


@control.delete("/posts/<tweet_id>")
def delete_post(tweet_id: str):
    if not x_state().delete(tweet_id):
        return control_error(f"post {tweet_id!r} does not exist", 404)
    return jsonify({"deleted": tweet_id})

