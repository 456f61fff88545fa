"""Read queries shared by the web views and the JSON API: the inbox listing,
a ticket with its whole conversation, a customer's earlier tickets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, exists, func, null, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from store.models import OPEN_STATUSES, Agent, Customer, Event, Identity, Mention, Reply, Source, Ticket


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets to list. Empty tuples mean "any"; `unassigned` and
    `assignee_id` are exclusive. `text` is found in the customer's posts,
    name or handle. Tickets snoozed past `now` are left out, or with
    `snoozed` they are the only ones listed."""

    statuses: tuple[str, ...] = OPEN_STATUSES
    priorities: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    topics: tuple[str | None, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    text: str = ""
    now: datetime | None = None
    snoozed: bool = False
    hidden_teams: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    # Bounds on the running target's due time, [due_from, due_until).
    due_from: datetime | None = None
    due_until: datetime | None = None


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
    if flt.topics:
        query = query.where(topic_in(Ticket.topic, flt.topics))
    if flt.unassigned:
        query = query.where(Ticket.assignee_id.is_(None))
    elif flt.assignee_id is not None:
        query = query.where(Ticket.assignee_id == flt.assignee_id)
    if flt.text.strip():
        query = query.where(_text_matches(flt.text.strip()))
    if flt.hidden_teams:
        query = query.where(Ticket.team.not_in(flt.hidden_teams))
    if flt.teams:
        query = query.where(Ticket.team.in_(flt.teams))
    if flt.due_from is not None or flt.due_until is not None:
        due = due_at_column()
        query = query.where(Ticket.paused_at.is_(None), due.is_not(None))
        if flt.due_from is not None:
            query = query.where(due >= flt.due_from)
        if flt.due_until is not None:
            query = query.where(due < flt.due_until)
    if flt.now is not None and flt.snoozed:
        query = query.where(Ticket.snoozed_until > flt.now)
    elif flt.now is not None:
        query = query.where(or_(Ticket.snoozed_until.is_(None), Ticket.snoozed_until <= flt.now))
    return query


def topic_in(column, topics: tuple[str | None, ...]):
    """`column` is one of `topics`, where None stands for no topic."""
    named = [t for t in topics if t is not None]
    return or_(column.in_(named), column.is_(None)) if None in topics else column.in_(named)


def name_matches(pattern: str):
    """An Identity's handle or name matches the LIKE `pattern` of `contains_pattern`."""
    return or_(func.lower(Identity.handle).like(pattern, escape="\\"),
               func.lower(Identity.name).like(pattern, escape="\\"))


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escaped with a backslash) for lowercased text containing `text`."""
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_matches(text: str):
    pattern = contains_pattern(text)
    in_posts = exists().where(Mention.ticket_id == Ticket.id, func.lower(Mention.text).like(pattern, escape="\\"))
    in_names = exists().where(Identity.customer_id == Ticket.customer_id, name_matches(pattern))
    return or_(in_posts, in_names)


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


def all_tickets(session: Session, flt: TicketFilter, chunk: int = 1000) -> Iterator[Ticket]:
    """Every ticket `flt` lists, oldest first, fetched from the database
    `chunk` rows at a time, so that an export of any size holds one chunk."""
    query = (_filtered(select(Ticket), flt)
             .options(joinedload(Ticket.customer), joinedload(Ticket.assignee))
             .order_by(Ticket.id).execution_options(yield_per=chunk))
    yield from session.scalars(query)


def list_version(session: Session, flt: TicketFilter) -> str:
    """Changes whenever a page of `list_tickets` for `flt` may: a ticket comes,
    goes or changes (its updated_at), or a post or reply is added to one."""
    tickets = _filtered(select(Ticket.id), flt).subquery()
    count, changed = session.execute(_filtered(select(func.count(Ticket.id), func.max(Ticket.updated_at)), flt)).one()
    newest_post = session.scalar(select(func.max(Mention.id)).where(Mention.ticket_id.in_(select(tickets.c.id))))
    newest_reply = session.scalar(select(func.max(Reply.id)).where(Reply.ticket_id.in_(select(tickets.c.id))))
    return f"{count}.{changed}.{newest_post}.{newest_reply}"


def conversation_version(session: Session, ticket_id: int) -> str:
    """Changes whenever the ticket's page may: the ticket itself, a post, a
    reply's delivery, or an event (notes, answers recorded elsewhere)."""
    ticket = session.scalar(select(Ticket.updated_at).where(Ticket.id == ticket_id))
    posts = session.execute(select(func.count(Mention.id), func.max(Mention.id))
                            .where(Mention.ticket_id == ticket_id)).one()
    events = session.execute(select(func.count(Event.id), func.max(Event.id)).where(Event.ticket_id == ticket_id)).one()
    replies = session.execute(select(Reply.id, Reply.status, Reply.attempts).where(Reply.ticket_id == ticket_id)
                              .order_by(Reply.id)).all()
    return f"{ticket}.{tuple(posts)}.{tuple(events)}.{[tuple(r) for r in replies]}"


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
