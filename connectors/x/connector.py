"""X (Twitter) through tweepy's API v2 `Client`: mentions of the brand and
recent search, polled with since_id, and the brand's direct messages, read
down to the newest one seen; replies and direct messages sent with OAuth 1.0a.

tweepy logs request headers (credentials included) at DEBUG, so its logger
is held at WARNING."""

from __future__ import annotations

import html
import logging
import time
from functools import partial
from typing import Any, Callable, Iterator

import requests
import tweepy
from requests.adapters import HTTPAdapter

from connectors.base import AccessCheck, Batch, ConnectorError, PostedReply, SourceKind, json_object
from connectors.x.messages import MESSAGE_FIELDS, is_older, message_url, messages_batch, reaches
from connectors.x.moderation import XModeration
from connectors.x.parse import batch_from_pages, by_id, missing_authors, replied_to

logging.getLogger("tweepy").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

API_HOST = "https://api.twitter.com"
OAUTH_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# note_tweet holds the whole text of a post longer than 280 characters.
TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "public_metrics", "lang", "note_tweet"]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
MEDIA_FIELDS = ["url", "preview_image_url", "type", "alt_text", "width", "height"]
DEFAULT_RETRY_AFTER = 60.0
# What to do about X's 403 answers, by the problem they name (`reason`, or
# the end of `type`, or `title`).
FORBIDDEN_FIXES = {
    "client-not-enrolled": "the X app's access tier does not include this endpoint: reading mentions and recent "
                           "search need the Basic tier or above, with the app in a Project (developer portal, "
                           "Products)",
    "oauth1-permissions": "the app's permissions do not include this: set 'Read and write and Direct message' in "
                          "the app's user authentication settings, then generate the access token and secret again",
    "Unsupported Authentication": f"this call needs the account's OAuth 1.0a keys: {', '.join(OAUTH_KEYS)}",
}


class _ApiAdapter(HTTPAdapter):
    """tweepy fixes X's address and sets no timeout. Mounted for X's address
    on tweepy's own `Client.session`, this adapter gives every call a
    timeout and sends it to `base_url` when one is set (signed for X's
    address, as tweepy signed it)."""

    def __init__(self, base_url: str | None, timeout: float):
        super().__init__()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout

    def send(self, request, timeout=None, **kwargs):
        if self.base_url:
            request.url = self.base_url + request.url[len(API_HOST):]
        return super().send(request, timeout=timeout or self.timeout, **kwargs)


