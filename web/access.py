"""Which tickets a person may see: every team's for managers and admins;
for agents and seniors, all but the tickets of other teams that are set
to be private."""

from __future__ import annotations

from config.settings import Settings
from store.models import Agent, Ticket

SEE_ALL_TEAMS = ("manager", "admin")


def hidden_teams(agent: Agent, settings: Settings) -> tuple[str, ...]:
    if agent.role in SEE_ALL_TEAMS:
        return ()
    return tuple(team for team in settings.private_teams() if team != agent.team)


def can_see(agent: Agent, ticket: Ticket, settings: Settings) -> bool:
    return ticket.team not in hidden_teams(agent, settings)
