"""Read queries shared by the web views and the JSON API: the inbox listing,
a ticket with its whole conversation, a customer's earlier tickets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, null, select
from sqlalchemy.orm import Session, selectinload

from store.models import OPEN_STATUSES, Agent, Customer, Mention, Reply, Source, Ticket


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets to list. Empty tuples mean "any"; `unassigned` and
    `assignee_id` are exclusive."""

    statuses: tuple[str, ...] = OPEN_STATUSES
    priorities: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False


def due_at_column():
    """The SQL twin of `Ticket.due_at()`, so that listings sort in the database."""
    return case(
        (Ticket.status.not_in(("new", "open")), null()),
        (Ticket.first_response_at.is_(None), Ticket.first_response_due_at),
        else_=Ticket.next_response_due_at,
    )


def _filtered(query: Select, flt: TicketFilter) -> Select:
    if flt.statuses:
        query = query.where(Ticket.status.in_(flt.statuses))
    if flt.priorities:
        query = query.where(Ticket.priority.in_(flt.priorities))
    if flt.platforms:
        query = query.where(Ticket.platform.in_(flt.platforms))
    if flt.unassigned:
        query = query.where(Ticket.assignee_id.is_(None))
    elif flt.assignee_id is not None:
        query = query.where(Ticket.assignee_id == flt.assignee_id)
    return query


def list_tickets(session: Session, flt: TicketFilter, *, limit: int, offset: int = 0) -> tuple[list[Ticket], int]:
    """One page of tickets, soonest due first (nothing due last), and the total."""
    due = due_at_column()
    query = (
        _filtered(select(Ticket), flt)
        .options(selectinload(Ticket.customer), selectinload(Ticket.assignee))
        .order_by(case((due.is_(None), 1), else_=0), due, Ticket.id)
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(_filtered(select(func.count(Ticket.id)), flt))
    return list(session.scalars(query)), total or 0


def latest_mentions(session: Session, ticket_ids: list[int]) -> dict[int, Mention]:
    """The newest customer post of each ticket, by ticket id."""
    if not ticket_ids:
        return {}
    ranked = (
        select(
            Mention.id,
            func.row_number()
            .over(partition_by=Mention.ticket_id, order_by=(Mention.created_at.desc(), Mention.id.desc()))
            .label("rank"),
        )
        .where(Mention.ticket_id.in_(ticket_ids))
        .subquery()
    )
    query = (
        select(Mention)
        .join(ranked, Mention.id == ranked.c.id)
        .where(ranked.c.rank == 1)
        .options(selectinload(Mention.identity))
    )
    return {mention.ticket_id: mention for mention in session.scalars(query)}


def ticket_with_conversation(session: Session, ticket_id: int) -> Ticket | None:
    """The ticket with its customer, posts, replies and events loaded."""
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            selectinload(Ticket.customer).selectinload(Customer.identities),
            selectinload(Ticket.assignee),
            selectinload(Ticket.mentions).selectinload(Mention.identity),
            selectinload(Ticket.replies).selectinload(Reply.agent),
            selectinload(Ticket.events),
        )
    )
    return session.scalar(query)


def previous_tickets(session: Session, ticket: Ticket, limit: int = 20) -> list[Ticket]:
    """The same customer's other tickets, newest first."""
    query = (
        select(Ticket)
        .where(Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id)
        .options(selectinload(Ticket.assignee))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def active_agents(session: Session) -> list[Agent]:
    return list(session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name, Agent.id)))


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))