class XConnector(XModeration):
    """One X account. Calls are signed with OAuth 1.0a when its four keys
    are set, else carry the bearer token, with which X refuses to post."""

    platform = "x"
    account_keys = ("bearer_token", *OAUTH_KEYS, "user_id", "handle")
    max_reply_length = 280
    max_message_length = 10000
    can_reply = True
    can_message = True
    media_hosts = ("pbs.twimg.com", "video.twimg.com")
    source_kinds = {"mentions": SourceKind(), "search": SourceKind("the search query"),
                    "direct_messages": SourceKind()}

    @staticmethod
    def reply_length(text: str) -> int:
        """X's weighted count (twitter-text): most characters past the Latin,
        Greek and Cyrillic scripts, and every emoji, count two; a link
        counts 23 however long. Imported when first asked: twitter-text
        compiles its patterns for a fifth of a second."""
        from twitter_text import parse_tweet

        return parse_tweet(text).weightedLength

    def __init__(self, bearer_token: str | None = None, consumer_key: str | None = None,
                 consumer_secret: str | None = None, access_token: str | None = None,
                 access_token_secret: str | None = None, user_id: str | None = None,
                 handle: str | None = None, base_url: str | None = None, timeout: float = 15.0,
                 page_size: int = 100, max_pages: int = 50):
        oauth = dict(zip(OAUTH_KEYS, (consumer_key, consumer_secret, access_token, access_token_secret)))
        missing = [key for key, value in oauth.items() if not value]
        if 0 < len(missing) < len(OAUTH_KEYS):
            raise ConnectorError(f"X account is missing {', '.join(missing)}: OAuth 1.0a needs all four of "
                                 f"{', '.join(OAUTH_KEYS)}", permanent=True)
        if missing and not bearer_token:
            raise ConnectorError("X account has no credentials: set bearer_token (reading only) or "
                                 f"{', '.join(OAUTH_KEYS)} (reading and replying)", permanent=True)
        self.user_auth = not missing
        self.client = tweepy.Client(bearer_token, consumer_key, consumer_secret, access_token,
                                    access_token_secret, return_type=dict, wait_on_rate_limit=False)
        self.session = self.client.session
        self.session.mount(f"{API_HOST}/", _ApiAdapter(base_url, timeout))
        self.timeout = timeout
        self.user_id = user_id
        self.handle = handle
        self.page_size = page_size
        self.max_pages = max_pages

    @classmethod
    def replies_with(cls, account) -> bool:
        return True

    @classmethod
    def from_account(cls, account, *, timeout: float) -> XConnector:
        """Build from an AccountSettings; a secret that cannot be read is a permanent error."""
        from config.settings import ConfigError

        try:
            values = {key: account.credential(key) for key in cls.account_keys}
        except ConfigError as error:
            raise ConnectorError(f"X account credentials cannot be read: {error}", permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout)

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """Every post newer than `cursor` (a since_id), oldest first. A
        search source's query is its `query`, or else its target."""
        if kind == "direct_messages":
            return self._direct_messages(cursor)
        target = query or target
        fields = {"since_id": cursor, "expansions": ["author_id", "attachments.media_keys"],
                  "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS, "media_fields": MEDIA_FIELDS,
                  "user_auth": self.user_auth}
        if kind == "mentions":
            call = partial(self.client.get_users_mentions, self.brand_user_id())
            pages = self._pages(call, "pagination_token", max_results=_clamp(self.page_size, 5), **fields)
        elif kind == "search":
            if not target or not target.strip():
                raise ConnectorError("an X search source needs a query as its target", permanent=True)
            self.brand_user_id()
            call = partial(self.client.search_recent_tweets, target)
            pages = self._pages(call, "next_token", max_results=_clamp(self.page_size, 10), **fields)
        else:
            raise ConnectorError(f"X has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        pages = list(pages)
        return batch_from_pages(pages, cursor, self.user_id, self._authors(missing_authors(pages)))

    def check_access(self, kind: str, target: str, query: str = "") -> AccessCheck:
        """Who the account is (`GET /2/users/me`, which every access tier
        answers; by user_id with an app-only bearer token). Mentions need
        nothing more. A search source makes one search of ten posts (X's
        least) and a direct-message source reads one message: only such a
        read shows the access tier or the app permission they need."""
        if kind not in self.source_kinds:
            raise ConnectorError(f"X has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                                 permanent=True)
        if self.user_auth:
            found = self._call("looking up the signed-in account", self.client.get_me, user_auth=True)
        elif self.user_id:
            found = self._call("looking up the account", self.client.get_user, id=self.user_id, user_auth=False)
        else:
            raise ConnectorError("an X account with only a bearer_token cannot say who it is: set its user_id, or "
                                 f"the OAuth 1.0a keys {', '.join(OAUTH_KEYS)}", permanent=True, status=403)
        user = found.get("data") or {}
        self.user_id, self.handle = str(user.get("id") or self.user_id), user.get("username") or self.handle
        identity = f"@{self.handle} (id {self.user_id})"
        try:
            if kind == "search":
                self._call("searching recent posts", self.client.search_recent_tweets, query or target,
                           max_results=10, user_auth=self.user_auth)
            elif kind == "direct_messages":
                self._needs_user_context("reading direct messages")
                self._call("reading direct messages", self.client.get_direct_message_events, max_results=1,
                           event_types="MessageCreate", user_auth=True)
        except ConnectorError as error:
            if error.status not in (401, 403):
                raise
            return AccessCheck(identity, False, error.message)
        return AccessCheck(identity, True, {"mentions": "mentions readable", "search": "recent search readable",
                                            "direct_messages": "direct messages readable"}[kind])

    def _authors(self, user_ids: list[str]) -> dict[str, dict]:
        """Authors a page's includes left out (X does, for some withheld or
        suspended accounts), asked for in one call per hundred. Those X
        cannot find are left out: their posts are quarantined."""
        found: dict[str, dict] = {}
        for start in range(0, len(user_ids), 100):
            response = self._call("looking up authors", self.client.get_users, ids=user_ids[start:start + 100],
                                  user_fields=USER_FIELDS, user_auth=self.user_auth, partial=True)
            found.update(by_id(response.get("data")))
        return found

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted on X", permanent=True)
        length = self.reply_length(text)
        if length > self.max_reply_length:
            raise ConnectorError(f"a reply on X can have at most {self.max_reply_length} characters; "
                                 f"this one counts {length}", permanent=True)
        try:
            response = self._call("posting a reply", self.client.create_tweet, text=text,
                                  in_reply_to_tweet_id=in_reply_to, user_auth=self.user_auth)
        except ConnectorError as error:
            if error.status == 403 and not self.user_auth:
                raise ConnectorError(f"{error.message}. Replying needs the account's OAuth 1.0a keys: "
                                     f"{', '.join(OAUTH_KEYS)}", permanent=True, status=403) from None
            raise
        tweet_id = str(response["data"]["id"])
        return PostedReply(external_id=tweet_id, url=self._url(tweet_id))

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        """Our reply is newer than the post it answers, so the brand's
        timeline is read only back to that post."""
        wanted = _normalised(text)
        timeline = partial(self.client.get_users_tweets, self.brand_user_id())
        for page in self._pages(timeline, "pagination_token", since_id=in_reply_to, max_results=100,
                                tweet_fields=["referenced_tweets"], user_auth=self.user_auth):
            for tweet in page.get("data", []):
                if replied_to(tweet) == str(in_reply_to) and _normalised(tweet.get("text", "")) == wanted:
                    return PostedReply(external_id=str(tweet["id"]), url=self._url(str(tweet["id"])))
        return None

    def send_message(self, recipient_user_id: str, text: str) -> PostedReply:
        if not text.strip():
            raise ConnectorError("an empty direct message cannot be sent on X", permanent=True)
        if len(text) > self.max_message_length:
            raise ConnectorError(f"a direct message on X can have at most {self.max_message_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
        self._needs_user_context("sending a direct message")
        response = self._call("sending a direct message", self.client.create_direct_message,
                              participant_id=recipient_user_id, text=text, user_auth=True)
        data = response.get("data") or {}
        event_id, conversation_id = data.get("dm_event_id"), data.get("dm_conversation_id")
        if not event_id or not conversation_id:
            raise ConnectorError("X took the direct message without its ids; it may have been sent")
        return PostedReply(external_id=str(event_id), url=message_url(str(conversation_id)),
                           conversation_id=str(conversation_id))

    def find_message(self, recipient_user_id: str, text: str, since_id: str | None = None) -> PostedReply | None:
        """The brand's newest direct message to this user with this text,
        read back to `since_id` (the post it answers) when given. Without
        it an identical older message counts too: then a message may go
        unsent, never twice."""
        self._needs_user_context("looking for a direct message")
        wanted = _normalised(text)
        brand = self.brand_user_id()
        conversation = partial(self.client.get_direct_message_events, participant_id=recipient_user_id)
        for page in self._pages(conversation, "pagination_token", stop=partial(reaches, cursor=since_id),
                                action="looking for a direct message", dm_event_fields=MESSAGE_FIELDS,
                                event_types="MessageCreate", max_results=100, user_auth=True):
            for event in page.get("data", []):
                if is_older(event.get("id"), since_id):
                    return None
                if event.get("sender_id") == brand and _normalised(event.get("text", "")) == wanted:
                    conversation_id = str(event.get("dm_conversation_id") or "")
                    return PostedReply(external_id=str(event["id"]), url=message_url(conversation_id),
                                       conversation_id=conversation_id or None)
        return None

    def _direct_messages(self, cursor: str | None) -> Batch:
        """The brand's direct messages, sent and received, newer than
        `cursor`. X offers no since_id here: pages are read newest first
        until one reaches the cursor."""
        self._needs_user_context("reading direct messages")
        brand = self.brand_user_id()
        pages = self._pages(self.client.get_direct_message_events, "pagination_token",
                            stop=partial(reaches, cursor=cursor), action="reading direct messages",
                            dm_event_fields=MESSAGE_FIELDS, event_types="MessageCreate",
                            expansions=["sender_id", "attachments.media_keys"], media_fields=MEDIA_FIELDS,
                            user_fields=USER_FIELDS, max_results=_clamp(self.page_size, 1), user_auth=True)
        return messages_batch(list(pages), cursor, brand)

    def _needs_user_context(self, action: str) -> None:
        if not self.user_auth:
            raise ConnectorError(f"X allows {action} only with the account's OAuth 1.0a keys: "
                                 f"{', '.join(OAUTH_KEYS)}", permanent=True, status=403)

    def brand_user_id(self) -> str:
        """The brand account's id, configured or asked of X once; every
        fetch needs it to recognise the brand's own posts. An app-only
        bearer token cannot ask, so such an account must set user_id."""
        if self.user_id is None:
            try:
                response = self._call("looking up the brand account", self.client.get_me,
                                      user_auth=self.user_auth)
            except ConnectorError as error:
                if error.status == 403 and not self.user_auth:
                    raise ConnectorError(f"{error.message}. Set user_id for this X account", permanent=True,
                                         status=403) from None
                raise
            self.user_id = str(response["data"]["id"])
            self.handle = self.handle or response["data"].get("username")
        return self.user_id

    def _pages(self, call: Callable[..., dict], token_name: str, stop: Callable[[dict], bool] | None = None,
               action: str = "reading posts", **params) -> Iterator[dict]:
        """Follow next_token up to max_pages, or until `stop` says a page
        is the last one needed; each page as X sent it."""
        token = None
        for _ in range(self.max_pages):
            page = self._call(action, call, **params, **({token_name: token} if token else {}))
            yield page
            token = page.get("meta", {}).get("next_token")
            if not token or (stop is not None and stop(page)):
                return
        log.warning("X had more than %d pages of posts; the older ones are left out", self.max_pages)

    def _call(self, action: str, method: Callable[..., Any], *args, partial: bool = False, **kwargs) -> dict:
        """One tweepy call; whatever fails leaves as a ConnectorError. An
        answer with only `errors` is a refusal, unless `partial` (a look-up
        where finding none is an answer too)."""
        try:
            response = method(*args, **kwargs)
        except tweepy.TweepyException as error:
            raise _connector_error(error, action) from None
        except requests.Timeout:
            raise ConnectorError(f"X did not answer within {self.timeout:g} s while {action}") from None
        except requests.JSONDecodeError:
            raise ConnectorError(f"X answered with something that is not JSON while {action}") from None
        except requests.RequestException as error:
            raise ConnectorError(f"X could not be reached while {action}: {error}") from None
        if "data" not in response and response.get("errors") and not partial:
            details = "; ".join(str(e.get("detail") or e.get("message") or e) for e in response["errors"])
            raise ConnectorError(f"X refused {action}: {details}", permanent=True)
        return response

    def _url(self, tweet_id: str) -> str:
        return f"https://x.com/{self.handle or 'i/web'}/status/{tweet_id}"


def _connector_error(error: tweepy.TweepyException, action: str) -> ConnectorError:
    if not isinstance(error, tweepy.HTTPException):
        return ConnectorError(f"X call failed while {action}: {error}")
    status = error.response.status_code
    reason = f"{status} {error.response.reason}"
    detail = "; ".join(error.api_messages) or reason
    if isinstance(error, tweepy.TooManyRequests):
        retry_after = _seconds_until_reset(error.response.headers)
        return ConnectorError(f"X rate limit reached while {action}; calls resume in {retry_after:.0f} s",
                              retry_after=retry_after, status=429)
    if isinstance(error, tweepy.Unauthorized):
        return ConnectorError(f"X rejected the credentials of this account ({reason}): check the tokens",
                              permanent=True, status=status)
    if isinstance(error, tweepy.Forbidden):
        fix = _forbidden_fix(error.response)
        said = f"X refused {action} ({reason}): {detail}"
        return ConnectorError(f"{said.rstrip('.')}. Fix: {fix}" if fix else said, permanent=True, status=status)
    if isinstance(error, (tweepy.BadRequest, tweepy.NotFound)):
        return ConnectorError(f"X rejected {action} ({reason}): {detail}", permanent=True, status=status)
    return ConnectorError(f"X failed while {action} ({reason}): {detail}", status=status)


def _forbidden_fix(response: requests.Response) -> str | None:
    """What to change for a 403, where X's problem says which access it lacks."""
    body = json_object(response) or {}
    names = (body.get("reason"), str(body.get("type") or "").rpartition("/")[2], body.get("title"))
    return next((FORBIDDEN_FIXES[name] for name in names if name in FORBIDDEN_FIXES), None)


def _seconds_until_reset(headers) -> float:
    """From x-rate-limit-reset (unix seconds); a minute when it is missing."""
    try:
        return max(1.0, int(headers["x-rate-limit-reset"]) - time.time())
    except (KeyError, ValueError):
        return DEFAULT_RETRY_AFTER


def _normalised(text: str) -> str:
    """X returns &, < and > escaped and may trim spaces."""
    return " ".join(html.unescape(text).split())


def _clamp(size: int, low: int) -> int:
    return max(low, min(100, size))
