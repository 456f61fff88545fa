"""Reddit through praw: the brand user's unread inbox (mentions, replies,
private messages), subreddit search for posts and subreddit comments
filtered by keywords; replies posted as the brand user (a script app).

Listings are read with `Reddit.request`, which returns Reddit's JSON as it
came: praw's model objects would fail a whole page on one malformed item,
and the parsing stays a pure function over the documented shapes
(`connectors.reddit.parse`). Replies go through praw's models.

prawcore logs URLs, query parameters and form fields at DEBUG, never
credentials or tokens: its loggers are left as they are."""

from __future__ import annotations

import logging
import re
import time
from importlib import metadata
from collections.abc import Callable, Iterator
from typing import Any

import praw
import prawcore
import requests
from praw.const import API_PATH
from praw.exceptions import PRAWException, RedditAPIException
from prawcore.const import ACCESS_TOKEN_PATH

from connectors.base import (AccessCheck, Batch, ConnectorError, MalformedPayload, NoDirectMessages, PostedReply, SourceKind,
                             json_object)
from connectors.reddit.parse import (REDDIT_URL, age_key, created_of, fullname_of, id_number, listing_children,
                                     matches_query, oldest_first, parse_children, rate_limit_wait,
                                     read_search_cursor, search_cursor)

log = logging.getLogger(__name__)

OAUTH_URL = "https://oauth.reddit.com"
CREDENTIAL_KEYS = ("client_id", "client_secret", "username", "password")
SUBREDDITS = re.compile(r"^[A-Za-z0-9_]{2,21}(\+[A-Za-z0-9_]{2,21})*$")
REPLYABLE = re.compile(r"^t([134])_([0-9a-z]{1,13})$")
SEARCH_WINDOW = "week"
# Reddit's search index lags: a later poll looks this far back before its
# cursor, skipping the fullnames the cursor names.
SEARCH_OVERLAP_SECONDS = 300
# prawcore sleeps until the quota resets once it is used up; longer waits
# than this are handed back to the caller as retry_after.
LONGEST_PAUSE_SECONDS = 10.0
# praw itself waits out a RATELIMIT answer to a post up to this long.
RATELIMIT_WAIT_SECONDS = 5
DEFAULT_RETRY_AFTER = 60.0
# Why Reddit refuses a subreddit (the `reason` of its 403 or 404), and what to do.
SUBREDDIT_REFUSALS = {
    "private": "the subreddit is private; ask its moderators to add u/{user} as an approved user",
    "banned": "the subreddit was banned by Reddit; remove it from the source's target",
    "quarantined": "the subreddit is quarantined; sign in as u/{user} on reddit.com and opt in to view it",
    "gold_only": "the subreddit is open to premium members only; u/{user} needs Reddit Premium",
}


class _Quota:
    """When Reddit's rate-limit headers last said the quota is spent, the
    time it comes back."""

    def __init__(self):
        self.back_at: float | None = None

    def note(self, headers) -> None:
        try:
            remaining, reset = float(headers["x-ratelimit-remaining"]), float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return
        self.back_at = time.monotonic() + max(1.0, reset) if remaining <= 0 else None

    def seconds_left(self) -> float:
        return 0.0 if self.back_at is None else max(0.0, self.back_at - time.monotonic())


class _Unanswered(Exception):
    """A call that got no answer (a timeout, a refused connection), wrapped
    so that prawcore does not retry it."""

    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause


class _OneAttempt(prawcore.Requestor):
    """praw's documented `requestor_class`: every call is sent once, with
    our timeout, and the quota Reddit reports is noted.

    prawcore retries failed connections, timeouts, 5xx answers and refused
    tokens twice, sleeping up to 4 s, and would send a reply again after a
    timeout that may have posted it; its API calls carry its own 16 s
    timeout (praw's `timeout` setting is read but never used). The listener
    and the outbox retry on their own schedule (the outbox asks find_reply
    first), so such a failure is raised here at once, as the exception
    prawcore would end with; a refused token as InvalidToken, which the
    connector answers by logging in again with a new client."""

    def __init__(self, *args, call_timeout: float, quota: _Quota, **kwargs):
        super().__init__(*args, **kwargs)
        self.call_timeout = call_timeout
        self.quota = quota

    def request(self, *args, timeout: float | None = None, **kwargs) -> requests.Response:
        try:
            response = super().request(*args, timeout=self.call_timeout, **kwargs)
        except prawcore.RequestException as error:
            raise prawcore.RequestException(_Unanswered(error.original_exception), error.request_args,
                                            error.request_kwargs) from None
        self.quota.note(response.headers)
        if response.status_code in prawcore.Session.RETRY_STATUSES:
            raise prawcore.ResponseException(response)
        if response.status_code == 401 and not response.url.endswith(ACCESS_TOKEN_PATH):
            raise prawcore.InvalidToken(response)
        return response


