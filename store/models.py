"""The domain records (see DESIGN.md). A ticket's state changes only
through store.tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
)
from sqlalchemy import column as sql_column
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from config.settings import PRIORITIES
from store.types import UTCDateTime

TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")
REPLY_STATUSES = ("queued", "sending", "sent", "failed")
ROLES = ("agent", "senior", "manager", "admin")
PRESENCES = ("online", "away", "offline")
CORRECTABLE_FIELDS = ("needs_response", "priority", "topic", "sentiment")
ALERT_CHANNELS = ("web", "email", "slack", "digest")
# The kinds of alert a person can choose to hear of, and how widely.
ALERT_KINDS = ("at_risk", "breached", "escalated", "reopened", "spike")
ALERT_SCOPES = ("all", "team", "mine")
# The moments a response target is met or missed at, each indexed.
SLA_MOMENTS = ("first_response_at", "first_response_due_at", "resolved_at", "resolution_due_at",
               "next_response_due_at")
# Why a reply is sent: an agent's answer, a follow-up after resolution, an
# incident's status update, a thank-you for praise.
REPLY_PURPOSES = ("answer", "followup", "broadcast", "thanks")
# Where a reply goes: under the customer's post, or by direct message to
# the customer (X, where they wrote by one or a follow-up policy says so).
REPLY_CHANNELS = ("thread", "direct_message")
INCIDENT_STATUSES = ("open", "fixed")
# The SLA policy of a thank-you's own closed ticket: no targets, and left
# out of the response-time reports.
THANKS_POLICY = "thanks"
# A ticket's follow-up: scheduled, then sent (awaiting the customer's
# answer), then one of the outcomes; or cancelled or failed on the way.
FOLLOWUP_STATES = ("scheduled", "sent", "satisfied", "unsatisfied", "unconfirmed", "cancelled", "failed")
# What a photo or video attached to a post is (connectors.base.MEDIA_KINDS).
MEDIA_KINDS = ("image", "video", "gif")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def trigram_index(name: str, column: str) -> Index:
    """A trigram index on the lowered `column`, which `LIKE '%text%'` reads
    (PostgreSQL only; migration 0016 leaves it out where pg_trgm may not
    be created)."""
    lowered = func.lower(sql_column(column)).label(f"{column}_lowered")
    return postgresql_only(Index(name, lowered, postgresql_using="gin", postgresql_ops={lowered.name: "gin_trgm_ops"}))


# The names of the indexes built on PostgreSQL alone.
POSTGRESQL_ONLY_INDEXES: set[str] = set()


def postgresql_only(index: Index) -> Index:
    """An index built on PostgreSQL alone, known by name to `built_on`."""
    POSTGRESQL_ONLY_INDEXES.add(index.name)
    return index.ddl_if(dialect="postgresql")


def built_on(dialect_name: str, schema_item: Any) -> bool:
    """Whether the schema has `schema_item` on that database: not an index
    built on PostgreSQL alone, elsewhere. Alembic's comparison of the
    models with a database does not ask (include_object)."""
    return dialect_name == "postgresql" or getattr(schema_item, "name", None) not in POSTGRESQL_ONLY_INDEXES


OPEN_SQL = _in("status", OPEN_STATUSES)
# The ticket columns the inbox's and the API's filters read.
LIST_FILTERED = ("status", "priority", "platform", "topic", "team", "assignee_id", "snoozed_until", "paused_at")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    target: Mapped[str] = mapped_column(String(500), default="")
    query: Mapped[str] = mapped_column(String(500), default="")
    credentials_ref: Mapped[str] = mapped_column(String(100))
    cursor: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    poll_seconds: Mapped[int] = mapped_column(Integer, default=60)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None]
    # Since when closeloop has listened to it without a break of its own
    # choosing (added, enabled or resumed): a post from before then was
    # nobody's to answer yet (store.sla.asked_at).
    listening_since: Mapped[datetime | None]
    # Paused by an admin from the web; the config still lists it.
    paused_at: Mapped[datetime | None]
    paused_by: Mapped[str | None] = mapped_column(String(320))
    # The worker polling it now ("host:pid"), until the lease expires; the
    # worker renews it while the poll lasts (listener/source_leases.py).
    leased_by: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(_in("status", ("new", "ok", "backing_off", "broken")), name="source_status"),)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    email: Mapped[str | None] = mapped_column(String(320))
    crm_id: Mapped[str | None] = mapped_column(String(100))
    # The customer asked not to be contacted: no follow-ups.
    contact_opt_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    identities: Mapped[list[Identity]] = relationship(back_populates="customer")


class Identity(Base):
    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    followers: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="identities")

    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="identity_per_platform_user"),
        # Text search finds a customer by part of a handle or name (PostgreSQL, with pg_trgm).
        *(trigram_index(f"ix_identities_{column}_trigrams", column) for column in ("handle", "name")),
    )


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    team: Mapped[str] = mapped_column(String(100), default="care")
    platforms: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    presence: Mapped[str] = mapped_column(String(20), default="offline")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="agent_role"),
        CheckConstraint(_in("presence", PRESENCES), name="agent_presence"),
        CheckConstraint("capacity >= 0", name="agent_capacity"),
    )



class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(50))
    sla_policy: Mapped[str] = mapped_column(String(100), default="default")
    first_response_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    # When the response target that is running now started (creation, or the
    # customer's latest post), moved on by pauses; at-risk is measured from it.
    sla_started_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    # The due times already announced as at risk and as breached: a check
    # after a restart neither repeats nor misses an announcement.
    at_risk_announced_for: Mapped[datetime | None]
    breach_announced_for: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Out of the inbox until then; a customer's new post brings it back.
    snoozed_until: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    assignment_reason: Mapped[str | None] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    team: Mapped[str] = mapped_column(String(100), default="care")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    next_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_state: Mapped[str | None] = mapped_column(String(20))
    # When the scheduled follow-up is due, or when a sent one stops waiting
    # for the customer's answer.
    followup_due_at: Mapped[datetime | None]
    followup_answer: Mapped[str | None] = mapped_column(Text)
    # The inbox's order, kept by `keep_next_due_at` at every write: the due
    # time of the running response target (see `queue_due_at`), else None.
    next_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    customer: Mapped[Customer] = relationship()
    assignee: Mapped[Agent | None] = relationship()
    incident: Mapped[Incident | None] = relationship(back_populates="tickets")
    mentions: Mapped[list[Mention]] = relationship(back_populates="ticket", order_by="Mention.created_at")
    replies: Mapped[list[Reply]] = relationship(back_populates="ticket", order_by="Reply.id")
    events: Mapped[list[Event]] = relationship(back_populates="ticket", order_by="Event.id")

    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="ticket_status"),
        CheckConstraint(_in("priority", PRIORITIES), name="ticket_priority"),
        Index("ix_tickets_status_due", "status", "first_response_due_at"),
        Index("ix_tickets_followup", "followup_state", "followup_due_at"),
        # Pages that read the same however many tickets there are: the
        # inbox in due order, then the open tickets nothing is due on; open
        # tickets per agent and per team; the oldest wait per team; reports
        # over a period.
        # The orders carry what the list filters read (PostgreSQL), so a
        # filtered page and its count are read from the index alone.
        Index("ix_tickets_due_order", "next_due_at", "id", postgresql_where=sql_text("next_due_at IS NOT NULL"),
              sqlite_where=sql_text("next_due_at IS NOT NULL"), postgresql_include=LIST_FILTERED),
        Index("ix_tickets_undue_order", "id", postgresql_where=sql_text("next_due_at IS NULL"),
              sqlite_where=sql_text("next_due_at IS NULL"), postgresql_include=LIST_FILTERED),
        Index("ix_tickets_open_undue", "id", postgresql_where=sql_text(f"next_due_at IS NULL AND {OPEN_SQL}"),
              sqlite_where=sql_text(f"next_due_at IS NULL AND {OPEN_SQL}"), postgresql_include=LIST_FILTERED),
        Index("ix_tickets_open_assignee", "assignee_id", postgresql_where=sql_text(OPEN_SQL),
              sqlite_where=sql_text(OPEN_SQL)),
        Index("ix_tickets_open_team", "team", "next_due_at", "snoozed_until", "paused_at",
              postgresql_where=sql_text(OPEN_SQL), sqlite_where=sql_text(OPEN_SQL)),
        Index("ix_tickets_running_since", "team", "sla_started_at", "id",
              postgresql_where=sql_text("next_due_at IS NOT NULL AND paused_at IS NULL"),
              sqlite_where=sql_text("next_due_at IS NOT NULL AND paused_at IS NULL")),
        Index("ix_tickets_created_at", "created_at"),
        # No query orders or filters tickets by updated_at; on SQLite the
        # index only cost intake its writes (migration 0020).
        postgresql_only(Index("ix_tickets_updated_at", "updated_at")),
        *(Index(f"ix_tickets_{moment}", moment, postgresql_where=sql_text(f"{moment} IS NOT NULL"),
                sqlite_where=sql_text(f"{moment} IS NOT NULL")) for moment in SLA_MOMENTS),
        CheckConstraint(f"followup_state IS NULL OR {_in('followup_state', FOLLOWUP_STATES)}",
                        name="ticket_followup_state"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def queue_due_at(self) -> datetime | None:
        """Where the ticket sorts in the inbox: the running target's due
        time while it is new or open (paused or not), else None."""
        if self.status not in ("new", "open"):
            return None
        return self.first_response_due_at if self.first_response_at is None else self.next_response_due_at

    def due_at(self) -> datetime | None:
        """The next response-time target this ticket must meet, if any."""
        if not self.is_open or self.paused_at is not None:
            return None
        if self.first_response_at is None:
            return self.first_response_due_at
        return self.next_response_due_at

    def time_left(self, now: datetime) -> timedelta | None:
        due = self.due_at()
        return None if due is None else due - now

    def is_breached(self, now: datetime) -> bool:
        due = self.due_at()
        return due is not None and now > due


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def keep_next_due_at(mapper, connection, ticket: Ticket) -> None:
    """Every write of a ticket through the ORM stores its inbox order."""
    ticket.next_due_at = ticket.queue_due_at()


class Mention(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    conversation_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(100))
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1000), default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sentiment: Mapped[str] = mapped_column(String(20))
    polarity: Mapped[float]
    urgency: Mapped[float]
    needs_response: Mapped[bool] = mapped_column(Boolean)
    # A person's latest word on whether it needs a response, overruling the
    # scorer's (store.corrections); None while nobody has given one.
    person_needs_response: Mapped[bool | None] = mapped_column(Boolean)
    priority: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(50))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    source: Mapped[Source | None] = relationship()
    identity: Mapped[Identity] = relationship()
    ticket: Mapped[Ticket | None] = relationship(back_populates="mentions")
    # Written by store.media.add_media with the post, never through here.
    media: Mapped[list[MentionMedia]] = relationship(order_by="MentionMedia.position", viewonly=True)

    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="mention_once_per_platform"),
        # The mentions stream, newest first, and its count of the last day.
        Index("ix_mentions_created_at_id", "created_at", "id"),
        # The comments the moderation rule looks at: those that arrived lately.
        Index("ix_mentions_received_at", "received_at"),
        # Text search finds posts by part of their text (PostgreSQL, with pg_trgm).
        trigram_index("ix_mentions_text_trigrams", "text"),
    )

    @property
    def needs_response_in_force(self) -> bool:
        """Whether a person should answer it: a person's latest word, else
        the scorer's."""
        return self.needs_response if self.person_needs_response is None else self.person_needs_response


