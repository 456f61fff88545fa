"""Facebook pages through facebook-sdk's GraphAPI: visitor posts on the page,
comments on the page's recent posts, page recommendations and Messenger
conversations, polled by created_time; replies are comments, answers to
Messenger messages direct messages (`connectors.facebook.messenger`;
webhooks: `connectors.facebook.webhook`).

facebook-sdk logs nothing, but it puts the token in the query string, which
urllib3 logs at DEBUG and requests quotes in its errors: the session here
moves it into an Authorization header."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import facebook
import requests

from connectors.base import AccessCheck, Batch, ConnectorError, PostedReply, SourceKind
from connectors.facebook.messenger import OUTSIDE_WINDOW_SUBCODE, Messaging, OutsideWindow, human_agent_allowed
from connectors.facebook.moderation import GraphModeration
from connectors.facebook.parse import (FACEBOOK_URL, batch_from, created_unix, parse_comment, parse_post, parse_rating,
                                       utc_time)

log = logging.getLogger(__name__)

GRAPH_HOST = "https://graph.facebook.com"
# The Graph API version called unless the account sets `graph_version`:
# v27.0, released November 2026; Meta supports each for about two years.
DEFAULT_GRAPH_VERSION = "v27.0"
POST_FIELDS = "id,message,from,created_time,permalink_url,attachments"
COMMENT_FIELDS = "id,message,from,created_time,parent,permalink_url,attachment"
RATING_FIELDS = "created_time,recommendation_type,review_text,reviewer,open_graph_story"
THROTTLING_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TOKEN_CODES = frozenset({102, 104, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage")
DEFAULT_RETRY_AFTER = 60.0
PERMISSIONS_FIX = ("grant the app pages_read_engagement and pages_read_user_content (reading), "
                   "pages_manage_engagement (replying) and pages_messaging (Messenger), then generate a new page "
                   "access token")
DELETED = "the post was deleted or is not visible"
# A permission as Graph names it in an error: pages_messaging, instagram_basic, ...
PERMISSION_NAME = re.compile(r"\b(?:pages|instagram|business|read|publish)_[a-z_]+\b")
GONE_WORDS = ("does not exist", "error finding the requested")


class _UnexpectedAnswer(Exception):
    """An answer that is not Graph JSON (an HTML error page, say)."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status


class _ObjectMissing(ConnectorError):
    """The object does not exist or is not visible (Graph's code 100, subcode 33)."""


class _GraphSession(requests.Session):
    """facebook-sdk joins a fixed host to every path, sends the token in the
    query string and reads any answer as JSON. This session sends calls to
    `base_url`, carries the token in a header (with an appsecret_proof when
    the app secret is known, as apps may require), keeps each thread's last
    status and headers (the rate-limit reset is only there) and raises
    _UnexpectedAnswer for what is not Graph JSON."""

    def __init__(self, base_url: str | None, app_secret: str | None):
        super().__init__()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.app_secret = app_secret
        self._last = threading.local()

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        if self.base_url and url.startswith(GRAPH_HOST):
            url = self.base_url + url[len(GRAPH_HOST):]
        params = dict(params or {})
        data = dict(data) if isinstance(data, dict) else data
        token = params.pop("access_token", None)
        if isinstance(data, dict):
            token = data.pop("access_token", None) or token
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
            if self.app_secret:
                params["appsecret_proof"] = hmac.new(self.app_secret.encode(), token.encode(),
                                                     hashlib.sha256).hexdigest()
        response = super().request(method, url, params=params, data=data, headers=headers, **kwargs)
        self._last.answer = (response.status_code, response.headers)
        _check_answer(response)
        return response

    def last_answer(self) -> tuple[int | None, Mapping[str, str]]:
        return getattr(self._last, "answer", (None, {}))


