"""Read queries shared by the web views and the JSON API: the inbox listing,
a ticket with its whole conversation, a customer's earlier tickets."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased, defer, joinedload, selectinload

from store.models import OPEN_STATUSES, Agent, Customer, Event, Identity, Mention, Reply, Source, Ticket
from store.text_lookup import contains_pattern, lookups, name_text, sample
from store.types import UTCDateTime


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


def _filtered(query: Select, flt: TicketFilter, text_match: ColumnElement[bool] | None) -> Select:
    """`query` narrowed to the tickets `flt` lists; `text_match` is
    `_text_condition`'s for `flt`, read once for all of a page's queries."""
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
    if text_match is not None:
        query = query.where(text_match)
    if flt.hidden_teams:
        query = query.where(Ticket.team.not_in(flt.hidden_teams))
    if flt.teams:
        query = query.where(Ticket.team.in_(flt.teams))
    if flt.due_from is not None or flt.due_until is not None:
        due = Ticket.next_due_at
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


def name_matches(text: str):
    """An Identity's handle or name holds `text` (any case); "@maria" finds
    the handle maria, as people write handles."""
    pattern = contains_pattern(name_text(text))
    return or_(func.lower(Identity.handle).like(pattern, escape="\\"),
               func.lower(Identity.name).like(pattern, escape="\\"))


# Text in this many posts, or identities, or more is looked for ticket by
# ticket in the list's order, where a page and its capped count soon find
# theirs; rarer text is found first (in the trigram indexes of migration
# 0016, on PostgreSQL) and its tickets read by id or by customer.
COMMON_TEXT = 2000


# Text held by this many of the SAMPLE newest posts is first probed in the
# first PROBED tickets of the list's order: when they hold more than the
# count's cap, its posts are not looked up (thousands of posts read to find
# COMMON_TEXT of them) and the count is known.
COMMON_IN_SAMPLE = 50
PROBED = 2000


@dataclass(frozen=True)
class TextSearch:
    """The tickets a filter's text finds (`match`, None without text), and
    their capped count when probing the list's first tickets told it."""

    match: ColumnElement[bool] | None
    counted: tuple[int, bool] | None = None


def _text_condition(session: Session, flt: TicketFilter) -> ColumnElement[bool] | None:
    """The tickets whose posts, or whose customer's handles or names, hold
    `flt.text` (any case); None when it is empty."""
    return _text_search(session, flt, counting=False).match


def _text_search(session: Session, flt: TicketFilter, *, counting: bool) -> TextSearch:
    """`flt.text` found in posts and names, each half one way or the other,
    with the same tickets; which is read faster depends on how often the
    text is found. `counting`: the count is wanted too."""
    text = flt.text.strip()
    if not text:
        return TextSearch(None)
    sampled = sample(session, text, whole=counting)
    post_lookup, name_lookup = lookups(text, sampled)
    customers = few_ids(session, select(Identity.customer_id).where(name_lookup))
    if counting and sampled.posts >= COMMON_IN_SAMPLE:
        counted = _counted_in_first(session, flt, lambda ticket: _text_match(ticket, text, None, customers))
        if counted is not None:
            return TextSearch(_text_match(Ticket, text, None, customers), counted)
    tickets = few_ids(session, select(Mention.ticket_id).where(Mention.ticket_id.is_not(None), post_lookup))
    return TextSearch(_text_match(Ticket, text, tickets, customers))


def _text_match(ticket, text: str, tickets: list[int] | None, customers: list[int] | None) -> ColumnElement[bool]:
    """`ticket` (Ticket or an alias of it) is one of `tickets` or, when
    they are None, has a post holding `text`; or its customer is one of
    `customers` or, when they are None, has a handle or name holding it."""
    in_post = func.lower(Mention.text).like(contains_pattern(text), escape="\\")
    # The empty OFFSETs keep PostgreSQL from reading every match into a hash
    # before the first ticket, which it prefers as it cannot count on the LIMIT.
    in_posts = ticket.id.in_(tickets) if tickets is not None else exists(
        select(Mention.id).where(Mention.ticket_id == ticket.id, in_post).offset(0))
    in_names = ticket.customer_id.in_(customers) if customers is not None else exists(
        select(Identity.id).where(Identity.customer_id == ticket.customer_id, name_matches(text)).offset(0))
    return or_(in_posts, in_names)


def _counted_in_first(session: Session, flt: TicketFilter, match) -> tuple[int, bool] | None:
    """The capped count of the tickets `flt` lists when the first PROBED of
    them in the list's order (its first range), `match(ticket)` standing
    for its text, hold more than the cap; None when they do not."""
    cap, due = count_cap(flt), _may_be_due(flt)
    first = (_filtered(select(Ticket.id, Ticket.customer_id), flt, None)
             .where(Ticket.next_due_at.is_not(None) if due else Ticket.next_due_at.is_(None))
             .order_by(*((Ticket.next_due_at, Ticket.id) if due else (Ticket.id,))).limit(PROBED).subquery())
    listed = aliased(Ticket, first)
    found = session.scalar(select(func.count()).select_from(
        select(listed.id).where(match(listed)).limit(cap + 1).subquery()))
    return (cap, False) if found > cap else None


