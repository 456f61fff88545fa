"""The tickets a page of intake raises, held as plain objects until the
page writes them with one INSERT (store.tickets.write_raised): no session
ever sees them, and setting their fields through the ORM's instrumentation
(the response-time targets, the assignee) was work for nothing. The ticket
rules read and change them as they do any ticket."""

from __future__ import annotations

from typing import Any

from store.models import Ticket

_COLUMNS = frozenset(attr.key for attr in Ticket.__mapper__.column_attrs)


class NewTicket:
    """A ticket being raised: the fields set so far as attributes, with its
    customer, assignee and incident as records (or objects holding their
    ids). A column never set reads as None and is written with its default,
    as a record made in memory is (store.bulk.row_of); it has no replies
    and no events of its own yet. What a Ticket tells of itself is the
    Ticket's own code."""

    is_open = Ticket.is_open
    queue_due_at = Ticket.queue_due_at
    due_at = Ticket.due_at
    time_left = Ticket.time_left
    is_breached = Ticket.is_breached
    replies: tuple = ()
    events: tuple = ()

    def __init__(self, **values: Any):
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        if name in _COLUMNS:
            return None
        raise AttributeError(name)
