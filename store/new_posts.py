"""The posts a page of intake takes in, held as plain objects with the
columns of a stored post until the page writes them with one INSERT: no
session ever sees them, so making them records (and their rows from
records) was work for nothing. The ticket rules read and place them as
they do a stored post."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session

from store.bulk import insert_rows
from store.models import Mention

# A post's own columns, then the id of the ticket it joined, read as the
# page is written: a ticket the page raised has its id only then.
_OWN = tuple(column.name for column in Mention.__table__.columns if column.name != "ticket_id")
COLUMNS = (*_OWN, "ticket_id")
_OWN_VALUES = attrgetter(*_OWN)


class NewPost:
    """A post being taken in: a stored post's columns as attributes, with
    its author (`identity`) and the ticket it joined (`ticket`, None until
    it joins one)."""

    # Nobody has overruled the scorer on a post being taken in.
    person_needs_response = None

    def __init__(self, identity: Any, **values: Any):
        self.__dict__.update(values)
        self.identity = identity
        self.identity_id = identity.id
        self.ticket = None

    def row(self) -> tuple:
        """Its row, in the order of COLUMNS."""
        return (*_OWN_VALUES(self), None if self.ticket is None else self.ticket.id)


def insert_posts(session: Session, posts: list[NewPost]) -> None:
    """Insert the posts with one statement, in the order of their unique key
    (platform, external id): two intakes storing some of the same posts
    wait for each other in the same order rather than deadlock."""
    ordered = sorted(posts, key=lambda post: (post.platform, post.external_id))
    insert_rows(session, Mention.__table__, COLUMNS, [post.row() for post in ordered])
