"""Platform-neutral records and the one error type every connector raises.
Client-library types and exceptions never leave a connector module."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from datetime import datetime
from typing import Any, Protocol

import requests

POST_KINDS = ("post", "comment", "reply", "review", "direct_message")
# What no database text column takes: NUL (PostgreSQL refuses it) and
# surrogates, which UTF-8 cannot carry (a lone one in a platform's JSON).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """`text` with what a database cannot store replaced by U+FFFD; a
    surrogate pair that arrived as two halves is joined first."""
    if not _UNSTORABLE.search(text):
        return text
    joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return _UNSTORABLE.sub(REPLACEMENT, joined)


def json_object(response: requests.Response) -> dict | None:
    """The response's body when it is a JSON object, else None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class _Storable:
    """Text fields of a record are normalised once, where the record is
    made: every connector's posts are storable, whatever the platform sent.
    The raw payload keeps the original (JSON columns store it escaped)."""

    def __post_init__(self):
        for name in _text_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                kept = storable(value)
                if kept is not value:
                    object.__setattr__(self, name, kept)


@cache
def _text_fields(record: type) -> tuple[str, ...]:
    """The fields of a record that may hold text: all but the raw payload."""
    return tuple(item.name for item in fields(record) if item.name != "raw")


class ConnectorError(Exception):
    """A platform call failed.

    permanent: retrying will not help (401/403, a deleted post, a rejected
    reply); the caller marks the source broken or the reply failed.
    retry_after: seconds until the platform accepts calls again (429).
    status: the HTTP status the platform answered with; None when it gave
    no answer (a timeout), so a send may have arrived.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


class MalformedPayload(ValueError):
    """A payload from the platform lacks what we need; the item is skipped."""


@dataclass(frozen=True)
class Author(_Storable):
    platform_user_id: str
    handle: str
    name: str = ""
    followers: int = 0
    verified: bool = False


MEDIA_KINDS = ("image", "video", "gif")


@dataclass(frozen=True)
class Media(_Storable):
    """A photo or video attached to a post, kept as a reference: where the
    platform serves it, never the file itself."""

    url: str
    kind: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    # A still image for a video, where the platform gives one.
    preview_url: str = ""


@dataclass(frozen=True)
class InboundPost(_Storable):
    platform: str
    external_id: str
    kind: str
    text: str
    author: Author
    created_at: datetime
    url: str = ""
    conversation_id: str | None = None
    in_reply_to: str | None = None
    rating: int | None = None
    by_brand: bool = False
    # The language the platform detected (an ISO 639-1 code), when it says.
    language: str | None = None
    # Written by the platform itself or a community's moderators, not by a
    # customer: it needs a response only when a keyword rule says so.
    from_platform: bool = False
    media: tuple[Media, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SkippedItem:
    """An item of a batch that could not be parsed: quarantined, never
    fatal. `external_id` is the platform's id of it, when it has one."""

    raw: Any
    reason: str
    external_id: str | None = None


@dataclass(frozen=True)
class Batch:
    """What one poll brought: the posts (oldest first), the cursor to store
    with them, what was skipped, and the errors the platform reported beside
    its data (partial results). `acknowledge`, when set, is called once the
    posts are committed (Reddit marks inbox items read only then)."""

    posts: list[InboundPost]
    cursor: str | None
    skipped: list[SkippedItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledge: Callable[[], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PostedReply:
    external_id: str
    url: str
    # The direct-message conversation a message went into, where there is one.
    conversation_id: str | None = None


@dataclass(frozen=True)
class AccessCheck:
    """What a connector's `check_access` found, without polling: who the
    credentials sign in as (the platform's own name for the account, empty
    when it would not say) and whether the source's target is reachable
    with them; `detail` says what works, or what is wrong and what to add."""

    identity: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class SourceKind:
    """One kind of source a platform can be listened to for: `target` says
    what its target is (None: the account's own, no target), and whether
    it needs a keyword query."""

    target: str | None = None
    needs_query: bool = False


class NoDirectMessages:
    """For connectors that do not write to customers by direct message: the
    platform has no such API for a brand, or closeloop does not use it."""

    platform: str
    can_message = False
    max_message_length = 0

    def send_message(self, recipient_user_id: str, text: str) -> PostedReply:
        raise self._no_direct_messages()

    def find_message(self, recipient_user_id: str, text: str, since_id: str | None = None) -> PostedReply | None:
        raise self._no_direct_messages()

    def _no_direct_messages(self) -> ConnectorError:
        return ConnectorError(f"closeloop sends no direct messages on {self.platform}; answer in the thread",
                              permanent=True)


class Connector(Protocol):
    """What a platform's connector class declares, read by everything else
    through `connectors.registry`, and what it does."""

    platform: str
    max_reply_length: int
    # The longest direct message; 0 where it sends none.
    max_message_length: int
    # What a source on this platform can listen to, by kind.
    source_kinds: dict[str, SourceKind]
    # False where the platform offers no way to answer (some review feeds):
    # the agent answers elsewhere and records how.
    can_reply: bool
    # True where the brand can write to a customer by direct message through
    # the API (X); elsewhere send_message and find_message raise a permanent
    # ConnectorError.
    can_message: bool
    # The hosts the platform serves photos and videos from, over https (one
    # starting with "." takes every host under it); read through
    # connectors.registry.media_hosts.
    media_hosts: tuple[str, ...]
    # The keys an account of this platform holds besides those every account
    # has (platform, base_url...): its credentials and options. Start-up
    # refuses any other, which is a misspelt one.
    account_keys: tuple[str, ...]
    # Every HTTP call goes through this session (request budgets hook in here).
    session: requests.Session

    @classmethod
    def replies_with(cls, account) -> bool:
        """Whether replies can be posted with this account's settings."""

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """Posts newer than `cursor` for a source of this kind, target (an
        account, page, subreddit or feed) and keyword query."""

    def check_access(self, kind: str, target: str, query: str = "") -> AccessCheck:
        """Who the credentials are and whether a source of this kind and
        target is reachable, in the fewest and cheapest calls that show it;
        reads no posts unless only a read can show it, and stores nothing.
        A failure to sign in at all raises ConnectorError."""

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        """Publish `text` under the post `in_reply_to`."""

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        """Our newest reply with this text under `in_reply_to`, if one was
        posted: how a send whose outcome is unknown is checked before a
        retry."""

    def send_message(self, recipient_user_id: str, text: str) -> PostedReply:
        """Send `text` by direct message to the user `recipient_user_id`."""

    def find_message(self, recipient_user_id: str, text: str, since_id: str | None = None) -> PostedReply | None:
        """Our newest direct message with this text to `recipient_user_id`,
        if one was sent (after the post `since_id`, when given): how a send
        whose outcome is unknown is checked before a retry."""
