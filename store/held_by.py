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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, text
from sqlalchemy.orm import Session, aliased

from store.models import Event, Ticket

ASSIGNMENT_KINDS = ("assigned", "unassigned")


def held_by(moment, ticket_id=Ticket.id, assignee_id=Ticket.assignee_id) -> Any:
    """The id of the agent who held the ticket at `moment` (None: nobody),
    as an SQL expression over the ticket's columns. Nobody is 0 inside it
    (no agent has that id): the last assignment up to `moment`, else 0
    when the ticket has assignments (all later), else its assignee. Each a
    lookup of a few rows of the index, for the tickets asked about only."""
    assignment = aliased(Event)
    of_ticket = (assignment.ticket_id == ticket_id, assignment.kind.in_(ASSIGNMENT_KINDS))
    nobody = literal(0)
    last = (select(func.coalesce(assignment.detail["agent_id"].as_integer(), nobody))
            .where(*of_ticket, assignment.at <= moment)
            .order_by(assignment.at.desc(), assignment.id.desc()).limit(1).scalar_subquery())
    any_at_all = select(nobody).where(*of_ticket).limit(1).scalar_subquery()
    return func.nullif(func.coalesce(last, any_at_all, assignee_id), nobody)


@contextmanager
def compiled_plainly(session: Session) -> Iterator[None]:
    """Statements that ask who held each ticket run without PostgreSQL's
    compiling them to machine code (JIT): a lookup per ticket raises the
    planner's estimate of a day's count past the threshold though each
    reads a few rows of the index, and compiling took 0.4 s of the 0.6 s
    such a count ran at 200,000 tickets. The setting returns as it was;
    after an error, with the transaction (it is the transaction's own), so
    that no statement in a failed transaction hides the error."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.scalar(text("SELECT current_setting('jit')"))
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    yield
    session.execute(text("SELECT set_config('jit', :before, true)"), {"before": before})


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
