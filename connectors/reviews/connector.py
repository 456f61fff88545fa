"""Review feeds: the RSS 2.0, Atom or JSON feed of reviews that a review
site or app store publishes, downloaded with requests and read by
`connectors.reviews.parse` (feedparser for RSS and Atom). Most feeds have
no reply API; an account may name one with the `reply_url` credential."""

from __future__ import annotations

import email.utils
import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from connectors.base import (AccessCheck, Batch, ConnectorError, MalformedPayload, NoDirectMessages, PostedReply, SourceKind,
                             json_object)
from connectors.reviews.parse import batch_since, parse_document

DEFAULT_RETRY_AFTER = 60.0
FEED_KEY_LENGTH = 8
ACCEPT = ("application/feed+json, application/json;q=0.9, application/atom+xml, application/rss+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
PERMANENT_STATUSES = (401, 403, 404, 410)
FEED_HINT = "check the source's target: the feed may have moved or be private"
REPLY_HINT = "check the account's reply_url and api_key"


@dataclass(frozen=True)
class _Validators:
    """What the feed's last answer said to send with the next request, and
    the cursor that answer produced: the validators are sent only when the
    caller continues from that cursor, so a batch that was not committed
    is fetched again rather than answered with 304."""

    headers: dict[str, str]
    cursor: str | None


class ReviewFeedConnector(NoDirectMessages):
    """One review site or app store. Fetching needs no credentials;
    replying needs `reply_url`, a URL template with `{review_id}`, and
    usually `api_key`, sent as a Bearer token."""

    platform = "reviews"
    account_keys = ("reply_url", "api_key")
    max_reply_length = 4000
    source_kinds = {"feed": SourceKind("the feed's URL")}

    def __init__(self, base_url: str | None = None, reply_url: str | None = None, api_key: str | None = None,
                 timeout: float = 15.0):
        if reply_url and "{review_id}" not in reply_url:
            raise ConnectorError(f"reply_url {reply_url!r} has no {{review_id}} where the review's id goes",
                                 permanent=True)
        self.base_url = base_url
        self.reply_url = reply_url
        self.api_key = api_key
        self.timeout = timeout
        self.can_reply = bool(reply_url)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "closeloop (review feed reader)"
        self._validators: dict[str, _Validators] = {}

    @classmethod
    def replies_with(cls, account) -> bool:
        """Only an account that names a reply API can answer reviews."""
        return bool((account.model_extra or {}).get("reply_url"))

    @classmethod
    def from_account(cls, account, *, timeout: float) -> ReviewFeedConnector:
        """Build from an AccountSettings; a secret that cannot be read is a permanent error."""
        from config.settings import ConfigError

        try:
            values = {key: account.credential(key) for key in cls.account_keys}
        except ConfigError as error:
            raise ConnectorError(f"review feed account credentials cannot be read: {error}",
                                 permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout)

    @property
    def site(self) -> str:
        host = urlsplit(self.base_url).netloc if self.base_url else ""
        return f"The review site {host}" if host else "This review feed"

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """The feed's reviews published at or after `cursor` (an ISO 8601
        time), oldest first; a 304 is an empty batch. `query` is not used."""
        if kind != "feed":
            raise ConnectorError(f"review feeds have no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        url = self.feed_url(target)
        headers = {"Accept": ACCEPT}
        remembered = self._validators.get(url)
        if remembered is not None and remembered.cursor == cursor:
            headers.update(remembered.headers)
        response = self._request("GET", url, "reading the feed", FEED_HINT, headers=headers)
        if response.status_code == 304:
            return Batch(posts=[], cursor=cursor)
        try:
            posts, skipped = parse_document(response.content, response.url or url,
                                            response.headers.get("Content-Type", ""))
        except MalformedPayload as error:
            raise ConnectorError(f"the review feed at {url} sent {error}") from None
        key = feed_key(url)
        posts = [replace(post, external_id=f"{key}:{post.external_id}") for post in posts]
        batch = batch_since(posts, skipped, cursor)
        validators = {name: response.headers[header] for header, name in
                      (("ETag", "If-None-Match"), ("Last-Modified", "If-Modified-Since")) if header in response.headers}
        self._validators[url] = _Validators(validators, batch.cursor)
        return batch

    def check_access(self, kind: str, target: str, query: str = "") -> AccessCheck:
        """Whether the feed answers and reads as a feed of reviews: one GET.
        A feed has no sign-in, so there is no identity to name."""
        if kind != "feed":
            raise ConnectorError(f"review feeds have no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        url = self.feed_url(target)
        try:
            response = self._request("GET", url, "reading the feed", FEED_HINT, headers={"Accept": ACCEPT})
            posts, _ = parse_document(response.content, response.url or url, response.headers.get("Content-Type", ""))
        except MalformedPayload as error:
            return AccessCheck("", False, f"the review feed at {url} sent {error}")
        except ConnectorError as error:
            if not error.permanent:
                raise
            return AccessCheck("", False, error.message)
        return AccessCheck("", True, f"the feed at {url} answers with {len(posts)} review(s)")

    def feed_url(self, target: str) -> str:
        """The source's target, joined to the account's base_url when relative."""
        target = target.strip()
        if not target:
            raise ConnectorError("a review feed source needs the feed's URL as its target", permanent=True)
        url = urljoin(self.base_url.rstrip("/") + "/", target) if self.base_url else target
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConnectorError(f"the review feed target {target!r} is not an http(s) URL (set base_url on the "
                                 f"account for a relative one)", permanent=True)
        return url

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        if not self.can_reply:
            raise ConnectorError(f"{self.site} has no reply API: answer on the site and record how you answered",
                                 permanent=True)
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted to a review", permanent=True)
        if len(text) > self.max_reply_length:
            raise ConnectorError(f"a reply to a review can have at most {self.max_reply_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
        body = self._reply_call("POST", in_reply_to, "posting a reply", json={"text": text})
        if not isinstance(body, dict) or not body.get("id"):
            raise ConnectorError(f"the reply API answered without the new reply's id: {str(body)[:200]}")
        return PostedReply(external_id=str(body["id"]), url=str(body.get("url") or ""))

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        if not self.can_reply:
            return None
        body = self._reply_call("GET", in_reply_to, "looking for an earlier reply")
        wanted = _normalised(text)
        replies = body.get("replies") if isinstance(body, dict) else None
        for reply in replies if isinstance(replies, list) else []:
            if isinstance(reply, dict) and reply.get("id") and _normalised(str(reply.get("text", ""))) == wanted:
                return PostedReply(external_id=str(reply["id"]), url=str(reply.get("url") or ""))
        return None

    def _reply_call(self, method: str, external_id: str, action: str, **kwargs) -> Any:
        review_id = site_review_id(external_id)
        url = self.reply_url.replace("{review_id}", quote(review_id, safe=""))
        if self.base_url:
            url = urljoin(self.base_url.rstrip("/") + "/", url)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = self._request(method, url, action, REPLY_HINT, headers=headers, **kwargs)
        except ConnectorError as error:
            if error.status in (404, 410):
                raise ConnectorError(f"review {review_id} does not exist or was deleted, so it cannot be "
                                     f"answered: {error.message}", permanent=True, status=error.status) from None
            raise
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"the reply API at {url} answered with something that is not JSON while "
                                 f"{action}") from None

    def _request(self, method: str, url: str, action: str, hint: str, **kwargs) -> requests.Response:
        """One HTTP call with the timeout; whatever fails leaves as a
        ConnectorError, a permanent one with `hint` on what to fix."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise ConnectorError(f"{url} did not answer within {self.timeout:g} s while {action}") from None
        except requests.RequestException as error:
            raise ConnectorError(f"{url} could not be reached while {action}: {error}") from None
        if response.status_code < 400:
            return response
        raise _http_error(response, url, action, hint)


def _http_error(response: requests.Response, url: str, action: str, hint: str) -> ConnectorError:
    status = response.status_code
    said = f"{url} answered {status} {response.reason or ''}".rstrip() + f" while {action}"
    detail = _error_detail(response)
    if detail:
        said += f": {detail}"
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return ConnectorError(f"{said}; calls resume in {retry_after:.0f} s", retry_after=retry_after, status=429)
    if status in PERMANENT_STATUSES:
        return ConnectorError(f"{said} ({hint})", permanent=True, status=status)
    if status >= 500 and response.headers.get("Retry-After"):
        return ConnectorError(said, retry_after=retry_after_seconds(response.headers["Retry-After"]), status=status)
    return ConnectorError(said, permanent=status < 500 and status not in (408, 425), status=status)


def _error_detail(response: requests.Response) -> str:
    """The message of a JSON error body (`{"error": ...}` or `{"message": ...}`), if there is one."""
    body = json_object(response) or {}
    detail = body.get("error") or body.get("message") or ""
    if isinstance(detail, dict):
        detail = detail.get("message") or ""
    return str(detail)[:300]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header: a number of seconds or an
    HTTP date; a minute when it is missing or unreadable."""
    if not value or not value.strip():
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    return max(1.0, seconds) if math.isfinite(seconds) else DEFAULT_RETRY_AFTER


def feed_key(url: str) -> str:
    """Reviews are stored as `<feed key>:<the site's id>`: two sites that
    both number their reviews 1, 2, 3 do not collide."""
    return hashlib.sha1(url.encode()).hexdigest()[:FEED_KEY_LENGTH]


def site_review_id(external_id: str) -> str:
    key, separator, review_id = external_id.partition(":")
    if separator and len(key) == FEED_KEY_LENGTH and all(c in "0123456789abcdef" for c in key):
        return review_id
    return external_id


def _normalised(text: str) -> str:
    return " ".join(text.split())