class MentionMedia(Base):
    """A photo or video attached to a post, in the post's order: a
    reference to where the platform serves it, fetched through the web
    app's media proxy when someone looks at it."""

    __tablename__ = "mention_media"

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text, default="")
    alt_text: Mapped[str] = mapped_column(Text, default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # A still image for a video, where the platform gives one.
    preview_url: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (CheckConstraint(_in("kind", MEDIA_KINDS), name="mention_media_kind"),)


class QuarantinedPost(Base):
    """A post, or an item of a platform's answer, that could not be stored:
    kept raw with the reason, so its batch and its source's cursor go on.
    An admin retries it after a fix (a post that was parsed is taken in
    again) or dismisses it; a post stored later leaves the quarantine."""

    __tablename__ = "quarantined_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    # The platform's id, when the item has one.
    external_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[Any] = mapped_column(JSON)
    # The post as its connector parsed it, when it was: what a retry takes in.
    post: Mapped[dict[str, Any] | None]
    # How many times it failed: once, and once more per retry or repeat.
    failures: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]

    source: Mapped[Source | None] = relationship()

    __table_args__ = (UniqueConstraint("platform", "external_id", name="quarantined_once_per_platform"),)


class Reply(Base):
    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    purpose: Mapped[str] = mapped_column(String(20), default="answer", server_default="answer")
    channel: Mapped[str] = mapped_column(String(20), default="thread", server_default="thread")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An attempt may have posted it (it timed out, or its worker died): the
    # next one looks on the platform first. Not after a definite failure.
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    platform_reply_id: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(1000))
    # The direct-message conversation the platform put a message in: the
    # customer's answer there is matched to this reply's ticket.
    conversation_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="replies")
    mention: Mapped[Mention] = relationship()
    agent: Mapped[Agent | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", REPLY_STATUSES), name="reply_status"),
        CheckConstraint(_in("purpose", REPLY_PURPOSES), name="reply_purpose"),
        CheckConstraint(_in("channel", REPLY_CHANNELS), name="reply_channel"),
        Index("ix_replies_status_next", "status", "next_attempt_at"),
        Index("ix_replies_platform_reply_id", "platform_reply_id",
              postgresql_where=sql_text("platform_reply_id IS NOT NULL"),
              sqlite_where=sql_text("platform_reply_id IS NOT NULL")),
    )


