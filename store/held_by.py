"""Who held a ticket at a moment: the agent its last assignment up to then
gave it to, or nobody (unassigned then, or not yet assigned). Read from
the ticket's "assigned" and "unassigned" events, over their own index, so
that a figure grouped by agent stays with the agent who held the ticket
when it settled, whoever holds it later. A ticket with no assignment
recorded at all (written outside store.tickets, as an import does) is
held by its assignee throughout.

The same rule twice: in SQL for the figures counted in the database, and
in Python for the tickets read event by event."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, select
from sqlalchemy.orm import aliased

from store.models import Event, Ticket

ASSIGNMENT_KINDS = ("assigned", "unassigned")


def held_by(moment, ticket_id=Ticket.id, assignee_id=Ticket.assignee_id) -> Any:
    """The id of the agent who held the ticket at `moment` (None: nobody),
    as an SQL expression over the ticket's columns."""
    assignment = aliased(Event)
    of_ticket = (assignment.ticket_id == ticket_id, assignment.kind.in_(ASSIGNMENT_KINDS))
    last = (select(assignment.detail["agent_id"].as_integer())
            .where(*of_ticket, assignment.at <= moment)
            .order_by(assignment.at.desc(), assignment.id.desc()).limit(1).scalar_subquery())
    return case((exists().where(*of_ticket), last), else_=assignee_id)


class Assignments:
    """One ticket's assignments in the order they happened, to tell who
    held it at a moment as held_by does."""

    def __init__(self) -> None:
        self.moments: list[datetime] = []
        self.agents: list[int | None] = []

    def add(self, kind: str, at: datetime, detail: dict | None) -> None:
        """An event of the ticket's, in order; assignments are kept."""
        if kind in ASSIGNMENT_KINDS:
            self.moments.append(at)
            self.agents.append((detail or {}).get("agent_id") if kind == "assigned" else None)

    def held_at(self, moment: datetime, assignee_id: int | None) -> int | None:
        if not self.moments:
            return assignee_id
        found = bisect_right(self.moments, moment)
        return self.agents[found - 1] if found else None
