"""The numbers operators watch, counted from the records: posts taken in
and tickets raised per platform, replies per platform and state, the
outbox's depth and its oldest queued reply, breaches, sources' states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import OPEN_STATUSES, Mention, Reply, Source, Ticket


@dataclass(frozen=True)
class OperationsFigures:
    posts: dict[str, int]
    tickets: dict[str, int]
    open_tickets: int
    replies: dict[tuple[str, str], int]
    outbox_depth: int
    oldest_queued_seconds: float
    breached_tickets: int
    sources: list[tuple[str, str, int]]


def operations_figures(session: Session, now: datetime) -> OperationsFigures:
    posts = dict(session.execute(select(Mention.platform, func.count()).group_by(Mention.platform)).all())
    tickets = dict(session.execute(select(Ticket.platform, func.count()).group_by(Ticket.platform)).all())
    replies = {(platform, status): count for platform, status, count in session.execute(
        select(Ticket.platform, Reply.status, func.count()).join(Ticket, Reply.ticket_id == Ticket.id)
        .group_by(Ticket.platform, Reply.status))}
    depth, oldest = session.execute(
        select(func.count(), func.min(Reply.created_at)).where(Reply.status.in_(("queued", "sending")))).one()
    open_tickets = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status.in_(OPEN_STATUSES)))
    breached = session.scalar(select(func.count()).select_from(Ticket).where(or_(
        Ticket.first_response_breached, Ticket.next_response_breached, Ticket.resolution_breached)))
    sources = [tuple(row) for row in session.execute(
        select(Source.name, Source.status, Source.failures).where(Source.enabled.is_(True)).order_by(Source.name))]
    return OperationsFigures(
        posts=posts, tickets=tickets, open_tickets=open_tickets or 0, replies=replies, outbox_depth=depth,
        oldest_queued_seconds=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
        breached_tickets=breached or 0, sources=sources)
