"""Which tickets a person may see: every team's for managers and admins;
for agents and seniors, all but the tickets of other teams that are set
to be private. A customer is seen through their tickets: one whose every
ticket is hidden is hidden too."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from store.errors import Refused
from store.models import Agent, Customer, Ticket

SEE_ALL_TEAMS = ("manager", "admin")


def hidden_teams(agent: Agent, settings: Settings) -> tuple[str, ...]:
    if agent.role in SEE_ALL_TEAMS:
        return ()
    return tuple(team for team in settings.private_teams() if team != agent.team)


def can_see(agent: Agent, ticket: Ticket, settings: Settings) -> bool:
    return ticket.team not in hidden_teams(agent, settings)


def check_assignee(agent: Agent | None, ticket: Ticket, settings: Settings) -> None:
    """A ticket goes only to someone who may see it: a private team's
    ticket to no one outside the team but managers and admins."""
    if agent is not None and not can_see(agent, ticket, settings):
        raise Refused(f"{agent.name} is not in team {ticket.team}, whose tickets are private to it", 422)


def visible(agent: Agent, tickets: Iterable[Ticket], settings: Settings) -> list[Ticket]:
    hidden = hidden_teams(agent, settings)
    return [ticket for ticket in tickets if ticket.team not in hidden]


def can_see_customer(session: Session, agent: Agent, customer: Customer, settings: Settings) -> bool:
    """Whether any of the customer's tickets may be seen; one without tickets may."""
    hidden = hidden_teams(agent, settings)
    if not hidden:
        return True
    teams = set(session.scalars(select(Ticket.team).where(Ticket.customer_id == customer.id).distinct()))
    return not teams or bool(teams - set(hidden))
