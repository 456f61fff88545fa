"""An incident is fixed: one status update to every linked customer, each
in their own thread through the outbox (at most once, within the
platform's rate limits, as any reply), and the linked tickets resolve
together, each then getting its follow-up. The fix answers the posts the
incident's rule speaks of; a ticket with other posts waiting for an
answer (an unrelated complaint of the same customer) stays open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from config.settings import Settings, template_placeholders
from responder.answers import update_target
from responder.channels import reply_channel
from responder.followups import resolve_ticket
from responder.outbox import queue_system_reply, retry_reply
from responder.templates import fill_template
from store.answers import overlooked, post_states
from store.errors import Refused
from store.incidents import covers
from store.models import Incident, Reply


@dataclass
class BroadcastReport:
    queued: list[int] = field(default_factory=list)
    unreachable: dict[int, str] = field(default_factory=dict)
    resolved: list[int] = field(default_factory=list)
    # Tickets kept open, with their posts waiting for an answer the update does not give.
    left_open: dict[int, list[int]] = field(default_factory=dict)


def broadcast_fix(session: Session, incident: Incident, message: str, actor: str, settings: Settings,
                  now: datetime, agent_name: str | None = None) -> BroadcastReport:
    """Queue the update for every linked ticket, its placeholders filled in
    for each customer (`agent_name` is who sends it), and resolve the open
    ones. An unknown placeholder, or an update too long for any linked
    platform, is refused before anything is queued."""
    if incident.status != "open":
        raise Refused(f"incident {incident.id} is already {incident.status}", status=409)
    message = (message or "").strip()
    if not message:
        raise Refused("write the update the customers will get")
    try:
        template_placeholders(message)
    except ValueError as error:
        raise Refused(f"the update {error}") from None
    if not incident.tickets:
        raise Refused(f"incident {incident.id} has no linked tickets to update", status=409)
    targets = {ticket.id: update_target(ticket, incident) for ticket in incident.tickets}
    channels = {ticket.id: reply_channel(settings, ticket, targets[ticket.id]) for ticket in incident.tickets}
    bodies = {ticket.id: fill_template(message, ticket, agent_name, settings.brand.name)
              for ticket in incident.tickets}
    for ticket_id, channel in channels.items():
        too_long = channel.too_long(bodies[ticket_id], f"the update to ticket {ticket_id}")
        if channel.can_reply and too_long:
            raise Refused(too_long)
    report = BroadcastReport()
    for ticket in incident.tickets:
        channel = channels[ticket.id]
        if not channel.can_reply:
            report.unreachable[ticket.id] = channel.why_not
            continue
        queue_system_reply(session, ticket, targets[ticket.id], bodies[ticket.id], "broadcast",
                           f"incident:{incident.id}:{ticket.id}", now, channel)
        report.queued.append(ticket.id)
    for ticket in incident.tickets:
        if not ticket.is_open:
            continue
        waiting = [post.id for post in overlooked(post_states(ticket)) if not covers(incident, post)]
        if waiting:
            report.left_open[ticket.id] = waiting
            continue
        resolve_ticket(session, ticket, actor, settings, now, force=True)
        report.resolved.append(ticket.id)
    incident.status = "fixed"
    incident.fixed_at = now
    incident.fixed_by = actor
    incident.update_message = message
    return report


def broadcast_replies(incident: Incident) -> dict[int, Reply]:
    """Each linked ticket's update, by ticket id."""
    return {reply.ticket_id: reply for ticket in incident.tickets for reply in ticket.replies
            if reply.purpose == "broadcast" and reply.idempotency_key == f"incident:{incident.id}:{ticket.id}"}


def retry_failed_updates(session: Session, incident: Incident, now: datetime) -> list[int]:
    """Queue again the updates that failed, and only those; returns their
    ticket ids."""
    failed = [reply for reply in broadcast_replies(incident).values() if reply.status == "failed"]
    if not failed:
        raise Refused(f"no update of incident {incident.id} has failed", status=409)
    for reply in failed:
        retry_reply(session, reply, None, now, answer_window=timedelta(0))
    return [reply.ticket_id for reply in failed]