class FacebookConnector(Messaging, GraphModeration):
    """One Facebook page, read and answered with its page access token."""

    platform = "facebook"
    credential_keys = ("page_id", "page_access_token", "app_secret", "verify_token", "graph_version")
    account_keys = (*credential_keys, "human_agent_tag")
    label = "Facebook"
    messaging_label = "Messenger"
    max_reply_length = 8000
    max_message_length = 2000
    can_reply = True
    # Photos and videos are served from Meta's content network.
    media_hosts = (".fbcdn.net",)
    source_kinds = {"page_posts": SourceKind("the page id"), "comments": SourceKind("the page id"),
                    "reviews": SourceKind("the page id"), "messages": SourceKind()}
    permissions_fix = PERMISSIONS_FIX

    def __init__(self, page_id: str | None, page_access_token: str | None, app_secret: str | None = None,
                 verify_token: str | None = None, graph_version: str | None = None, base_url: str | None = None,
                 timeout: float = 15.0, page_size: int = 100, max_pages: int = 20, recent_posts: int = 25,
                 overlap_seconds: int = 60, human_agent: bool = False):
        for key, value in (("page_id", page_id), ("page_access_token", page_access_token)):
            if not value:
                raise ConnectorError(f"{self.label} account is missing {key}", permanent=True)
        version = re.fullmatch(r"v?(\d+)\.(\d+)", graph_version or DEFAULT_GRAPH_VERSION)
        if version is None:
            raise ConnectorError(f"{self.label} graph_version {graph_version!r} is not a version such as "
                                 f"{DEFAULT_GRAPH_VERSION!r}", permanent=True)
        self.page_id = page_id
        self.brand_id = page_id
        self.human_agent = human_agent
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.session = _GraphSession(base_url, app_secret)
        # Paths carry the version themselves: facebook-sdk 3 accepts none after 3.1.
        self.version = f"v{version[1]}.{version[2]}"
        self.graph = facebook.GraphAPI(access_token=page_access_token, timeout=timeout, session=self.session)
        self.timeout = timeout
        self.page_size = page_size
        self.max_pages = max_pages
        self.recent_posts = recent_posts
        self.overlap_seconds = overlap_seconds

    @classmethod
    def replies_with(cls, account) -> bool:
        return True

    @classmethod
    def from_account(cls, account, *, timeout: float) -> FacebookConnector:
        """Build from an AccountSettings; a secret that cannot be read is a permanent error."""
        from config.settings import ConfigError

        try:
            values = {key: account.credential(key) for key in cls.credential_keys}
        except ConfigError as error:
            raise ConnectorError(f"Facebook account credentials cannot be read: {error}", permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout,
                   human_agent=human_agent_allowed(cls.platform, account))

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """What is newer than `cursor` (a created_time in unix seconds),
        less `overlap_seconds` for items Facebook shows late: repeats are
        dropped downstream by id. Target is the page id. The feed is asked
        with `since` and filtered by created_time too, as Graph may apply
        `since` to updated_time; comments and ratings come newest first
        and are read back to the same time."""
        page = (target or "").strip() or self.page_id
        floor = int(cursor) - self.overlap_seconds if cursor and cursor.isdigit() else None
        missing = f"page {page} does not exist or is not visible with this token: check the source's target"
        if kind == "page_posts":
            since = {"since": floor} if floor is not None else {}
            parse = partial(parse_post, page_id=self.page_id)
            items = self._edge(page, "feed", None, "reading page posts", missing, fields=POST_FIELDS, **since)
            return batch_from(((raw, parse) for raw in items if not _older(raw, floor)), cursor)
        if kind == "comments":
            return batch_from(self._comments(page, floor, missing), cursor)
        if kind == "reviews":
            items = self._edge(page, "ratings", floor, "reading reviews", missing, fields=RATING_FIELDS)
            return batch_from(((raw, parse_rating) for raw in items), cursor)
        if kind == "messages":
            return self.fetch_messages(cursor, floor)
        raise ConnectorError(f"Facebook has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                             permanent=True)

    def check_access(self, kind: str, target: str, query: str = "") -> AccessCheck:
        """Who the token speaks for (`_identity`), then the source's target:
        another page is looked up by id and name; a Messenger source reads
        one conversation's id, the one call that shows the messaging
        permission."""
        if kind not in self.source_kinds:
            raise ConnectorError(f"{self.label} has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        identity = self._identity()
        try:
            if kind == "messages":
                self._call(f"reading {self.messaging_label} conversations", self._gone,
                           f"{self.page_id}/conversations",
                           {"platform": self.messaging_platform, "fields": "id", "limit": 1})
            elif (target or "").strip() not in ("", self.page_id):
                page = target.strip()
                self._call("looking up the source's page", f"page {page} does not exist or is not visible with this "
                           "token: check the source's target", page, {"fields": "id,name"})
        except ConnectorError as error:
            if not error.permanent:
                raise
            return AccessCheck(identity, False, error.message)
        return AccessCheck(identity, True, f"{kind.replace('_', ' ')} readable")

    def _identity(self) -> str:
        """The page the token speaks for: `GET /{page-id}?fields=id,name`."""
        page = self._call("looking up the page", f"page {self.page_id} does not exist or is not visible with this "
                          "token: check page_id", self.page_id, {"fields": "id,name"})
        page = page if isinstance(page, dict) else {}
        return f"page {page.get('name') or '?'} (id {page.get('id') or self.page_id})"

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted on Facebook", permanent=True)
        if len(text) > self.max_reply_length:
            raise ConnectorError(f"a reply on Facebook can have at most {self.max_reply_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
        answer = self._call("posting a reply", DELETED, f"{in_reply_to}/comments", post={"message": text})
        comment_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(comment_id, str) or not comment_id:
            raise ConnectorError("Facebook answered a reply without the new comment's id; it may have been posted")
        return PostedReply(external_id=comment_id, url=FACEBOOK_URL + comment_id)

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        """The page's comment with this text under `in_reply_to` or, when
        that is a reply, under the comment it answers: Facebook keeps
        threads two levels deep and may file an answer to a reply there."""
        found = self._reply_under(in_reply_to, text)
        if found is None and "_" in in_reply_to and not in_reply_to.startswith(f"{self.page_id}_"):
            comment = self._call("looking for an earlier reply", DELETED, in_reply_to, {"fields": "id,parent"})
            parent = comment.get("parent") if isinstance(comment, dict) else None
            if isinstance(parent, dict) and isinstance(parent.get("id"), str):
                found = self._reply_under(parent["id"], text)
        return found

    def _reply_under(self, object_id: str, text: str) -> PostedReply | None:
        wanted = _normalised(text)
        for raw in self._edge(object_id, "comments", None, "looking for an earlier reply", DELETED,
                              order="reverse_chronological", fields="id,message,from,created_time"):
            author = raw.get("from") if isinstance(raw, dict) else None
            if (isinstance(author, dict) and author.get("id") == self.page_id and isinstance(raw.get("id"), str)
                    and isinstance(raw.get("message"), str) and _normalised(raw["message"]) == wanted):
                return PostedReply(external_id=raw["id"], url=FACEBOOK_URL + raw["id"])
        return None

    def _comments(self, page: str, floor: int | None, missing: str) -> Iterator[tuple[Any, Callable]]:
        """Comments and replies on the page's recent posts, each post read
        back to `floor`. A post commented on since then has a newer
        updated_time; the others are passed over."""
        recent = self._call("reading the page's recent posts", missing, f"{page}/feed",
                            {"fields": "id,created_time,updated_time", "limit": self.recent_posts})
        for post in _items(recent, "reading the page's recent posts"):
            post_id = post.get("id") if isinstance(post, dict) else None
            if not isinstance(post_id, str) or not post_id:
                continue
            updated = utc_time(post.get("updated_time"))
            if floor is not None and updated is not None and updated.timestamp() < floor:
                continue
            try:
                comments = list(self._edge(post_id, "comments", floor, "reading comments", DELETED,
                                           filter="stream", order="reverse_chronological", fields=COMMENT_FIELDS))
            except _ObjectMissing:
                log.info("Facebook post %s went away while its comments were read", post_id)
                continue
            parse = partial(parse_comment, post_id=post_id, page_id=self.page_id)
            yield from ((raw, parse) for raw in comments)

    def _edge(self, object_id: str, edge: str, floor: int | None, action: str, missing: str,
              **params) -> Iterator[Any]:
        """An edge's items, newest first, paged by hand with `after` cursors
        (get_all_connections needs a token in the `next` link), up to
        max_pages; stops at the first item older than `floor`."""
        after = None
        for _ in range(self.max_pages):
            page = self._call(action, missing, f"{object_id}/{edge}",
                              {"limit": self.page_size, **params, **({"after": after} if after else {})})
            for item in _items(page, action):
                if _older(item, floor):
                    return
                yield item
            paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
            cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
            after = cursors.get("after")
            if not paging.get("next") or not after:
                return
        log.warning("Facebook had more than %d pages of %s for %s; the older ones are left out",
                    self.max_pages, edge, object_id)

    def _call(self, action: str, missing: str, path: str, args: dict | None = None, post: dict | None = None,
              method: str | None = None) -> Any:
        """One Graph call through facebook-sdk's `GraphAPI.request` (a POST
        with `post`, unless `method` says); whatever fails leaves as a ConnectorError. `missing`
        says what Graph's "object does not exist" means here."""
        try:
            return self.graph.request(f"{self.version}/{path}", dict(args or {}), post_args=post, method=method)
        except facebook.GraphAPIError as error:
            status, headers = self.session.last_answer()
            raise _connector_error(error, action, missing, status, headers, self.label,
                                   self.permissions_fix) from None
        except _UnexpectedAnswer as error:
            permanent = 400 <= error.status < 500 and error.status not in (408, 429)
            raise ConnectorError(f"{self.label} answered {action} with {error}", permanent=permanent,
                                 status=error.status) from None
        except requests.Timeout:
            raise ConnectorError(f"{self.label} did not answer within {self.timeout:g} s while {action}") from None
        except requests.RequestException as error:
            raise ConnectorError(f"{self.label} could not be reached while {action}: {error}") from None


def retry_after_from(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns, from the usage headers'
    estimated_time_to_regain_access (minutes), when one is above 0."""
    minutes = []
    for name in USAGE_HEADERS:
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        minutes += _regain_minutes(usage)
    longest = max(minutes, default=0)
    return longest * 60.0 if longest > 0 else None


def _regain_minutes(usage: Any) -> list[float]:
    """Every estimated_time_to_regain_access in a usage header, however nested."""
    if isinstance(usage, list):
        return [m for item in usage for m in _regain_minutes(item)]
    if not isinstance(usage, dict):
        return []
    found = [m for value in usage.values() if isinstance(value, (dict, list)) for m in _regain_minutes(value)]
    value = usage.get("estimated_time_to_regain_access")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found.append(float(value))
    return found


def _connector_error(error: facebook.GraphAPIError, action: str, missing: str, status: int | None,
                     headers: Mapping[str, str], label: str = "Facebook",
                     permissions_fix: str = PERMISSIONS_FIX) -> ConnectorError:
    code = error.code if isinstance(error.code, int) else None
    body = error.result.get("error") if isinstance(error.result, dict) else None
    body = body if isinstance(body, dict) else {}
    message = str(error.message)
    detail = f"code {code}: {message}" if code is not None else message
    if body.get("error_subcode") == OUTSIDE_WINDOW_SUBCODE:
        return OutsideWindow(f"{label} refused {action} ({detail})", permanent=True, status=status)
    if code in THROTTLING_CODES:
        retry_after = retry_after_from(headers) or DEFAULT_RETRY_AFTER
        return ConnectorError(f"{label} rate limit reached while {action} ({detail}); calls resume in "
                              f"{retry_after:.0f} s", retry_after=retry_after, status=429)
    if code in TOKEN_CODES:
        return ConnectorError(f"{label} rejected the page access token while {action} ({detail}): generate a "
                              "new page access token for the page and set page_access_token", permanent=True,
                              status=status)
    if code in PERMISSION_CODES:
        named = " and ".join(dict.fromkeys(PERMISSION_NAME.findall(message))) or "a permission"
        return ConnectorError(f"{label} refused {action} ({detail}): the page access token lacks {named}; "
                              f"{permissions_fix}", permanent=True, status=status)
    if body.get("error_subcode") == 33 or any(words in message.lower() for words in GONE_WORDS):
        return _ObjectMissing(f"{label} refused {action}: {missing} ({detail})", permanent=True, status=status)
    if code in TRANSIENT_CODES or body.get("is_transient") is True:
        return ConnectorError(f"{label} failed while {action} ({detail})", status=status)
    return ConnectorError(f"{label} rejected {action} ({detail})", permanent=True, status=status)


def _check_answer(response: requests.Response) -> None:
    content_type = response.headers.get("content-type", "")
    problem = None
    if "json" not in content_type:
        problem = content_type.split(";")[0] or "a body without a content type"
    else:
        try:
            body = response.json()
        except ValueError:
            problem = "JSON that cannot be read"
        else:
            if response.status_code >= 400 and not (isinstance(body, dict) and "error" in body):
                problem = "JSON without an error"
    if problem is not None:
        raise _UnexpectedAnswer(response.status_code, f"HTTP {response.status_code} {response.reason} and "
                                                      f"{problem} instead of Graph JSON")


def _items(page: Any, action: str) -> list:
    items = page.get("data") if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise ConnectorError(f"Facebook answered {action} without a data list")
    return items


def _older(item: Any, floor: int | None) -> bool:
    moment = created_unix(item)
    return floor is not None and moment is not None and moment < floor


def _normalised(text: str) -> str:
    return " ".join(text.split())
