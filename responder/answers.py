"""An agent's answer to one chosen post of a ticket, from the web or the
API, queued once per idempotency key; and the post closeloop's own
messages (follow-ups, incidents' updates) go under."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.settings import Settings
from responder.channels import direct_message_refusal, reply_channel
from responder.outbox import queue_reply, queued_before
from store.answers import PostState, default_target, post_states
from store.errors import Refused
from store.incidents import matches
from store.models import Agent, Incident, Mention, Reply, Ticket

MAX_IDEMPOTENCY_KEY = 100


def queue_answer(session: Session, ticket: Ticket, body: str, agent: Agent, now: datetime, settings: Settings, *,
                 in_reply_to: int | None = None, force: bool = False, idempotency_key: str | None = None) -> Reply:
    """Queue the answer to post `in_reply_to` (a mention id; by default
    the post default_target picks), in the channel that post is answered
    in. A post already answered is answered again only with `force`. The
    same idempotency key returns the reply queued the first time, also
    when two submits race: the loser's insert hits the unique key."""
    if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Refused(f"the idempotency key is longer than {MAX_IDEMPOTENCY_KEY} characters", 400)
    existing = queued_before(session, ticket, idempotency_key, body)
    if existing is not None:
        return existing
    state = chosen_post(ticket, in_reply_to)
    if state.answer is not None and not force:
        raise Refused(_answered_already(state), 409, answered_by=state.answer.reply.id if state.answer.reply else None)
    channel = reply_channel(settings, ticket, state.post)
    refusal = direct_message_refusal(session, channel, state.post, now)
    if refusal is not None:
        raise Refused(refusal, 409)
    try:
        with session.begin_nested():
            return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel,
                               post=state.post)
    except IntegrityError:
        if not idempotency_key:
            raise
        return queue_reply(session, ticket, body, agent, now, idempotency_key=idempotency_key, channel=channel,
                           post=state.post)


def chosen_post(ticket: Ticket, in_reply_to: int | None) -> PostState:
    """The post an answer goes to, with what answered it so far: the one
    named, which must be the ticket's, or the default."""
    states = post_states(ticket)
    if in_reply_to is None:
        target = default_target(states)
        if target is None:
            raise Refused(f"ticket {ticket.id} has no customer post to answer", 409)
        in_reply_to = target.id
    found = next((s for s in states if s.post.id == in_reply_to), None)
    if found is None:
        raise Refused(f"ticket {ticket.id} has no post {in_reply_to}: answer one of its own posts", 422)
    return found


def _answered_already(state: PostState) -> str:
    answer = state.answer
    how = f"reply {answer.reply.id}" if answer.reply else "outside closeloop"
    return (f"{answer.by or 'closeloop'} answered post {state.post.id} already ({how}); "
            "a second answer must be confirmed (force)")


def followup_target(ticket: Ticket) -> Mention | None:
    """A follow-up asks whether the fix worked: under the post an agent's
    latest answer went to, else the default."""
    answered = [r.mention for r in ticket.replies if r.purpose == "answer" and r.status != "failed"
                and r.mention in ticket.mentions]
    return answered[-1] if answered else default_target(post_states(ticket))


def update_target(ticket: Ticket, incident: Incident) -> Mention | None:
    """An incident's update: under the newest post its rule matches (the
    post about the incident), else the default."""
    about = [m for m in ticket.mentions if matches(incident, ticket, m)]
    return about[-1] if about else default_target(post_states(ticket))