def few_ids(session: Session, ids: Select) -> list[int] | None:
    """The distinct ids `ids` reads, or None when it reads COMMON_TEXT or
    more (it reads no further)."""
    found = list(session.scalars(ids.limit(COMMON_TEXT)))
    return None if len(found) >= COMMON_TEXT else sorted(set(found))


@dataclass(frozen=True)
class Cursor:
    """Where a page of `list_tickets` ended: the last ticket's inbox order
    (its `next_due_at`, None once the tickets with nothing due are listed)
    and id. Travels as an opaque string."""

    due: datetime | None
    ticket_id: int

    def encode(self) -> str:
        raw = f"{self.due.isoformat() if self.due else ''}|{self.ticket_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor `encode` wrote; ValueError for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            due, ticket_id = raw.split("|")
            moment = datetime.fromisoformat(due) if due else None
            moment = moment.astimezone(timezone.utc) if moment is not None and moment.tzinfo else moment
            number = int(ticket_id)
        except (ValueError, UnicodeDecodeError, OverflowError) as bad:
            raise ValueError("not a cursor a page of tickets gave") from bad
        if (moment is not None and moment.tzinfo is None) or not 0 < number < 2**31 or not ticket_id.isdigit():
            raise ValueError("not a cursor a page of tickets gave")
        return cls(moment, number)


@dataclass(frozen=True)
class TicketPage:
    """One page of tickets; `total` counts them up to COUNT_CAP, or
    TEXT_COUNT_CAP when they search text (then `total_exact` is False);
    `next_cursor` is None on the last page."""

    tickets: list[Ticket]
    total: int
    total_exact: bool
    next_cursor: str | None


# Only these statuses have a due time in the inbox's order (Ticket.queue_due_at).
DUE_STATUSES = ("new", "open")
# Counting every matching ticket would read them all: counts stop here,
COUNT_CAP = 1000
# and sooner when they search text, which is probed ticket by ticket when
# common (a word in a sixth of the posts: a probe of 4,500 tickets to 1,000).
TEXT_COUNT_CAP = 200


@dataclass(frozen=True)
class PageOrder:
    """Where a page of `list_tickets` stands: the (next_due_at, id) of its
    tickets in the inbox's order, one more when a page follows, and the
    capped count. A page and its version are both read from it."""

    keys: list[tuple[datetime | None, int]]
    total: int
    total_exact: bool


def page_order(session: Session, flt: TicketFilter, *, limit: int, offset: int = 0,
               after: Cursor | None = None) -> PageOrder:
    """The order of the page of `limit` tickets from the start (skipping
    `offset`) or `after` a cursor."""
    search = _text_search(session, flt, counting=True)
    total, exact = search.counted or _count(session, flt, search.match)
    return PageOrder(_order_keys(session, flt, search.match, after, offset + limit + 1)[offset:], total, exact)


def list_tickets(session: Session, flt: TicketFilter, *, limit: int, offset: int = 0,
                 after: Cursor | None = None, order: PageOrder | None = None) -> TicketPage:
    """One page of tickets, soonest due first, then those with nothing due
    (oldest first), from the start (skipping `offset`) or `after` a cursor
    (or where `order`, read for the same page, says). Each page reads about
    as many rows as it shows: the order is the indexed `next_due_at`, so
    keep `offset` small and page on by cursor."""
    order = order or page_order(session, flt, limit=limit, offset=offset, after=after)
    shown = order.keys[:limit]
    by_id = {ticket.id: ticket for ticket in session.scalars(
        select(Ticket).where(Ticket.id.in_([ticket_id for _, ticket_id in shown]))
        .options(joinedload(Ticket.customer, innerjoin=True), joinedload(Ticket.assignee)))}
    following = Cursor(*shown[-1]).encode() if len(order.keys) > limit else None
    return TicketPage([by_id[ticket_id] for _, ticket_id in shown if ticket_id in by_id], order.total,
                      order.total_exact, following)


def _order_keys(session: Session, flt: TicketFilter, text_match: ColumnElement[bool] | None, after: Cursor | None,
                count: int) -> list[tuple[datetime | None, int]]:
    """The (next_due_at, id) of the first `count` tickets after `after`, in
    the inbox's order: those with a due time by it (one range of an index),
    then those without by id (another)."""
    keys: list[tuple[datetime | None, int]] = []
    if _may_be_due(flt) and (after is None or after.due is not None):
        due = _filtered(select(Ticket.next_due_at, Ticket.id), flt, text_match).where(Ticket.next_due_at.is_not(None))
        if after is not None:
            due = due.where(tuple_(Ticket.next_due_at, Ticket.id) > tuple_(
                literal(after.due, UTCDateTime()), literal(after.ticket_id)))
        keys += [tuple(row) for row in session.execute(due.order_by(Ticket.next_due_at, Ticket.id).limit(count))]
    if len(keys) < count:
        undue = _filtered(select(Ticket.next_due_at, Ticket.id), flt, text_match).where(Ticket.next_due_at.is_(None))
        if after is not None and after.due is None:
            undue = undue.where(Ticket.id > after.ticket_id)
        keys += [tuple(row) for row in session.execute(undue.order_by(Ticket.id).limit(count - len(keys)))]
    return keys


