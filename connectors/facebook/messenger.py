"""Direct messages through the Messenger Platform, for a Facebook page
(Messenger) and the Instagram professional account linked to it: the
page's conversations are read with the conversations API
(`/{page-id}/conversations?platform=...`, then `/{conversation-id}/messages`)
and answers sent with `POST /{page-id}/messages`.

Meta allows standard messages only within 24 hours of the customer's last
message. A Messenger page whose app was granted the human agent feature
may answer up to 7 days after it with the HUMAN_AGENT tag (the account
setting `human_agent_tag = true`). An answer outside the window is refused
before it is sent, with the rule in words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from connectors.base import Batch, ConnectorError, PostedReply
from connectors.facebook.messages import inbox_url, parse_message
from connectors.facebook.parse import batch_from, utc_time

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
# Graph's code 10 with this subcode: "This message is sent outside of allowed window."
OUTSIDE_WINDOW_SUBCODE = 2018278
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"
HUMAN_AGENT_PLATFORMS = frozenset({"facebook"})
ANSWER_ELSEWHERE = "Answer in a comment on their post instead, or wait until the customer writes again."


class OutsideWindow(ConnectorError):
    """Graph refused a message as sent outside the messaging window."""


def human_agent_allowed(platform: str, account) -> bool:
    """Whether answers may use the HUMAN_AGENT tag: Messenger accounts
    with `human_agent_tag = true` (the app must have the permission)."""
    value = (getattr(account, "model_extra", None) or {}).get("human_agent_tag")
    return platform in HUMAN_AGENT_PLATFORMS and value in (True, "true", "1", "yes")


def window_of(platform: str, account) -> timedelta:
    return HUMAN_AGENT_WINDOW if human_agent_allowed(platform, account) else STANDARD_WINDOW


def window_rule(label: str, human_agent: bool) -> str:
    """The rule, as the agent reads it when an answer is refused."""
    if human_agent:
        return (f"{label} lets a page answer a direct message within 24 hours of the customer's last message, "
                "and a person on the team within 7 days of it (the HUMAN_AGENT tag)")
    return f"{label} lets a business answer a direct message only within 24 hours of the customer's last message"


def outside_window(label: str, human_agent: bool, last_message_at: datetime | None, now: datetime) -> str | None:
    """Why a direct message cannot be sent now, or None when it can."""
    window = HUMAN_AGENT_WINDOW if human_agent else STANDARD_WINDOW
    if last_message_at is not None and now - last_message_at <= window:
        return None
    when = ("the customer has not written to the brand by direct message" if last_message_at is None
            else f"the customer last wrote {_ago(now - last_message_at)} ago "
                 f"({last_message_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)")
    return f"{window_rule(label, human_agent)}; {when}. {ANSWER_ELSEWHERE}"


class Messaging:
    """Direct messages for a Graph connector: read conversations, send
    within the window, find a sent message again. The connector provides
    `page_id`, `brand_id` (the id its own messages come from), `label`,
    `messaging_label` (how the rule names the platform),
    `platform`, `messaging_platform`, `human_agent`, `max_message_length`,
    `_call` and `_edge`."""

    messaging_platform = "messenger"
    human_agent = False
    can_message = True

    @classmethod
    def window_refusal(cls, account, last_message_at: datetime | None, now: datetime) -> str | None:
        """Why an answer by direct message through `account` is refused now,
        given the customer's last message; None when it may be sent."""
        return outside_window(cls.messaging_label, human_agent_allowed(cls.platform, account), last_message_at, now)

    def fetch_messages(self, cursor: str | None, floor: int | None) -> Batch:
        """Messages of the conversations updated since `floor`, both ways."""
        return batch_from(self._messages_since(floor), cursor)

    def _messages_since(self, floor: int | None) -> Iterator[tuple[Any, Any]]:
        parse = partial(parse_message, platform=self.platform, brand_id=self.brand_id)
        for conversation in self._conversations(floor=floor):
            yield from ((raw, parse) for raw in self._edge(conversation, "messages", floor, "reading messages",
                                                           self._gone, fields=MESSAGE_FIELDS))

    def _conversations(self, floor: int | None = None, user_id: str | None = None) -> Iterator[str]:
        """Conversation ids, most recently updated first, down to `floor`."""
        args = {"platform": self.messaging_platform, "fields": "id,updated_time"}
        if user_id:
            args["user_id"] = user_id
        for raw in self._edge(self.page_id, "conversations", None, "reading conversations", self._gone, **args):
            updated = utc_time(raw.get("updated_time")) if isinstance(raw, dict) else None
            if floor is not None and updated is not None and updated.timestamp() < floor:
                return
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                yield raw["id"]

    @property
    def _gone(self) -> str:
        return f"page {self.page_id} does not exist or is not visible with this token"

    def _thread(self, user_id: str, action: str) -> Iterator[dict]:
        """The messages with one customer, newest first."""
        for conversation in self._conversations(user_id=user_id):
            for raw in self._edge(conversation, "messages", None, action, self._gone, fields=MESSAGE_FIELDS):
                if isinstance(raw, dict):
                    yield raw
            return

    def _last_customer_message(self, user_id: str) -> datetime | None:
        for raw in self._thread(user_id, "checking the messaging window"):
            sender = raw.get("from") if isinstance(raw.get("from"), dict) else {}
            if sender.get("id") == user_id:
                return utc_time(raw.get("created_time"))
        return None

    def send_message(self, recipient_user_id: str, text: str) -> PostedReply:
        """Send within the window (by the conversation's own record of the
        customer's last message); refused before sending outside it."""
        if not text.strip():
            raise ConnectorError(f"an empty direct message cannot be sent on {self.label}", permanent=True)
        if len(text) > self.max_message_length:
            raise ConnectorError(f"a direct message on {self.label} can have at most {self.max_message_length} "
                                 f"characters; this one has {len(text)}", permanent=True)
        now = datetime.now(timezone.utc)
        last = self._last_customer_message(recipient_user_id)
        refusal = outside_window(self.messaging_label, self.human_agent, last, now)
        if refusal is not None:
            raise ConnectorError(refusal, permanent=True, status=400)
        args = {"recipient": json.dumps({"id": recipient_user_id}), "message": json.dumps({"text": text}),
                "messaging_type": "RESPONSE"}
        if now - last > STANDARD_WINDOW:
            args.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
        try:
            answer = self._call("sending a direct message", self._gone, f"{self.page_id}/messages", post=args)
        except OutsideWindow as error:
            raise ConnectorError(f"{window_rule(self.messaging_label, self.human_agent)}; {self.label} refused "
                                 f"this one as outside it. {ANSWER_ELSEWHERE}", permanent=True,
                                 status=error.status) from None
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ConnectorError(f"{self.label} took the direct message without its id; it may have been sent")
        return PostedReply(external_id=message_id, url=inbox_url(self.platform, recipient_user_id),
                           conversation_id=recipient_user_id)

    def find_message(self, recipient_user_id: str, text: str, since_id: str | None = None) -> PostedReply | None:
        """The brand's newest message to this customer with this text, sent
        after the message `since_id` when that is given."""
        wanted = " ".join(text.split())
        for raw in self._thread(recipient_user_id, "looking for a direct message"):
            if since_id is not None and raw.get("id") == since_id:
                return None
            sender = raw.get("from") if isinstance(raw.get("from"), dict) else {}
            body = raw.get("message")
            if (sender.get("id") == self.brand_id and isinstance(body, str) and " ".join(body.split()) == wanted
                    and isinstance(raw.get("id"), str)):
                return PostedReply(external_id=raw["id"], url=inbox_url(self.platform, recipient_user_id),
                                   conversation_id=recipient_user_id)
        return None


def _ago(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.0f} days"
