"""Who has a ticket open and who is writing a reply: a row per agent and
ticket, touched by the ticket page while it is open."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import TicketView

# A page that has not checked in for this long is closed.
PRESENT_FOR = timedelta(seconds=45)


def touch(session: Session, ticket_id: int, agent_id: int, now: datetime, composing: bool) -> None:
    """Record that the agent has the ticket open (and is writing, or not).
    Commit it in a transaction of its own: on PostgreSQL that commit does
    not wait for the disk, since presence lost in a crash is simply taken
    again by the next check-in."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    insert = postgresql_insert if postgresql else sqlite_insert
    values = {"ticket_id": ticket_id, "agent_id": agent_id, "seen_at": now, "composing_at": now if composing else None}
    session.execute(insert(TicketView).values(**values).on_conflict_do_update(
        index_elements=["ticket_id", "agent_id"], set_={"seen_at": now, "composing_at": values["composing_at"]}))


def others_here(session: Session, ticket_id: int, agent_id: int, now: datetime) -> list[TicketView]:
    """The other agents with the ticket open now, writers first."""
    views = session.scalars(select(TicketView).where(
        TicketView.ticket_id == ticket_id, TicketView.agent_id != agent_id,
        TicketView.seen_at >= now - PRESENT_FOR)).all()
    return sorted(views, key=lambda v: (v.composing_at is None or v.composing_at < now - PRESENT_FOR, v.agent_id))


def is_composing(view: TicketView, now: datetime) -> bool:
    return view.composing_at is not None and view.composing_at >= now - PRESENT_FOR