class Event(Base):
    """Append-only: everything that happens to a ticket, with who and why."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id"))
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(320), default="system")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    mention: Mapped[Mention | None] = relationship()

    __table_args__ = (
        Index("ix_events_kind_at", "kind", "at"),
        # The events that bear on answers (store.answers.ANSWER_EVENTS), for a list's rows.
        Index("ix_events_answer_kinds", "ticket_id",
              postgresql_where=sql_text("kind IN ('answered_elsewhere', 'taken_into_ticket')"),
              sqlite_where=sql_text("kind IN ('answered_elsewhere', 'taken_into_ticket')")),
        # Who held a ticket at a moment (store.held_by), for the figures by agent.
        Index("ix_events_assignments", "ticket_id", "at", "id",
              postgresql_where=sql_text("kind IN ('assigned', 'unassigned')"),
              sqlite_where=sql_text("kind IN ('assigned', 'unassigned')")),
    )


class Correction(Base):
    """An agent overruled the scorer: what it said, what the agent said.
    Corrections train the next model and show how often the scorer errs."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    platform: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(30))
    original: Mapped[str | None] = mapped_column(String(100))
    corrected: Mapped[str] = mapped_column(String(100))
    original_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    mention: Mapped[Mention] = relationship()

    __table_args__ = (
        CheckConstraint(_in("field", CORRECTABLE_FIELDS), name="correction_field"),
    )


