"""An agent's answer to a ticket, from the web or the API, queued once per
idempotency key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.channels import ReplyChannel
from responder.outbox import queue_reply
from store.errors import Refused
from store.models import Agent, Reply, Ticket

MAX_IDEMPOTENCY_KEY = 100


def queue_answer(session: Session, ticket: Ticket, body: str, agent: Agent, now: datetime,
                 idempotency_key: str | None, channel: ReplyChannel) -> Reply:
    """Queue the answer once per idempotency key, also when two submits
    race: the loser's insert hits the unique key, and it returns the
    winner's reply."""
    if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Refused(f"the idempotency key is longer than {MAX_IDEMPOTENCY_KEY} characters", 400)
    try:
        with session.begin_nested():
            return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel)
    except IntegrityError:
        if not idempotency_key:
            raise
        return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel)
