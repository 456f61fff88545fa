"""The JSON shapes of the API. Times are UTC, ISO 8601."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from store.answers import PostState, answers_needed, default_target, post_states, unanswered
from store.corrections import NeedsResponse
from store.models import Agent, Customer, Event, Identity, Mention, Reply, Source, Ticket
from web.media import media_json


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def agent_json(agent: Agent | None) -> dict[str, Any] | None:
    return None if agent is None else {"id": agent.id, "email": agent.email, "name": agent.name}


def ticket_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    left = ticket.time_left(now)
    return {
        "id": ticket.id,
        "status": ticket.status,
        "priority": ticket.priority,
        "topic": ticket.topic,
        "team": ticket.team,
        "platform": ticket.platform,
        "customer": {"id": ticket.customer.id, "display_name": ticket.customer.display_name},
        "assignee": agent_json(ticket.assignee),
        "assignment_reason": ticket.assignment_reason,
        "created_at": iso(ticket.created_at),
        "first_response_due_at": iso(ticket.first_response_due_at),
        "first_response_at": iso(ticket.first_response_at),
        "next_response_due_at": iso(ticket.next_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "resolved_at": iso(ticket.resolved_at),
        "snoozed_until": iso(ticket.snoozed_until),
        "incident_id": ticket.incident_id,
        "followup_state": ticket.followup_state,
        "followup_due_at": iso(ticket.followup_due_at),
        "followup_answer": ticket.followup_answer,
        "breached": ticket.is_breached(now) or ticket.first_response_breached,
        "time_left_seconds": None if left is None else int(left.total_seconds()),
    }


def ticket_detail_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    states = post_states(ticket)
    target = default_target(states)
    return {
        **ticket_json(ticket, now),
        "customer": customer_json(ticket.customer),
        "mentions": [{**mention_json(s.post), **answer_json(s)} for s in states],
        "posts_needing_answer": [p.id for p in unanswered(states)],
        "answers_needed": answers_needed(states),
        "default_target": target.id if target else None,
        "replies": [reply_json(r) for r in ticket.replies],
        "events": [event_json(e) for e in ticket.events],
    }


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "display_name": customer.display_name,
        "tier": customer.tier,
        "email": customer.email,
        "crm_id": customer.crm_id,
        "contact_opt_out": customer.contact_opt_out_at is not None,
        "identities": [identity_json(i) for i in customer.identities],
    }


def identity_json(identity: Identity) -> dict[str, Any]:
    return {
        "platform": identity.platform,
        "platform_user_id": identity.platform_user_id,
        "handle": identity.handle,
        "name": identity.name,
        "followers": identity.followers,
        "verified": identity.verified,
    }


def mention_json(mention: Mention) -> dict[str, Any]:
    author = mention.identity
    return {
        "id": mention.id,
        "external_id": mention.external_id,
        "platform": mention.platform,
        "kind": mention.kind,
        "text": mention.text,
        "url": mention.url,
        "author": {"handle": author.handle, "name": author.name, "followers": author.followers},
        "created_at": iso(mention.created_at),
        "sentiment": mention.sentiment,
        "polarity": mention.polarity,
        "urgency": mention.urgency,
        "needs_response": mention.needs_response_in_force,
        "scorer_needs_response": mention.needs_response,
        "priority": mention.priority,
        "topic": mention.topic,
        "reasons": list(mention.reasons or []),
        "media": media_json(mention),
    }


def needs_response_json(decision: NeedsResponse) -> dict[str, Any]:
    """Who decided whether a person should answer (mention_json gives the
    decision in force and the scorer's word), and when a person did."""
    return {
        "needs_response_by": "person" if decision.by_person else "scorer",
        "needs_response_corrected_by": decision.corrected_by,
        "needs_response_corrected_at": iso(decision.corrected_at),
    }


def answer_json(state: PostState) -> dict[str, Any]:
    """Whether the post needs an answer, and what answered it."""
    answer = state.answer
    return {
        "needs_answer": state.needs_answer,
        "answer": None if answer is None else {
            "by": answer.by, "at": iso(answer.at), "reply_id": answer.reply.id if answer.reply else None,
            "status": answer.reply.status if answer.reply else "answered_elsewhere",
            "url": answer.reply.url if answer.reply else None, "how": answer.how},
    }


def post_json(mention: Mention) -> dict[str, Any]:
    """A post in short, as the answer to it names it."""
    return {"id": mention.id, "external_id": mention.external_id, "kind": mention.kind, "url": mention.url,
            "text": mention.text, "created_at": iso(mention.created_at)}


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "ticket_id": reply.ticket_id,
        "in_reply_to": reply.mention_id,
        "purpose": reply.purpose,
        "channel": reply.channel,
        "body": reply.body,
        "status": reply.status,
        "attempts": reply.attempts,
        "platform_reply_id": reply.platform_reply_id,
        "url": reply.url,
        "last_error": reply.last_error,
        "created_at": iso(reply.created_at),
        "sent_at": iso(reply.sent_at),
    }


def event_json(event: Event) -> dict[str, Any]:
    return {"kind": event.kind, "actor": event.actor, "detail": event.detail, "at": iso(event.at)}


def source_json(source: Source) -> dict[str, Any]:
    return {
        "name": source.name,
        "platform": source.platform,
        "kind": source.kind,
        "status": source.status,
        "enabled": source.enabled,
        "last_polled_at": iso(source.last_polled_at),
        "next_poll_at": iso(source.next_poll_at),
        "last_error": source.last_error,
    }
