"""X (Twitter) through tweepy's API v2 `Client`: mentions of the brand and
recent search, polled with since_id, and the brand's direct messages, read
down to the newest one seen; replies and direct messages sent with OAuth 1.0a.

tweepy logs request headers (credentials included) at DEBUG, so its logger
is held at WARNING."""

from __future__ import annotations

import html
import logging
import re
import time
from functools import partial
from typing import Any, Callable, Iterator

import requests
import tweepy

from config.clock import parse_utc
from connectors.base import Author, Batch, ConnectorError, InboundPost, MalformedPayload, PostedReply, SkippedItem
from connectors.x_messages import MESSAGE_FIELDS, is_older, message_url, messages_batch, reaches

logging.getLogger("tweepy").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

API_HOST = "https://api.twitter.com"
OAUTH_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "public_metrics", "lang"]
LANGUAGE = re.compile(r"^[a-z]{2}$")
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
DEFAULT_RETRY_AFTER = 60.0


class _Session(requests.Session):
    """tweepy fixes the host and sets no timeout: this session sends its
    calls to `base_url` when one is set and gives every call a timeout."""

    def __init__(self, base_url: str | None, timeout: float):
        super().__init__()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        if self.base_url and url.startswith(API_HOST):
            url = self.base_url + url[len(API_HOST):]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().request(method, url, *args, **kwargs)


