"""A scripted connector and builders for the listener and outbox tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from connectors.base import Author, Batch, ConnectorError, InboundPost, PostedReply, SkippedItem

_ids = itertools.count(1000)


def direct_message(text: str, handle: str = "maria", conversation_id: str | None = None) -> InboundPost:
    """A customer's direct message to the brand on X, in their one conversation with it."""
    external_id = str(next(_ids))
    return InboundPost(
        platform="x", external_id=external_id, kind="direct_message", text=text,
        author=Author(platform_user_id=f"u-{handle}", handle=handle, name=handle.title(), followers=100),
        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc), url=f"https://x.com/messages/{handle}",
        conversation_id=conversation_id or f"acme-{handle}", raw={"id": external_id},
    )


def post(text: str, handle: str = "maria", *, followers: int = 100, external_id: str | None = None,
         by_brand: bool = False, in_reply_to: str | None = None) -> InboundPost:
    external_id = external_id or str(next(_ids))
    return InboundPost(
        platform="x", external_id=external_id, kind="reply" if in_reply_to else "post", text=text,
        author=Author(platform_user_id=f"u-{handle}", handle=handle, name=handle.title(), followers=followers),
        created_at=datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc), url=f"https://x.com/{handle}/status/{external_id}",
        conversation_id=external_id, in_reply_to=in_reply_to, by_brand=by_brand, raw={"id": external_id},
    )


def batch(*posts: InboundPost, cursor: str = "c1", skipped: list[SkippedItem] | None = None) -> Batch:
    return Batch(posts=list(posts), cursor=cursor, skipped=skipped or [])


class ScriptedConnector:
    """Answers fetches from a script of batches or errors, and keeps what
    was posted and sent by direct message (to the recipient's conversation
    "acme-<handle>"), like a platform would."""

    platform = "x"
    max_reply_length = 280
    can_message = True

    def __init__(self, *script):
        self.script = list(script)
        self.fetches: list[tuple[str, str, str | None]] = []
        self.posted: list[tuple[str, str, str]] = []
        self.messages: list[tuple[str, str, str]] = []
        self.post_errors: list[BaseException] = []
        self.crash_after_posting = False

    def fetch(self, kind, target, cursor, query=""):
        self.fetches.append((kind, target, cursor))
        step = self.script.pop(0) if self.script else Batch(posts=[], cursor=cursor)
        if isinstance(step, BaseException):
            raise step
        return step

    def post_reply(self, in_reply_to, text):
        if self.post_errors:
            raise self.post_errors.pop(0)
        reply_id = f"r{len(self.posted) + 1}"
        self.posted.append((reply_id, in_reply_to, text))
        if self.crash_after_posting:
            raise ProcessDied()
        return PostedReply(reply_id, f"https://x.com/acme/status/{reply_id}")

    def find_reply(self, in_reply_to, text):
        """The newest match, as the platforms' look-ups answer."""
        for reply_id, parent, body in reversed(self.posted):
            if parent == in_reply_to and body == text:
                return PostedReply(reply_id, f"https://x.com/acme/status/{reply_id}")
        return None

    def send_message(self, recipient_user_id, text):
        if self.post_errors:
            raise self.post_errors.pop(0)
        message_id = f"dm{len(self.messages) + 1}"
        self.messages.append((message_id, recipient_user_id, text))
        if self.crash_after_posting:
            raise ProcessDied()
        return _message(message_id, recipient_user_id)

    def find_message(self, recipient_user_id, text, since_id=None):
        for message_id, recipient, body in reversed(self.messages):
            if recipient == recipient_user_id and body == text:
                return _message(message_id, recipient)
        return None


def _message(message_id: str, recipient_user_id: str) -> PostedReply:
    conversation = "acme-" + recipient_user_id.removeprefix("u-")
    return PostedReply(message_id, f"https://x.com/messages/{conversation}", conversation)


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing after it runs."""


def rate_limited(seconds: float = 120) -> ConnectorError:
    return ConnectorError("429 Too Many Requests", retry_after=seconds, status=429)
