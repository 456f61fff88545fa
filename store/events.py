"""The audit trail: one append-only Event row for everything that happens
to a ticket."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store.models import Event, Mention, Ticket


def record_event(session: Session, ticket: Ticket, kind: str, at: datetime, actor: str = "system",
                 mention: Mention | None = None, **detail: Any) -> Event:
    event = Event(ticket=ticket, mention=mention, kind=kind, actor=actor, detail=detail, at=at)
    session.add(event)
    return event
