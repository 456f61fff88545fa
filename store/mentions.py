"""The mentions stream: every inbound post, ticketed or not, newest first,
read a page at a time from where the last page ended, so posts that arrive
in between neither repeat nor push others off a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, String, cast, exists, func, literal, not_, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from store.corrections import needs_response_is
from store.models import Identity, Mention, Ticket
from store.queries import few_ids, name_matches, topic_in
from store.text_lookup import lookups, sample

# The scorer's reason on a post it takes for spam begins so.
SPAM_REASON = "no response needed: spam"


@dataclass(frozen=True)
class MentionFilter:
    """Which posts to list. Empty tuples and None mean "any"; None in
    `topics` means no topic. `needs_response` is the decision in force: a
    person's latest correction, else the scorer's word. `text` is found in
    the post, the author's name or handle. Posts on tickets of
    `hidden_teams` are left out."""

    platforms: tuple[str, ...] = ()
    source_ids: tuple[int, ...] = ()
    sentiments: tuple[str, ...] = ()
    needs_response: bool | None = None
    topics: tuple[str | None, ...] = ()
    has_ticket: bool | None = None
    spam: bool | None = None
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    hidden_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Position:
    """Where a page of the stream ended: the last post's time and id."""

    created_at: datetime
    id: int


def list_mentions(session: Session, flt: MentionFilter, *, limit: int,
                  after: Position | None = None) -> tuple[list[Mention], Position | None]:
    """One page of posts, newest first, after `after`; and where the next
    page starts (None when this is the last)."""
    query = _filtered(session, select(Mention), flt)
    if after is not None:
        last = tuple_(literal(after.created_at, Mention.created_at.type), literal(after.id, Mention.id.type))
        query = query.where(tuple_(Mention.created_at, Mention.id) < last)
    query = (query.options(selectinload(Mention.identity), selectinload(Mention.source), selectinload(Mention.ticket),
                           selectinload(Mention.media))
             .order_by(Mention.created_at.desc(), Mention.id.desc()).limit(limit + 1))
    found = list(session.scalars(query))
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], Position(last.created_at, last.id)


def count_mentions(session: Session, flt: MentionFilter) -> int:
    return session.scalar(_filtered(session, select(func.count(Mention.id)), flt)) or 0


def visible_mention(session: Session, mention_id: int, hidden_teams: tuple[str, ...], *,
                    for_update: bool = False) -> Mention | None:
    """The post, unless it is on a ticket of `hidden_teams`; `for_update`
    locks its row (on PostgreSQL) until the transaction ends."""
    mention = session.get(Mention, mention_id, with_for_update=for_update)
    if mention is None or (mention.ticket is not None and mention.ticket.team in hidden_teams):
        return None
    return mention


def _filtered(session: Session, query: Select, flt: MentionFilter) -> Select:
    if flt.platforms:
        query = query.where(Mention.platform.in_(flt.platforms))
    if flt.source_ids:
        query = query.where(Mention.source_id.in_(flt.source_ids))
    if flt.sentiments:
        query = query.where(Mention.sentiment.in_(flt.sentiments))
    if flt.needs_response is not None:
        query = query.where(needs_response_is(flt.needs_response))
    if flt.topics:
        query = query.where(topic_in(Mention.topic, flt.topics))
    if flt.has_ticket is not None:
        query = query.where(Mention.ticket_id.is_not(None) if flt.has_ticket else Mention.ticket_id.is_(None))
    if flt.spam is not None:
        spam = cast(Mention.reasons, String).like(f'%"{SPAM_REASON}%')
        query = query.where(spam if flt.spam else not_(spam))
    if flt.text.strip():
        query = query.where(_text_matches(session, flt.text.strip()))
    if flt.since is not None:
        query = query.where(Mention.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(Mention.created_at < flt.until)
    if flt.hidden_teams:
        on_hidden_team = exists().where(Ticket.id == Mention.ticket_id, Ticket.team.in_(flt.hidden_teams))
        query = query.where(not_(on_hidden_team))
    return query


def _text_matches(session: Session, text: str):
    """The post or its author's handle or name holds `text` (any case). The
    authors found, when few, are named by id: then PostgreSQL can read the
    trigram index on the posts' text and the index on their authors
    together."""
    in_post, name_lookup = lookups(text, sample(session, text, whole=False))
    authors = few_ids(session, select(Identity.id).where(name_lookup))
    in_names = exists().where(Identity.id == Mention.identity_id, name_matches(text)) if authors is None \
        else Mention.identity_id.in_(authors)
    return or_(in_post, in_names)
