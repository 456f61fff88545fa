"""One action on many tickets at once, from the inbox or the API. Each
ticket changes in its own savepoint: one refusal does not undo the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from responder.followups import resolve_ticket
from store import tickets
from store.errors import Refused
from store.models import PRIORITIES, Agent, Ticket
from store.sla import SlaClock
from web.access import check_assignee, hidden_teams

BULK_ACTIONS = ("assign_me", "assign", "resolve", "no_response", "priority")
MAX_BULK = 200


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def apply_bulk(session: Session, ticket_ids: list[int], action: str, by: Agent, now: datetime, settings: Settings, *,
               agent_id: int | None = None, priority: str | None = None, reason: str = "",
               force: bool = False) -> BulkOutcome:
    """Refused, changing nothing, when the request itself is wrong.
    Tickets `by` may not see are refused as if they did not exist. A
    ticket whose posts still need an answer is resolved only with `force`."""
    change = _change(session, action, by, now, settings, agent_id, priority, reason, force)
    ids = list(dict.fromkeys(ticket_ids))
    if not ids or len(ids) > MAX_BULK:
        raise Refused(f"choose 1 to {MAX_BULK} tickets")
    hidden = hidden_teams(by, settings)
    chosen = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids))) if t.team not in hidden}
    outcome = BulkOutcome()
    for ticket_id in ids:
        ticket = chosen.get(ticket_id)
        if ticket is None:
            outcome.refused[ticket_id] = f"ticket {ticket_id} does not exist"
            continue
        try:
            with session.begin_nested():
                change(ticket)
        except Refused as refused:
            outcome.refused[ticket_id] = refused.message
        else:
            outcome.done.append(ticket_id)
    return outcome


def _change(session: Session, action: str, by: Agent, now: datetime, settings: Settings, agent_id: int | None,
            priority: str | None, reason: str, force: bool) -> Callable[[Ticket], None]:
    if action == "assign_me":
        return lambda ticket: tickets.assign_by_hand(session, ticket, by, by, now)
    if action == "assign":
        agent = session.get(Agent, agent_id) if agent_id is not None else None
        if agent is None or not agent.active:
            raise Refused("choose an active agent to assign the tickets to")
        def assign(ticket: Ticket) -> None:
            check_assignee(agent, ticket, settings)
            tickets.assign_by_hand(session, ticket, agent, by, now)

        return assign
    if action == "resolve":
        return lambda ticket: resolve_ticket(session, ticket, by.email, settings, now, force)
    if action == "no_response":
        return lambda ticket: tickets.no_response_needed(session, ticket, by, now)
    if action == "priority":
        if priority not in PRIORITIES:
            raise Refused(f"choose a priority: {', '.join(PRIORITIES)}")
        if not reason.strip():
            raise Refused("say why the priority changes")
        sla = SlaClock(settings)
        return lambda ticket: tickets.change_priority(session, ticket, priority or "", reason, by, sla, now)
    raise Refused(f"the action must be one of {', '.join(BULK_ACTIONS)}")