class Alert(Base):
    """A message to staff (at risk, breached, escalated, ...) on one channel
    to one recipient, delivered by the alert outbox. `key` names the
    occasion: one alert per occasion, channel and recipient, whatever
    restarts happen in between."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    # Set when the alert came in the recipient's quiet hours: it waits
    # until then and goes out with the others held until the same time.
    held_until: Mapped[datetime | None]

    ticket: Mapped[Ticket | None] = relationship()

    __table_args__ = (
        UniqueConstraint("key", "channel", "recipient", name="alert_once_per_occasion"),
        CheckConstraint(_in("channel", ALERT_CHANNELS), name="alert_channel"),
        CheckConstraint(_in("status", ("queued", "sending", "sent", "failed")), name="alert_status"),
        Index("ix_alerts_status_next", "status", "next_attempt_at"),
    )


class AlertPreference(Base):
    """Who gets which alerts, how and when: one row per person who chose,
    or per role (the default of that role's people who did not). Times of
    day are in `timezone`; quiet hours may run past midnight."""

    __tablename__ = "alert_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), unique=True)
    role: Mapped[str | None] = mapped_column(String(20), unique=True)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(String(10), default="all")
    slack_user: Mapped[str | None] = mapped_column(String(30))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("(agent_id IS NULL) <> (role IS NULL)", name="alert_preference_owner"),
        CheckConstraint(_in("scope", ALERT_SCOPES), name="alert_preference_scope"),
        CheckConstraint("digest_hour >= 0 AND digest_hour <= 23", name="alert_preference_digest_hour"),
        CheckConstraint("(quiet_from IS NULL) = (quiet_until IS NULL)", name="alert_preference_quiet_hours"),
    )


class SlackThread(Base):
    """The Slack message that first told a channel of a ticket: later
    alerts about the ticket there are posted in its thread."""

    __tablename__ = "slack_threads"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    ts: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class Incident(Base):
    """A problem many customers share ("payment outage 14:00"). Tickets are
    linked by hand or by its rule (topic, keywords, posts since a time);
    while it is open, new matching tickets join it. When it is fixed, one
    status update goes to every linked customer in their own thread."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    topic: Mapped[str | None] = mapped_column(String(50))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    since: Mapped[datetime | None]
    opened_by: Mapped[str] = mapped_column(String(320))
    opened_at: Mapped[datetime]
    fixed_at: Mapped[datetime | None]
    fixed_by: Mapped[str | None] = mapped_column(String(320))
    update_message: Mapped[str | None] = mapped_column(Text)

    tickets: Mapped[list[Ticket]] = relationship(back_populates="incident", order_by="Ticket.id")

    __table_args__ = (CheckConstraint(_in("status", INCIDENT_STATUSES), name="incident_status"),)

    @property
    def has_rule(self) -> bool:
        return bool(self.topic or self.keywords)


class Spike(Base):
    """A topic's negative posts rose well above their usual level. One row
    per spike, kept open (ended_at empty) while it lasts, so it is announced
    once however long it goes on."""

    __tablename__ = "spikes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(50), index=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    count: Mapped[int] = mapped_column(Integer)
    peak_count: Mapped[int] = mapped_column(Integer)
    usual: Mapped[float]
    threshold: Mapped[float]
    example_mention_ids: Mapped[list[Any]] = mapped_column(default=list)


class CannedResponse(Base):
    """A reply text leads keep for agents, with placeholders filled in for
    the ticket at hand."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SavedView(Base):
    """An agent's named inbox filter."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("agent_id", "name", name="saved_view_name_per_agent"),)


class TicketView(Base):
    """Who has a ticket open right now, and who is writing a reply, so that
    two agents do not answer one customer twice."""

    __tablename__ = "ticket_views"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    seen_at: Mapped[datetime]
    composing_at: Mapped[datetime | None]

    agent: Mapped[Agent] = relationship()


class AuditEntry(Base):
    """Append-only: who did what outside a ticket's own events (sign-ins,
    users, tokens, sources, settings, canned responses)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SettingsOverride(Base):
    """A part of the settings (see config.settings.WEB_EDITABLE) as an admin
    set it in the web; applied over the config file's."""

    __tablename__ = "settings_overrides"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]