class RedditConnector(NoDirectMessages):
    """One Reddit user (the brand's) through its script app."""

    platform = "reddit"
    account_keys = (*CREDENTIAL_KEYS, "user_agent")
    max_reply_length = 10000
    can_reply = True
    # Uploaded images and videos, previews of links, thumbnails.
    media_hosts = ("i.redd.it", "preview.redd.it", "external-preview.redd.it", "v.redd.it",
                   ".thumbs.redditmedia.com")
    source_kinds = {"mentions": SourceKind(), "search": SourceKind("subreddits, as 'a+b'", needs_query=True),
                    "comments": SourceKind("subreddits, as 'a+b'")}

    def __init__(self, client_id: str | None = None, client_secret: str | None = None,
                 username: str | None = None, password: str | None = None, user_agent: str | None = None,
                 base_url: str | None = None, timeout: float = 15.0, page_size: int = 100, max_pages: int = 10):
        given = dict(zip(CREDENTIAL_KEYS, (client_id, client_secret, username, password)))
        missing = [key for key, value in given.items() if not value]
        if missing:
            raise ConnectorError(f"Reddit account is missing {', '.join(missing)}: a script app needs "
                                 f"{', '.join(CREDENTIAL_KEYS)}", permanent=True)
        self.username = username
        self.timeout = timeout
        self.page_size = max(1, min(100, page_size))
        self.max_pages = max_pages
        self.session = requests.Session()
        self.quota = _Quota()
        base = base_url.rstrip("/") if base_url else None
        self._settings = dict(
            client_id=client_id, client_secret=client_secret, username=username, password=password,
            user_agent=user_agent or default_user_agent(username), check_for_updates=False,
            # oauth_url ends in "/" so that a base with a path keeps it when API paths are joined to it.
            oauth_url=f"{base}/" if base else OAUTH_URL, reddit_url=base or REDDIT_URL,
            ratelimit_seconds=RATELIMIT_WAIT_SECONDS, requestor_class=_OneAttempt,
            requestor_kwargs={"session": self.session, "call_timeout": timeout, "quota": self.quota},
        )
        self.reddit = praw.Reddit(**self._settings)

    @classmethod
    def replies_with(cls, account) -> bool:
        return True

    @classmethod
    def from_account(cls, account, *, timeout: float) -> RedditConnector:
        """Build from an AccountSettings; a secret that cannot be read is a permanent error."""
        from config.settings import ConfigError

        try:
            values = {key: account.credential(key) for key in cls.account_keys}
        except ConfigError as error:
            raise ConnectorError(f"Reddit account credentials cannot be read: {error}", permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout)

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        if kind == "mentions":
            return self._unread(cursor)
        if kind not in ("search", "comments"):
            raise ConnectorError(f"Reddit has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        subreddits = (target or "").strip().removeprefix("r/")
        if not SUBREDDITS.match(subreddits):
            raise ConnectorError(f"a Reddit {kind} source needs subreddit names as its target, joined "
                                 f"with '+' (like 'acme+acmehelp'), not {target!r}", permanent=True)
        if kind == "search":
            if not query.strip():
                raise ConnectorError("a Reddit search source needs a query", permanent=True)
            return self._search(subreddits, query, cursor)
        return self._comments(subreddits, query, cursor)

    def check_access(self, kind: str, target: str, query: str = "") -> AccessCheck:
        """Who the script app signs in as (`reddit.user.me()`, which reads
        `/api/v1/me`), then, for a subreddit source, each subreddit's about
        page: a private, banned or missing one answers there. The inbox is
        not read, so nothing in it is marked read."""
        if kind not in self.source_kinds:
            raise ConnectorError(f"Reddit has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        me = self._call("looking up the signed-in user", lambda reddit: reddit.user.me())
        data = vars(me) if me is not None else {}
        identity = f"u/{data.get('name') or self.username} (id {data.get('id') or '?'})"
        if kind == "mentions":
            return AccessCheck(identity, True, "inbox readable")
        subreddits = (target or "").strip().removeprefix("r/")
        if not SUBREDDITS.match(subreddits):
            return AccessCheck(identity, False, f"a Reddit {kind} source needs subreddit names as its target, "
                                                f"joined with '+' (like 'acme+acmehelp'), not {target!r}")
        try:
            for name in subreddits.split("+"):
                self._call(f"reading r/{name}'s about page",
                           lambda reddit, name=name: reddit.request(method="GET", path=f"r/{name}/about"))
        except ConnectorError as error:
            if not error.permanent:
                raise
            return AccessCheck(identity, False, error.message)
        return AccessCheck(identity, True, f"r/{subreddits.replace('+', ', r/')} readable")

    def _unread(self, cursor: str | None) -> Batch:
        """The unread inbox, all of it; the items are marked read only when
        `acknowledge` is called, once they are stored."""
        children = [c for page in self._pages("reading the inbox", API_PATH["unread"], {"mark": False})
                    for c in page]
        posts, skipped = parse_children(children, self.username)
        named = [(name, created_of(c) or 0.0) for c in children if (name := fullname_of(c))]
        names = list(dict.fromkeys(name for name, _ in named))
        newest = max(named, key=lambda item: age_key(item[1], item[0]))[0] if named else cursor
        return Batch(posts=oldest_first(posts), cursor=newest, skipped=skipped,
                     acknowledge=(lambda: self.mark_read(names)) if names else None)

    def mark_read(self, fullnames: list[str]) -> None:
        """Mark these inbox items read, 25 to a call as Reddit allows."""
        for start in range(0, len(fullnames), 25):
            data = {"id": ",".join(fullnames[start:start + 25])}
            self._call("marking inbox items read", lambda reddit: reddit.post(API_PATH["read_message"], data=data))

    def _search(self, subreddits: str, query: str, cursor: str | None) -> Batch:
        """Posts found by Reddit's search, newest first, read back to the
        cursor's time less the overlap; the fullnames the cursor names were
        returned before and are left out."""
        newest, seen = read_search_cursor(cursor)
        floor = newest - SEARCH_OVERLAP_SECONDS if newest is not None else None

        def above_floor(child: Any) -> bool:
            created = created_of(child)
            return floor is None or created is None or created > floor

        params = {"q": query, "sort": "new", "t": SEARCH_WINDOW, "syntax": "lucene",
                  "restrict_sr": subreddits.lower() != "all"}
        children: list[Any] = []
        for page in self._pages("searching", API_PATH["search"].format(subreddit=subreddits), params):
            children += page
            if not all(map(above_floor, page)):
                break
        fresh = [c for c in children if above_floor(c) and fullname_of(c) not in seen]
        posts, skipped = parse_children(fresh, self.username)
        times = {name: created for c in children
                 if (name := fullname_of(c)) and (created := created_of(c)) is not None}
        if not times:
            return Batch(posts=oldest_first(posts), cursor=cursor, skipped=skipped)
        top = max(times.values()) if newest is None else max(newest, *times.values())
        recent = sorted((name for name, created in times.items() if created > top - SEARCH_OVERLAP_SECONDS),
                        key=lambda name: age_key(times[name], name), reverse=True)
        return Batch(posts=oldest_first(posts), cursor=search_cursor(top, recent), skipped=skipped)

    def _comments(self, subreddits: str, query: str, cursor: str | None) -> Batch:
        """New comments back to the cursor comment, matched against the query
        here. Ids are counters, so the walk stops at the first comment not
        newer than the cursor; this works even when the cursor comment was
        deleted, where `before=<cursor>` would answer an empty page."""
        floor = id_number(cursor) if cursor and REPLYABLE.match(cursor) else None
        children: list[Any] = []
        for page in self._pages("reading new comments", f"r/{subreddits}/comments/", {}):
            newer = [c for c in page if floor is None or (n := fullname_of(c)) is None or id_number(n) > floor]
            children += newer
            if len(newer) < len(page):
                break
        posts, skipped = parse_children(children, self.username)
        posts = [post for post in posts if matches_query(post.text, query)]
        names = [n for n in map(fullname_of, children) if n]
        newest = max(names, key=id_number, default=cursor)
        return Batch(posts=oldest_first(posts), cursor=newest, skipped=skipped)

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        """A comment under a comment (t1) or a post (t3), or an answer to a
        private message (t4)."""
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted on Reddit", permanent=True)
        if len(text) > self.max_reply_length:
            raise ConnectorError(f"a reply on Reddit can have at most {self.max_reply_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
        kind, thing_id = _replyable(in_reply_to)
        action = f"replying to {in_reply_to}"
        thread = None
        if kind == "1":
            created = self._call(action, lambda reddit: reddit.comment(thing_id).reply(text))
        elif kind == "3":
            created, thread = self._call(action, lambda reddit: reddit.submission(thing_id).reply(text)), in_reply_to
        else:
            # inbox.message(id).reply would first read the whole conversation: post the same call directly.
            answer = {"text": text, "thing_id": in_reply_to}
            things = self._call(action, lambda reddit: reddit.post(API_PATH["comment"], data=answer))
            created = things[0] if things else None
        if created is None:
            found = self.find_reply(in_reply_to, text)
            if found is None:
                raise ConnectorError(f"Reddit took the reply to {in_reply_to} but did not return it")
            return found
        return PostedReply(external_id=created.fullname, url=_posted_url(created, thread))

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        """Among the brand's newest 100 comments (or sent messages, for a
        private message): the one answering `in_reply_to` with this text."""
        kind, _ = _replyable(in_reply_to)
        wanted = _normalised(text)

        def newest(reddit: praw.Reddit) -> list[Any]:
            if kind == "4":
                return list(reddit.inbox.sent(limit=100))
            return list(reddit.redditor(self.username).comments.new(limit=100))

        for thing in self._call("looking for an earlier reply", newest):
            if thing.parent_id == in_reply_to and _normalised(thing.body) == wanted:
                return PostedReply(external_id=thing.fullname, url=_posted_url(thing))
        return None

    def _pages(self, action: str, path: str, params: dict) -> Iterator[list[Any]]:
        """The children of each page of a listing, newest first, following
        `after` up to max_pages."""
        after = None
        for _ in range(self.max_pages):
            query = {**params, "limit": self.page_size, **({"after": after} if after else {})}
            page = self._call(action, lambda reddit: reddit.request(method="GET", path=path, params=query))
            try:
                children, after = listing_children(page)
            except MalformedPayload as error:
                raise ConnectorError(f"Reddit answered {action} with something unexpected: {error}") from None
            yield children
            if not after or not children:
                return
        log.warning("Reddit had more than %d pages while %s; the older items are left out", self.max_pages,
                    action)

    def _call(self, action: str, call: Callable[[praw.Reddit], Any]) -> Any:
        """One praw call; whatever fails leaves as a ConnectorError. A
        refused token is tried once more through a new client, which logs
        in afresh."""
        wait = self.quota.seconds_left()
        if wait > LONGEST_PAUSE_SECONDS:
            raise ConnectorError(f"Reddit's rate limit is used up; calls resume in {wait:.0f} s",
                                 retry_after=wait, status=429)
        for attempt in (1, 2):
            try:
                return call(self.reddit)
            except prawcore.InvalidToken:
                if attempt == 1:
                    self.reddit = praw.Reddit(**self._settings)
                    continue
                raise ConnectorError(f"Reddit refused a fresh access token for u/{self.username} while {action} "
                                     "(401): check the app's client_id and client_secret", permanent=True,
                                     status=401) from None
            except (prawcore.PrawcoreException, PRAWException) as error:
                raise _connector_error(error, action, self) from None

def _connector_error(error: Exception, action: str, connector: RedditConnector) -> ConnectorError:
    if isinstance(error, prawcore.RequestException):
        cause = error.original_exception
        if isinstance(cause, _Unanswered):
            cause = cause.cause
        if isinstance(cause, ConnectorError):
            return cause
        if isinstance(cause, requests.Timeout):
            return ConnectorError(f"Reddit did not answer within {connector.timeout:g} s while {action}")
        if isinstance(cause, requests.ConnectionError):
            return ConnectorError(f"Reddit could not be reached while {action}: {cause}")
        return ConnectorError(f"Reddit call failed while {action}: {cause!r}")
    if isinstance(error, prawcore.OAuthException):
        return ConnectorError(f"Reddit refused to log in as u/{connector.username} ({error.error}): check the "
                              "username and password, and that the script app belongs to this user",
                              permanent=True, status=401)
    if isinstance(error, RedditAPIException):
        return _api_error(error, action)
    if not isinstance(error, prawcore.ResponseException):
        return ConnectorError(f"Reddit call failed while {action}: {error}")
    response = error.response
    status = response.status_code
    reason = f"{status} {response.reason}".strip()
    detail = _detail(response) or reason
    if status == 429:
        return ConnectorError(f"Reddit rate limit reached while {action}; calls resume in "
                              f"{_retry_after(response):.0f} s", retry_after=_retry_after(response), status=429)
    if response.url.endswith(ACCESS_TOKEN_PATH) and status in (400, 401, 403):
        return ConnectorError(f"Reddit rejected the app's credentials ({reason}): check client_id and "
                              "client_secret", permanent=True, status=status)
    if isinstance(error, prawcore.Redirect):
        return ConnectorError(f"Reddit redirected {action} to {error.path}: check that the subreddits exist",
                              permanent=True, status=status)
    if isinstance(error, prawcore.BadJSON):
        return ConnectorError(f"Reddit answered with something that is not JSON while {action}", status=status)
    why = (json_object(response) or {}).get("reason")
    if why in SUBREDDIT_REFUSALS:
        return ConnectorError(f"Reddit refused {action} ({reason}): {SUBREDDIT_REFUSALS[why]}"
                              .replace("{user}", connector.username), permanent=True, status=status)
    if status in (401, 403):
        return ConnectorError(f"Reddit refused {action} ({reason}): {detail}. The user may be suspended or "
                              "banned there, or the subreddit private", permanent=True, status=status)
    if 400 <= status < 500:
        return ConnectorError(f"Reddit rejected {action} ({reason}): {detail}", permanent=True, status=status)
    return ConnectorError(f"Reddit failed while {action} ({reason}): {detail}", status=status)


def _api_error(error: RedditAPIException, action: str) -> ConnectorError:
    """Errors Reddit reports inside a 200 answer: RATELIMIT is a wait,
    anything else (DELETED_COMMENT, THREAD_LOCKED, TOO_OLD, ...) a refusal."""
    for item in error.items:
        if item.error_type == "RATELIMIT":
            wait = rate_limit_wait(item.message) or DEFAULT_RETRY_AFTER
            return ConnectorError(f"Reddit rate limit reached while {action}: {item.message}",
                                  retry_after=max(1.0, wait), status=429)
    reasons = "; ".join(f"{item.error_type}: {item.message}" for item in error.items)
    return ConnectorError(f"Reddit refused {action}: {reasons}", permanent=True)


def _retry_after(response: requests.Response) -> float:
    for header in ("retry-after", "x-ratelimit-reset"):
        try:
            return max(1.0, float(response.headers[header]))
        except (KeyError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER


def _detail(response: requests.Response) -> str:
    body = json_object(response) or {}
    return "; ".join(str(body[key]) for key in ("message", "reason", "explanation") if body.get(key))


def _replyable(fullname: str) -> tuple[str, str]:
    found = REPLYABLE.match(fullname or "")
    if not found:
        raise ConnectorError(f"{fullname!r} is not the fullname of a Reddit comment, post or message "
                             "(t1_..., t3_..., t4_...)", permanent=True)
    return found.group(1), found.group(2)


def _posted_url(thing: Any, thread: str | None = None) -> str:
    """Read from the object's data: a missing attribute would make praw
    fetch it. A comment Reddit answered without its permalink gets the
    address built from its thread (`link_id`, else `thread`) and its id."""
    data = vars(thing)
    if data.get("permalink"):
        return REDDIT_URL + data["permalink"]
    if not thing.fullname.startswith("t1_"):
        return f"{REDDIT_URL}/message/messages/{thing.id}"
    link_id = data.get("link_id") if isinstance(data.get("link_id"), str) else thread
    return f"{REDDIT_URL}/comments/{link_id.removeprefix('t3_')}/_/{thing.id}/" if link_id else ""


def default_user_agent(username: str) -> str:
    """In the form Reddit asks of every client: <platform>:<app id>:<version> (by /u/<user>)."""
    try:
        version = metadata.version("closeloop")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"python:closeloop:v{version} (by /u/{username})"


def _normalised(text: str) -> str:
    return " ".join((text or "").split())