class XConnector:
    """One X account. Calls are signed with OAuth 1.0a when its four keys
    are set, else carry the bearer token, with which X refuses to post."""

    platform = "x"
    max_reply_length = 280
    max_message_length = 10000
    can_reply = True
    can_message = True

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
        self.client.session = self.session = _Session(base_url, timeout)
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

        keys = ("bearer_token", *OAUTH_KEYS, "user_id", "handle")
        try:
            values = {key: account.credential(key) for key in keys}
        except ConfigError as error:
            raise ConnectorError(f"X account credentials cannot be read: {error}", permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout)

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """Every post newer than `cursor` (a since_id), oldest first. A
        search source's query is its `query`, or else its target."""
        if kind == "direct_messages":
            return self._direct_messages(cursor)
        target = query or target
        fields = {"since_id": cursor, "expansions": ["author_id"], "tweet_fields": TWEET_FIELDS,
                  "user_fields": USER_FIELDS, "user_auth": self.user_auth}
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
            raise ConnectorError(f"X has no source kind {kind!r} (known: mentions, search, direct_messages)",
                                 permanent=True)
        return batch_from_pages(list(pages), cursor, self.user_id)

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted on X", permanent=True)
        if len(text) > self.max_reply_length:
            raise ConnectorError(f"a reply on X can have at most {self.max_reply_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
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
                if _replied_to(tweet) == str(in_reply_to) and _normalised(tweet.get("text", "")) == wanted:
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
                            dm_event_fields=MESSAGE_FIELDS, event_types="MessageCreate", expansions=["sender_id"],
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

    def _call(self, action: str, method: Callable[..., Any], *args, **kwargs) -> dict:
        """One tweepy call; whatever fails leaves as a ConnectorError."""
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
        if "data" not in response and response.get("errors"):
            details = "; ".join(str(e.get("detail") or e.get("message") or e) for e in response["errors"])
            raise ConnectorError(f"X refused {action}: {details}", permanent=True)
        return response

    def _url(self, tweet_id: str) -> str:
        return f"https://x.com/{self.handle or 'i/web'}/status/{tweet_id}"


def parse_tweet(raw: dict, users: dict[str, dict], brand_user_id: str | None) -> InboundPost:
    """An InboundPost from one tweet of a v2 response (`return_type=dict`)
    and the users of its `includes`, by id."""
    if not isinstance(raw, dict):
        raise MalformedPayload(f"a tweet must be an object, not {type(raw).__name__}")
    tweet_id = raw.get("id")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        raise MalformedPayload(f"tweet has no valid id: {tweet_id!r}")
    text = raw.get("text")
    if not isinstance(text, str):
        raise MalformedPayload(f"tweet {tweet_id} has no text")
    author_id = raw.get("author_id")
    if not author_id:
        raise MalformedPayload(f"tweet {tweet_id} has no author_id")
    user = users.get(author_id)
    if not isinstance(user, dict) or not user.get("username"):
        raise MalformedPayload(f"tweet {tweet_id}: author {author_id} is not in includes.users")
    created_at = parse_utc(raw.get("created_at"))
    if created_at is None:
        raise MalformedPayload(f"tweet {tweet_id} has no valid created_at: {raw.get('created_at')!r}")
    in_reply_to = _replied_to(raw)
    metrics = user.get("public_metrics") or {}
    return InboundPost(
        platform="x",
        external_id=tweet_id,
        kind="reply" if in_reply_to else "post",
        text=html.unescape(text),
        author=Author(platform_user_id=author_id, handle=user["username"], name=user.get("name", ""),
                      followers=int(metrics.get("followers_count") or 0), verified=bool(user.get("verified"))),
        created_at=created_at,
        url=f"https://x.com/{user['username']}/status/{tweet_id}",
        conversation_id=raw.get("conversation_id"),
        in_reply_to=in_reply_to,
        by_brand=brand_user_id is not None and author_id == brand_user_id,
        language=raw["lang"] if isinstance(raw.get("lang"), str) and LANGUAGE.match(raw["lang"]) else None,
        raw={"tweet": raw, "user": user},
    )


def batch_from_pages(pages: list[dict], cursor: str | None, brand_user_id: str | None) -> Batch:
    """The posts of every page, each once and oldest first; what cannot be
    parsed is skipped. The cursor moves to the newest id seen, skipped
    items included, so they are not fetched again."""
    posts: dict[str, InboundPost] = {}
    skipped: list[SkippedItem] = []
    newest = int(cursor) if cursor and cursor.isdigit() else 0
    for page in pages:
        included = page.get("includes", {}).get("users", [])
        users = {u["id"]: u for u in included if isinstance(u, dict) and "id" in u}
        newest_id = page.get("meta", {}).get("newest_id")
        if isinstance(newest_id, str) and newest_id.isdigit():
            newest = max(newest, int(newest_id))
        for raw in page.get("data", []):
            try:
                post = parse_tweet(raw, users, brand_user_id)
            except MalformedPayload as error:
                skipped.append(SkippedItem(raw=raw, reason=str(error)))
                continue
            posts[post.external_id] = post
            newest = max(newest, int(post.external_id))
    ordered = sorted(posts.values(), key=lambda p: int(p.external_id))
    return Batch(posts=ordered, cursor=str(newest) if newest else cursor, skipped=skipped)


def _connector_error(error: tweepy.TweepyException, action: str) -> ConnectorError:
    if not isinstance(error, tweepy.HTTPException):
        return ConnectorError(f"X call failed while {action}: {error}")
    status = error.response.status_code
    reason = f"{status} {error.response.reason}"
    detail = "; ".join(error.api_messages) or reason
    if isinstance(error, tweepy.TooManyRequests):
        retry_after = max(1.0, error.reset_time - time.time()) if error.reset_time else DEFAULT_RETRY_AFTER
        return ConnectorError(f"X rate limit reached while {action}; calls resume in {retry_after:.0f} s",
                              retry_after=retry_after, status=429)
    if isinstance(error, tweepy.Unauthorized):
        return ConnectorError(f"X rejected the credentials of this account ({reason}): check the tokens",
                              permanent=True, status=status)
    if isinstance(error, tweepy.Forbidden):
        return ConnectorError(f"X refused {action} ({reason}): {detail}", permanent=True, status=status)
    if isinstance(error, (tweepy.BadRequest, tweepy.NotFound)):
        return ConnectorError(f"X rejected {action} ({reason}): {detail}", permanent=True, status=status)
    return ConnectorError(f"X failed while {action} ({reason}): {detail}", status=status)


def _replied_to(raw: dict) -> str | None:
    for reference in raw.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to" and reference.get("id"):
            return str(reference["id"])
    return None


def _normalised(text: str) -> str:
    """X returns &, < and > escaped and may trim spaces."""
    return " ".join(html.unescape(text).split())


def _clamp(size: int, low: int) -> int:
    return max(low, min(100, size))