class LoginFailure(Base):
    """Recent failed sign-ins per email, for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[datetime]


class WebhookCursor(Base):
    """How far an outgoing webhook endpoint has been sent the ticket events:
    delivery follows the events table in order, at least once, and a
    failing endpoint backs off without holding up the others."""

    __tablename__ = "webhook_cursors"

    endpoint: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_sent_at: Mapped[datetime | None]


class ApiToken(Base):
    """Only a hash of the token is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]

    agent: Mapped[Agent] = relationship()


# What can be done to a comment under the brand's own post. Hide and unhide,
# like and unlike undo each other; delete cannot be undone.
MODERATION_ACTIONS = ("hide", "unhide", "like", "unlike", "delete")
MODERATION_STATUSES = ("queued", "sending", "done", "failed")


class ModerationAction(Base):
    """One moderation of a comment on the platform, sent by the moderation
    outbox at most once: who asked for it and why (a person, or the rule
    that hides spam), and how sending it went. A send whose outcome is
    unknown is checked against the platform before it is tried again."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    # The person's email, or "rule" for the rule that hides by itself.
    requested_by: Mapped[str] = mapped_column(String(320))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The action this one takes back (an unhide of a hide).
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_actions.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    mention: Mapped[Mention] = relationship()
    agent: Mapped[Agent | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("action", MODERATION_ACTIONS), name="moderation_action"),
        CheckConstraint(_in("status", MODERATION_STATUSES), name="moderation_status"),
        Index("ix_moderation_actions_status_next", "status", "next_attempt_at"),
    )


class KeptFigures(Base):
    """A report's figures of one whole past UTC day or hour, kept once
    counted (store.kept_figures). `computed_at` is the database's clock,
    in seconds since 1970, when the counting began."""

    __tablename__ = "kept_figures"

    report: Mapped[str] = mapped_column(String(40), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    hours: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[float]
    figures: Mapped[Any] = mapped_column(JSON)


class FigureMark(Base):
    """Written by the database's triggers on every write to a ticket or an
    event: the kept figures from `since` on may have changed at `marked_at`
    (the database's clock, seconds since 1970)."""

    __tablename__ = "figure_marks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    since: Mapped[datetime]
    marked_at: Mapped[float] = mapped_column(index=True)
