"""One page of posts being taken in: what its posts need to know, read in
a few queries up front and kept current as the page is taken in, and the
records it makes, written together at its end with one statement per
table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from config.settings import RoutingSettings
from connectors.base import Author, InboundPost
from connectors.registry import can_message
from listener.assignment import HISTORY_FIELDS, Roster, histories_of
from store import tickets
from store.among import among_bound
from store.answers import ANSWER_EVENTS
from store.bulk import insert_records, made, take_ids_for, update_held_rows, write_changes
from store.events import HeldEvent, write_held_events
from store.held_tickets import HeldTicket, events_reading, hold, write_held
from store.incidents import open_incidents
from store.media import add_media
from store.new_posts import NewPost, insert_posts
from store.new_tickets import NewTicket
from store.unindexed import unindexed
from store.models import OPEN_STATUSES, Customer, Event, Identity, Incident, Mention, Reply, Ticket

# The events of a ticket a new post's placing reads: a person set its topic,
# or something answered its posts (store.answers). SQLite finds them through
# the tickets' index rather than the kinds' (store.unindexed), which had it
# read every event of those kinds.
EVENTS_READ = events_reading(
    unindexed(Event.kind).in_(ANSWER_EVENTS) | ((unindexed(Event.kind) == "topic_changed") & (Event.actor != "system")))


# What placing a post reads of the ticket's other posts (store.answers),
# read as rows: most of a page's work otherwise goes into making them
# records.
POST_FIELDS_READ = (Mention.id, Mention.ticket_id, Mention.external_id, Mention.kind, Mention.conversation_ref, Mention.in_reply_to,
                    Mention.identity_id, Mention.created_at, Mention.received_at, Mention.rating, Mention.sentiment,
                    Mention.needs_response, Mention.priority, Mention.urgency, Mention.topic)
PROFILE = ("handle", "name", "followers", "verified")


class KnownCustomer:
    """A stored customer as intake reads it: its id and tier, all that
    placing, scoring and routing a post read of it."""

    __slots__ = ("id", "tier")

    def __init__(self, customer_id: int, tier: str | None):
        self.id = customer_id
        self.tier = tier


class KnownAuthor:
    """A stored identity as intake reads it, with its customer: a plain
    object, since a page only reads it and writes its changed profile with
    an UPDATE of its own (write_profiles)."""

    __slots__ = ("id", "customer_id", "customer", "platform_user_id", *PROFILE)

    def __init__(self, row: tuple, customers: dict[int, KnownCustomer]):
        self.id, self.customer_id, self.platform_user_id, self.handle, self.name, self.followers, \
            self.verified, tier = row
        customer = customers.get(self.customer_id)
        if customer is None:
            customer = customers[self.customer_id] = KnownCustomer(self.customer_id, tier)
        self.customer = customer


# What a page reads, built once (store.among): the authors known, with their
# customers; the tickets of the authors' customers; the tickets whose answers
# posts reply to; the tickets of the posts' conversations, with the
# customers who wrote in them; and the posts of the tickets the page holds.
KNOWN_AUTHORS = (select(Identity.id, Identity.customer_id, Identity.platform_user_id,
                        *(getattr(Identity, name) for name in PROFILE), Customer.tier)
                 .join(Customer, Identity.customer_id == Customer.id)
                 .where(Identity.platform == bindparam("platform"), among_bound(Identity.platform_user_id, "ids")))
CUSTOMERS_TICKETS = (select(Ticket.id, Ticket.platform, Ticket.status, *HISTORY_FIELDS)
                     .where(among_bound(Ticket.customer_id, "customers")).order_by(Ticket.created_at, Ticket.id))
ANSWERED_TICKETS = (select(Reply.platform_reply_id, Reply.ticket_id).join(Ticket)
                    .where(Ticket.platform == bindparam("platform"), among_bound(Reply.platform_reply_id, "ids")))
CONVERSATIONS_TICKETS = (select(Mention.conversation_ref, Mention.platform, Identity.customer_id, Mention.ticket_id)
                         .join(Identity, Mention.identity_id == Identity.id)
                         .join(Ticket, Mention.ticket_id == Ticket.id)
                         .where(among_bound(Mention.conversation_ref, "conversations"))
                         .order_by(Ticket.created_at, Ticket.id))
AWAITING_DIRECT_ANSWERS = (
    select(Reply.conversation_ref, Ticket.customer_id, Ticket.id).join(Ticket, Reply.ticket_id == Ticket.id)
    .where(Ticket.platform == bindparam("platform"), Ticket.status == "resolved", Ticket.followup_state == "sent",
           Reply.purpose == "followup", Reply.channel == "direct_message", Reply.status == "sent",
           among_bound(Reply.conversation_ref, "conversations") | among_bound(Ticket.customer_id, "customers"))
    .order_by(Ticket.id))
TICKETS_POSTS = select(*POST_FIELDS_READ).where(among_bound(Mention.ticket_id, "tickets"))
LOCK_AUTHORS = (select(Identity.id).where(among_bound(Identity.id, "ids")).order_by(Identity.id)
                .with_for_update(key_share=True))


class Page:
    """New records (authors, posts, tickets) are made in memory, never
    added to the session: their ids are taken up front, so they can point to
    each other, and `write` inserts them. Records read from the database
    change as usual and are flushed once, after the inserts."""

    def __init__(self, session: Session, posts: list[InboundPost], now: datetime, routing: RoutingSettings):
        self.session = session
        self.now = now
        platform = posts[0].platform
        author_ids = list({p.author.platform_user_id for p in posts})
        connection = session.connection()
        # The known authors and their customers, as plain objects (loading
        # them as records took more time than any query of the page).
        customers: dict[int, KnownCustomer] = {}
        self.identities: dict[str, KnownAuthor | Identity] = {
            row[2]: KnownAuthor(row, customers)
            for row in connection.execute(KNOWN_AUTHORS, {"platform": platform, "ids": author_ids})}
        customer_ids = list(customers)
        # The authors' customers' tickets, read once for their histories and
        # for which tickets the posts may join, by id; then those tickets,
        # read once. Whether a ticket is open on this platform is checked
        # here, not in the query: SQLite, which keeps no statistics, would
        # read every open ticket through the index on status rather than the
        # customers' tickets through theirs.
        customers_tickets = connection.execute(CUSTOMERS_TICKETS, {"customers": customer_ids}).all()
        self.histories = histories_of([row[3:] for row in customers_tickets], now, routing)
        open_ticket_ids = {
            customer_id: ticket_id for ticket_id, ticket_platform, status, customer_id, *_history in customers_tickets
            if ticket_platform == platform and status in OPEN_STATUSES}
        parents = list({p.in_reply_to for p in posts if p.in_reply_to})
        answered_ids = {reply_id: ticket_id for reply_id, ticket_id in (connection.execute(
            ANSWERED_TICKETS, {"platform": platform, "ids": parents}) if parents else ())}
        conversations = list({p.conversation_id for p in posts if p.conversation_id})
        # The posts' platform is checked here, not in the query: SQLite,
        # which keeps no statistics, would read the posts through the index
        # that starts with the platform, every post of the platform, rather
        # than through the conversations' own index.
        conversation_ids = {
            (conversation, customer_id): ticket_id
            for conversation, post_platform, customer_id, ticket_id in (connection.execute(
                CONVERSATIONS_TICKETS, {"conversations": conversations}) if conversations else ())
            if post_platform == platform}
        messages = list({p.conversation_id for p in posts if p.kind == "direct_message" and p.conversation_id})
        awaiting_ids = self._awaiting_direct_answers(platform, messages, customer_ids) if messages else []
        # The tickets posts may join, as they are now, with what placing a
        # post reads of them. On PostgreSQL their rows stay locked until the
        # transaction ends, taken in the order of their ids before anything
        # else is written: two intakes joining posts to the same tickets
        # wait for each other instead of deadlocking or writing over each
        # other.
        self.known_tickets = hold(session, {
            *open_ticket_ids.values(), *answered_ids.values(), *conversation_ids.values(),
            *(ticket_id for _conversation, _customer_id, ticket_id in awaiting_ids)}, EVENTS_READ, customers)
        tickets_by_id = {ticket.id: ticket for ticket in self.known_tickets}
        self._posts: dict[NewTicket | HeldTicket, list] = {ticket: [] for ticket in self.known_tickets}
        if tickets_by_id:
            for row in connection.execute(TICKETS_POSTS, {"tickets": list(tickets_by_id)}):
                self._posts[tickets_by_id[row.ticket_id]].append(row)
        # Each customer's open ticket, by customer id.
        self.open_tickets: dict[int, NewTicket | HeldTicket] = {
            customer_id: tickets_by_id[ticket_id] for customer_id, ticket_id in open_ticket_ids.items()
            if ticket_id in tickets_by_id}
        self.answered: dict[str, HeldTicket] = {
            reply_id: tickets_by_id[ticket_id] for reply_id, ticket_id in answered_ids.items()
            if ticket_id in tickets_by_id}
        self.conversations: dict[tuple[str, int], HeldTicket] = {
            key: tickets_by_id[ticket_id] for key, ticket_id in conversation_ids.items() if ticket_id in tickets_by_id}
        self.awaiting_by_conversation: dict[str, HeldTicket] = {}
        self.awaiting_by_customer: dict[int, HeldTicket] = {}
        for conversation, customer_id, ticket_id in awaiting_ids:
            if ticket_id in tickets_by_id:
                if conversation is not None:
                    self.awaiting_by_conversation[conversation] = tickets_by_id[ticket_id]
                self.awaiting_by_customer[customer_id] = tickets_by_id[ticket_id]
        self._lock_changed_profiles(posts)
        new_authors = len({p.author.platform_user_id for p in posts} - self.identities.keys())
        ids = take_ids_for(session, {Mention: len(posts), Customer: new_authors, Identity: new_authors})
        # The ids of the page's posts, in their order, and of its new authors.
        self.mention_ids = ids[Mention]
        self._new_ids: Iterator[tuple[int, int]] = zip(ids[Customer], ids[Identity])
        self.new_identities: list[Identity] = []
        # The profiles that changed, by identity id: the records show them
        # at once, and they are written with one UPDATE.
        self._profiles: dict[int, dict] = {}
        self.mentions: list[NewPost] = []
        self.raised: list[NewTicket] = []
        # The posts' media, written once the posts are.
        self.media: list[tuple[NewPost, tuple]] = []
        # Alerts to staff (store.alerts.queue_alerts arguments), queued once
        # the page is written.
        self.alerts: list[dict] = []
        self._roster: Roster | None = None
        self._incidents: list[Incident] | None = None

    def _awaiting_direct_answers(self, platform: str, conversations: list[str],
                                 customer_ids: list[int]) -> list[tuple[str | None, int, int]]:
        """The tickets whose follow-up went by direct message and awaits the
        customer's answer: (the conversation it went into, customer id,
        ticket id), oldest ticket first."""
        return [tuple(row) for row in self.session.connection().execute(AWAITING_DIRECT_ANSWERS, {
            "platform": platform, "conversations": conversations, "customers": customer_ids})]

    def _lock_changed_profiles(self, posts: list[InboundPost]) -> None:
        """On PostgreSQL, the rows of known authors whose profile changed are
        locked now, in the order of their ids, for the same reason."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        known = [(self.identities.get(p.author.platform_user_id), p.author) for p in posts]
        changed = {identity.id for identity, author in known
                   if identity is not None and _profile_changed(identity, author)}
        if changed:
            self.session.connection().execute(LOCK_AUTHORS, {"ids": list(changed)})

    def posts_of(self, ticket: NewTicket | HeldTicket) -> list:
        """The ticket's posts (rows of POST_FIELDS_READ, and the page's
        own posts on it), to which the caller adds a post joining it."""
        return self._posts.setdefault(ticket, [])

    def ticket_for(self, post: InboundPost, identity: KnownAuthor | Identity) -> NewTicket | HeldTicket | None:
        """The ticket a post belongs to: the one whose answer it replies to
        (for a direct message, the one whose follow-up by direct message
        awaits an answer in that conversation or from that customer), else
        the customer's open ticket, else the customer's ticket from the same
        conversation (even when resolved). Where the brand sends direct
        messages itself (X), a direct-message conversation is the customer's
        one conversation with the brand, whatever the subject, so it does not
        tell which ticket a message is about."""
        if post.kind == "direct_message":
            awaiting = self.awaiting_by_conversation.get(post.conversation_id)
            if awaiting is None or awaiting.customer_id != identity.customer_id:
                awaiting = self.awaiting_by_customer.get(identity.customer_id)
            if awaiting is not None:
                return awaiting
        answered = self.answered.get(post.in_reply_to)
        if answered is not None and answered.customer_id == identity.customer_id:
            return answered
        ticket = self.open_tickets.get(identity.customer_id)
        if ticket is not None:
            return ticket
        if post.kind == "direct_message" and can_message(post.platform):
            return None
        return self.conversations.get((post.conversation_id, identity.customer_id))

    def identity_for(self, post: InboundPost) -> KnownAuthor | Identity:
        """The author's identity, known (a KnownAuthor) or new (a record
        made in memory, written by `write`). Its profile is written only
        where it changed: a write locks the row until commit, and two intakes
        of overlapping batches that each lock an author and wait for the
        other's post deadlock on PostgreSQL."""
        author = post.author
        identity = self.identities.get(author.platform_user_id)
        if identity is None:
            customer_id, identity_id = next(self._new_ids)
            customer = made(Customer, id=customer_id, display_name=author.name or author.handle,
                            created_at=self.now)
            identity = made(Identity, id=identity_id, customer=customer, customer_id=customer.id,
                            platform=post.platform, platform_user_id=author.platform_user_id,
                            **{name: getattr(author, name) for name in PROFILE})
            self.identities[author.platform_user_id] = identity
            self.new_identities.append(identity)
            return identity
        if _profile_changed(identity, author):
            profile = {name: getattr(author, name) for name in PROFILE}
            self._profiles[identity.id] = profile
            for name, value in profile.items():
                setattr(identity, name, value)
        return identity

    def incidents(self) -> list[Incident]:
        """The open incidents with a rule, which new tickets may join."""
        if self._incidents is None:
            self._incidents = [i for i in open_incidents(self.session) if i.has_rule]
        return self._incidents

    def roster(self) -> Roster:
        if self._roster is None:
            self._roster = Roster(self.session)
        return self._roster

    def write(self, events: list[HeldEvent]) -> None:
        """Insert the page's new records, parents first, each table's rows
        in the order of its unique key (two intakes storing some of the
        same posts or authors then wait for each other instead of
        deadlocking), then flush the records that changed."""
        session = self.session
        # The lists of stored records that took in records made in memory
        # are read afresh when next asked for, from the rows written here.
        for incident in self._incidents or ():
            session.expire(incident, ["tickets"])
        with session.no_autoflush:
            insert_records(session, Customer, [identity.customer for identity in self.new_identities])
            insert_records(session, Identity, self.new_identities, order_by=("platform", "platform_user_id"))
            tickets.write_raised(session, self.raised)
            insert_posts(session, self.mentions)
            add_media(session, [(mention.id, media) for mention, media in self.media])
            write_held_events(session, events)
            write_held(session, self.known_tickets)
            write_profiles(session, self._profiles)
            if self._roster is not None:
                write_changes(session, self._roster.agents.values())
        session.flush()


def write_profiles(session: Session, profiles: dict[int, dict]) -> None:
    """The authors' changed profiles, by identity id, in the order of the
    ids (so two intakes wait for each other rather than deadlock; on
    PostgreSQL they were locked in that order already)."""
    update_held_rows(session, Identity.__table__, PROFILE,
                     [(*(profiles[identity_id][name] for name in PROFILE), identity_id)
                      for identity_id in sorted(profiles)])


def _profile_changed(identity: KnownAuthor, author: Author) -> bool:
    """Whether any of PROFILE differs."""
    return ((identity.handle, identity.name, identity.followers, identity.verified)
            != (author.handle, author.name, author.followers, author.verified))
