"""A person takes a post the scorer let pass into a ticket: it joins the
customer's open ticket on that platform, or raises one that is routed and
joins a matching incident like any ticket the intake raises."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from listener.assignment import Roster, route
from listener.intake import Intake
from store import tickets
from store.errors import Refused
from store.incidents import link_tickets, matches, open_incidents
from store.models import OPEN_STATUSES, Agent, Mention, Ticket

# The scorer gave the post no priority; a person can change this one.
TAKEN_PRIORITY = "normal"


def take_into_ticket(session: Session, intake: Intake, mention: Mention, by: Agent, reason: str,
                     now: datetime, hidden_teams: tuple[str, ...] = ()) -> tuple[Ticket, bool]:
    """The post's ticket, and whether it was raised for it (else the post
    joined the customer's open ticket). A customer's open ticket on one of
    `hidden_teams` (private teams `by` may not see) is neither joined nor
    named: the post is left for someone who sees it."""
    settings = intake.settings
    into = session.scalar(
        select(Ticket).where(Ticket.customer_id == mention.identity.customer_id, Ticket.platform == mention.platform,
                             Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))
    if into is not None and into.team in hidden_teams and mention.ticket is None:
        raise Refused("the customer has an open ticket with a private team you do not see; "
                      "ask that team or a manager to take the post", 409)
    # A ticket to route locks the agents (on PostgreSQL) before the
    # correction naming `by` is written: that row would hold a lock on `by`
    # which another agent's take, waiting for the agents, deadlocks against.
    roster = Roster(session) if into is None else None
    ticket = tickets.take_into_ticket(session, mention, into, settings.team_for(mention.platform, mention.topic),
                                      mention.priority or TAKEN_PRIORITY, intake.sla, by, reason, now)
    if roster is None:
        return ticket, False
    route(session, ticket, settings.routing, now, roster=roster, reasons=mention.reasons or ())
    incident = next((i for i in open_incidents(session) if matches(i, ticket, mention)), None)
    if incident is not None:
        link_tickets(session, incident, [ticket], "system", now, why="matches the incident's rule")
    return ticket, True
