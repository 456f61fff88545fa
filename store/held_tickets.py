"""Stored tickets that a page of posts joins, held as plain objects rather
than ORM records: read with a query each for the tickets, their replies and
the events placing a post reads, changed by the ticket rules
(store.tickets) as any ticket is, and written with one UPDATE of the
columns whose values changed. Loading, tracking and flushing them as
records took more of a page's time than any other part of intake besides
scoring."""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session, joinedload

from store.among import among_bound
from store.bulk import update_held_rows
from store.models import Agent, Customer, Event, Reply, Ticket, keep_next_due_at

TICKETS = Ticket.__table__
COLUMNS = tuple(column.name for column in TICKETS.columns)
_VALUES = itemgetter(*COLUMNS)
EVENT_FIELDS = (Event.id, Event.ticket_id, Event.mention_id, Event.kind, Event.actor, Event.detail, Event.at)
# Built once (store.among): the tickets, locked on PostgreSQL, each with
# whether it has replies; and the replies, with their agents, of those
# that have (most tickets a page joins have none, and loading records
# cost more than the query).
HELD_ROWS = (select(TICKETS, exists().where(Reply.ticket_id == TICKETS.c.id).label("has_replies"))
             .where(among_bound(TICKETS.c.id, "ids")).order_by(TICKETS.c.id).with_for_update(key_share=True))
HELD_REPLIES = (select(Reply).options(joinedload(Reply.agent)).where(among_bound(Reply.ticket_id, "ids"))
                .order_by(Reply.id))


def events_reading(condition: ColumnElement[bool]) -> Select:
    """The query of held tickets' events that match `condition`, for hold:
    built once, by the caller, as its other queries are."""
    return select(*EVENT_FIELDS).where(among_bound(Event.ticket_id, "ids"), condition).order_by(Event.id)


class HeldTicket:
    """A stored ticket as a plain object: its columns as attributes, its
    replies (records, with their agents), the events it was read with
    (rows), its customer (the one given when read, whatever holds its id
    and tier, else the record looked up when asked for) and its assignee
    (the record, looked up when asked for). The
    ticket rules read and change it as they do a Ticket; what a Ticket
    tells of itself is the Ticket's own code."""

    is_open = Ticket.is_open
    queue_due_at = Ticket.queue_due_at
    due_at = Ticket.due_at
    time_left = Ticket.time_left
    is_breached = Ticket.is_breached

    def __init__(self, session: Session, values: dict[str, Any], replies: list[Reply], events: list,
                 customer: Any):
        self.__dict__.update(values)
        self._session = session
        self._read = values
        self._customer = customer
        self.replies = replies
        self.events = events

    @property
    def customer(self) -> Any:
        if self._customer is None or self._customer.id != self.customer_id:
            self._customer = self._session.get(Customer, self.customer_id)
        return self._customer

    @property
    def assignee(self) -> Agent | None:
        return None if self.assignee_id is None else self._session.get(Agent, self.assignee_id)

    @assignee.setter
    def assignee(self, agent: Agent | None) -> None:
        self.assignee_id = agent.id if agent is not None else None

    def changes(self) -> dict[str, Any]:
        """The columns whose values differ from those read, with the inbox
        order kept as every write of a ticket keeps it."""
        keep_next_due_at(None, None, self)
        now, read = _VALUES(self.__dict__), _VALUES(self._read)
        if now == read:
            return {}
        return {name: value for name, value, before in zip(COLUMNS, now, read) if value != before}


def hold(session: Session, ticket_ids: Iterable[int], events_read: Select,
         customers: dict[int, Any]) -> list[HeldTicket]:
    """The tickets, in the order of their ids, with their replies, their
    events that `events_read` reads (made by events_reading) and their
    customers where `customers` (by id) has them. On PostgreSQL their rows
    stay locked until the transaction ends, taken in the order of their
    ids."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    connection = session.connection()
    rows = connection.execute(HELD_ROWS, {"ids": ids}).all()
    values = [dict(zip(COLUMNS, row)) for row in rows]
    replies: dict[int, list[Reply]] = {row["id"]: [] for row in values}
    answered = [row.id for row in rows if row.has_replies]
    if answered:
        for reply in session.scalars(HELD_REPLIES, {"ids": answered}):
            replies[reply.ticket_id].append(reply)
    events: dict[int, list] = {ticket_id: [] for ticket_id in replies}
    for event in connection.execute(events_read, {"ids": list(events)}):
        events[event.ticket_id].append(event)
    return [HeldTicket(session, row, replies[row["id"]], events[row["id"]], customers.get(row["customer_id"]))
            for row in values]


def write_held(session: Session, tickets: Iterable[HeldTicket]) -> None:
    """Write what changed in the tickets since they were read, once, as the
    page ends: on PostgreSQL one UPDATE of every column changed in any of
    them, for them all (they were locked as they were read); on SQLite one
    UPDATE for each set of columns changed, since SQLite rewrites a
    ticket's entries in every index on a column set, changed or not (most
    tickets a page joins change only `updated_at`, and the dozen indexes
    on the due times took four times as long). A record of the same ticket
    the session holds is expired, to be read afresh with the posts and
    events written beside it."""
    tickets = list(tickets)
    changed = sorted(((ticket, ticket.changes()) for ticket in tickets), key=lambda pair: pair[0].id)
    groups: dict[tuple[str, ...], list[HeldTicket]] = {}
    if session.get_bind().dialect.name == "postgresql":
        names = tuple(sorted(set().union(*(changes for _ticket, changes in changed))))
        groups[names] = [ticket for ticket, changes in changed if changes]
    else:
        for ticket, changes in changed:
            if changes:
                groups.setdefault(tuple(sorted(changes)), []).append(ticket)
    for names, group in groups.items():
        update_held_rows(session, TICKETS, names, [(*(ticket.__dict__[name] for name in names), ticket.id)
                                                   for ticket in group])
    held = {ticket.id for ticket in tickets}
    for key, record in list(session.identity_map.items()):
        if key[0] is Ticket and key[1][0] in held:
            session.expire(record)
