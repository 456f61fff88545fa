"""The audit trail: one append-only Event row for everything that happens
to a ticket.

Intake takes posts in a page at a time: while a page is taken in
(`events_held`), the events recorded are held in memory, with the records
they name, and written together with one INSERT (`write_held_events`) once
those records have their ids."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store.bulk import insert_rows
from store.models import Event, Mention, Ticket

_HELD = "closeloop.held_events"


@dataclass
class HeldEvent:
    ticket: Ticket
    mention: Mention | None
    kind: str
    actor: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def record_event(session: Session, ticket: Ticket, kind: str, at: datetime, actor: str = "system",
                 mention: Mention | None = None, **detail: Any) -> Event | HeldEvent:
    held = session.info.get(_HELD)
    if held is not None:
        event = HeldEvent(ticket, mention, kind, actor, at, detail)
        held.append(event)
        return event
    event = Event(ticket=ticket, mention=mention, kind=kind, actor=actor, detail=detail, at=at)
    session.add(event)
    return event


@contextmanager
def events_held(session: Session) -> Iterator[list[HeldEvent]]:
    """Events recorded in the block are held in the list it yields."""
    if _HELD in session.info:
        raise RuntimeError("events are held already in this session")
    held: list[HeldEvent] = []
    session.info[_HELD] = held
    try:
        yield held
    finally:
        del session.info[_HELD]


def write_held_events(session: Session, held: list[HeldEvent]) -> None:
    """Write held events in the order they were recorded; their tickets and
    posts must have their ids by now."""
    insert_rows(session, Event.__table__, ("ticket_id", "mention_id", "kind", "actor", "detail", "at"), [
        (e.ticket.id, e.mention.id if e.mention is not None else None, e.kind, e.actor, e.detail, e.at)
        for e in held])