def _may_be_due(flt: TicketFilter) -> bool:
    """Whether `flt` lists tickets of a status that has a due time in the
    inbox's order (the others all have next_due_at None)."""
    return not flt.statuses or any(status in DUE_STATUSES for status in flt.statuses)


def count_tickets(session: Session, flt: TicketFilter) -> tuple[int, bool]:
    """How many tickets `flt` lists, counted up to `count_cap(flt)`, and
    whether that is all of them. Counted as the page is read, in the inbox's
    two orders (each an index holding what the filters read), the second
    only when the first stays under the cap."""
    search = _text_search(session, flt, counting=True)
    return search.counted or _count(session, flt, search.match)


def count_cap(flt: TicketFilter) -> int:
    """Where counting the tickets `flt` lists stops."""
    return TEXT_COUNT_CAP if flt.text.strip() else COUNT_CAP


def _count(session: Session, flt: TicketFilter, text_match: ColumnElement[bool] | None) -> tuple[int, bool]:
    ranges = [Ticket.next_due_at.is_not(None)] if _may_be_due(flt) else []
    cap, counted = count_cap(flt), 0
    for in_range in ranges + [Ticket.next_due_at.is_(None)]:
        counted += session.scalar(select(func.count()).select_from(
            _filtered(select(Ticket.id), flt, text_match).where(in_range).limit(cap + 1 - counted).subquery()))
        if counted > cap:
            break
    return min(counted, cap), counted <= cap


def count_text(total: int, exact: bool) -> str:
    """A capped count as people read it: "1,000+" when there are more."""
    return f"{total:,}" if exact else f"{total:,}+"


def all_tickets(session: Session, flt: TicketFilter, chunk: int = 1000) -> Iterator[Ticket]:
    """Every ticket `flt` lists, oldest first, fetched from the database
    `chunk` rows at a time, so that an export of any size holds one chunk."""
    query = (_filtered(select(Ticket), flt, _text_condition(session, flt))
             .options(joinedload(Ticket.customer), joinedload(Ticket.assignee))
             .order_by(Ticket.id).execution_options(yield_per=chunk))
    yield from session.scalars(query)


def list_version(session: Session, order: PageOrder, limit: int) -> str:
    """Changes whenever the page of `limit` tickets at `order` may: a
    ticket comes, goes, moves or changes (its updated_at), a post or reply
    is added to one of it, or the (capped) count changes."""
    keys = order.keys[:limit]
    ids = [ticket_id for _, ticket_id in keys]
    # The rows are read and their newest taken here: asked for max(), the
    # planner may walk a whole index of the table backwards instead.
    changed = max(session.scalars(select(Ticket.updated_at).where(Ticket.id.in_(ids))), default=None)
    newest_post = max(session.scalars(select(Mention.id).where(Mention.ticket_id.in_(ids))), default=None)
    newest_reply = max(session.scalars(select(Reply.id).where(Reply.ticket_id.in_(ids))), default=None)
    page = ",".join(f"{due.isoformat() if due else ''}/{ticket_id}" for due, ticket_id in keys)
    return f"{order.total}{'' if order.total_exact else '+'}.{changed}.{newest_post}.{newest_reply}.{page}"


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


def posts_by_ticket(session: Session, ticket_ids: list[int]) -> dict[int, list[Mention]]:
    """Each ticket's customer posts, oldest first, with their authors, in
    one query (a list's rows show the one to answer and count those waiting)."""
    posts: dict[int, list[Mention]] = {ticket_id: [] for ticket_id in ticket_ids}
    if not ticket_ids:
        return posts
    query = (select(Mention).options(defer(Mention.raw), joinedload(Mention.identity, innerjoin=True))
             .where(Mention.ticket_id.in_(ticket_ids)).order_by(Mention.ticket_id, Mention.created_at, Mention.id))
    for post in session.scalars(query):
        posts[post.ticket_id].append(post)
    return posts


def loaded_conversation_version(ticket: Ticket) -> str:
    """conversation_version of a ticket `ticket_with_conversation` loaded,
    from what it holds."""
    posts = (len(ticket.mentions), max((m.id for m in ticket.mentions), default=None))
    events = (len(ticket.events), max((e.id for e in ticket.events), default=None))
    replies = [(r.id, r.status, r.attempts) for r in sorted(ticket.replies, key=lambda r: r.id)]
    return f"{ticket.updated_at}.{posts}.{events}.{replies}"


def ticket_with_conversation(session: Session, ticket_id: int) -> Ticket | None:
    """The ticket with its customer, posts, replies and events loaded."""
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            joinedload(Ticket.customer, innerjoin=True).selectinload(Customer.identities),
            joinedload(Ticket.assignee),
            selectinload(Ticket.mentions).joinedload(Mention.identity, innerjoin=True),
            selectinload(Ticket.mentions).joinedload(Mention.source),
            selectinload(Ticket.mentions).selectinload(Mention.media),
            selectinload(Ticket.replies).joinedload(Reply.agent),
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
