"""Take in posts from any platform: store each once, score it, add it to the
customer's open ticket or raise a new one, and route it. The caller owns the
transaction, so a source's cursor commits together with its posts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, joinedload

from config.settings import RoutingSettings, Settings
from connectors.base import InboundPost
from connectors.registry import can_message
from listener.assignment import History, Roster, customer_histories, route
from listener.followup_answers import asks_not_to_be_contacted, read_answer
from listener.quarantine import quarantine_post
from listener.scoring import Score, Scorer, ScoringContext
from listener.sentiment_model import trained_model_path
from store.alerts import Recipient, queue_alerts
from store import tickets
from store.customers import set_contact_opt_out
from store.incidents import link_tickets, matches, open_incidents
from store.media import add_media
from store.models import OPEN_STATUSES, Customer, Identity, Incident, Mention, Reply, Ticket
from store.quarantine import release
from store.sla import SlaClock

log = logging.getLogger(__name__)


# The database's own trouble (a lost connection, a lock not granted) is no
# post's fault: the batch fails whole and is fetched again.
DATABASE_TROUBLE = (OperationalError, InterfaceError)


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    own_posts: int = 0
    tickets_raised: int = 0
    threaded: int = 0
    quarantined: int = 0
    ticket_ids: list[int] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        """One post stored, and whether it "raised" a ticket or was "threaded" into one."""
        self.stored += 1
        self.tickets_raised += outcome == "raised"
        self.threaded += outcome == "threaded"

    def add(self, other: IngestReport) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.own_posts += other.own_posts
        self.tickets_raised += other.tickets_raised
        self.threaded += other.threaded
        self.quarantined += other.quarantined
        self.ticket_ids += other.ticket_ids


class Intake:
    def __init__(self, settings: Settings, scorer: Scorer | None = None):
        self.settings = settings
        self.scorer = scorer or Scorer(settings.scoring, model_path=trained_model_path(settings))
        self.sla = SlaClock(settings)

    def ingest(self, session: Session, posts: list[InboundPost], now: datetime,
               source_id: int | None = None) -> IngestReport:
        """Take in a batch of posts from one platform. The batch is one
        savepoint; when it fails (another process stored one of its posts
        meanwhile, or one cannot be stored) it is taken again post by post:
        what is there by now is skipped, and a post that cannot be stored is
        quarantined. Only the database's own trouble fails the batch."""
        fresh, report = self._new_posts(session, posts)
        if not fresh:
            return report
        try:
            with session.begin_nested():
                stored = self._take_all(session, fresh, now, source_id, report, one_by_one=False)
        except DATABASE_TROUBLE:
            raise
        except Exception:
            fresh, report = self._new_posts(session, posts)
            stored = self._take_all(session, fresh, now, source_id, report, one_by_one=True) if fresh else []
        release(session, posts[0].platform, stored)
        return report

    def _new_posts(self, session: Session, posts: list[InboundPost]) -> tuple[list[InboundPost], IngestReport]:
        report = IngestReport()
        if not posts:
            return [], report
        platform = posts[0].platform
        ids = [p.external_id for p in posts]
        known = set(session.scalars(
            select(Mention.external_id).where(Mention.platform == platform, Mention.external_id.in_(ids))
        ))
        ours = set(session.scalars(
            select(Reply.platform_reply_id).join(Ticket)
            .where(Ticket.platform == platform, Reply.platform_reply_id.in_(ids))
        ))
        fresh = []
        for post in posts:
            if post.by_brand or post.external_id in ours:
                report.own_posts += 1
            elif post.external_id in known:
                report.duplicates += 1
            else:
                known.add(post.external_id)
                fresh.append(post)
        return fresh, report

    def _take_all(self, session: Session, posts: list[InboundPost], now: datetime, source_id: int | None,
                  report: IngestReport, one_by_one: bool) -> list[str]:
        """The external ids of the posts stored."""
        batch = _BatchState(session, posts, now, self.settings.routing)
        stored = []
        for post in posts:
            if one_by_one:
                outcome = self._take_alone(session, post, now, source_id, report, batch)
            else:
                outcome = self._take(session, post, now, source_id, batch)
            if outcome is not None:
                report.count(outcome)
                stored.append(post.external_id)
        session.flush()
        add_media(session, [(mention.id, media) for mention, media in batch.media if mention in session])
        report.ticket_ids = [t.id for t in batch.raised if t in session]
        return stored

    def _take_alone(self, session: Session, post: InboundPost, now: datetime, source_id: int | None,
                    report: IngestReport, batch: _BatchState) -> str | None:
        """One post in a savepoint of its own. A conflict means another
        process stored it, or its author, meanwhile: it is not taken twice,
        and a post still missing is tried once more. A post that fails
        otherwise, or again, is quarantined. None when it was not stored."""
        for _ in range(2):
            try:
                with session.begin_nested():
                    return self._take(session, post, now, source_id, batch)
            except DATABASE_TROUBLE:
                raise
            except IntegrityError as error:
                batch.forget(post)
                failure: Exception = error
                if _stored(session, post):
                    report.duplicates += 1
                    log.info("%s post %s arrived twice at once; kept the first", post.platform, post.external_id)
                    return None
            except Exception as error:
                batch.forget(post)
                failure = error
                break
        log.warning("%s post %s cannot be stored and is quarantined: %s", post.platform, post.external_id,
                    failure)
        if quarantine_post(session, post, failure, source_id, now):
            report.quarantined += 1
        return None

    def _take(self, session: Session, post: InboundPost, now: datetime, source_id: int | None,
              batch: _BatchState) -> str:
        """Store, score and place one post: "threaded" into a ticket,
        "raised" a new one, or "stored" alone."""
        identity = batch.identity_for(post)
        history = batch.histories.get(identity.customer_id, History()) if identity.customer_id else History()
        context = ScoringContext(is_public=post.kind != "direct_message", tier=identity.customer.tier or "standard",
                                 recent_complaints=history.recent_complaints,
                                 breached_recently=history.recent_breach, by_brand=post.by_brand,
                                 from_platform=post.from_platform)
        score = self.scorer.score(post.text, followers=post.author.followers, rating=post.rating, context=context)
        mention = Mention(
            source_id=source_id, platform=post.platform, external_id=post.external_id, kind=post.kind,
            conversation_ref=post.conversation_id, in_reply_to=post.in_reply_to, identity=identity,
            text=post.text, url=post.url, rating=post.rating, language=post.language, created_at=post.created_at,
            received_at=now,
            raw=post.raw, sentiment=score.sentiment, polarity=score.polarity, urgency=score.urgency,
            needs_response=score.needs_response, priority=score.priority, topic=score.topic,
            reasons=list(score.reasons),
        )
        session.add(mention)
        if post.media:
            batch.media.append((mention, post.media))
        ticket = batch.ticket_for(post, identity)
        if ticket is not None:
            if tickets.awaits_followup_answer(session, ticket):
                self._followup_answered(session, ticket, mention, score, now, batch)
            else:
                was_open = ticket.is_open
                tickets.customer_wrote(session, ticket, mention, self.sla, now)
                if ticket.is_open and not was_open:
                    batch.open_tickets[identity.customer] = ticket
            return "threaded"
        if score.needs_response:
            batch.raised.append(self._raise(session, mention, now, batch))
            return "raised"
        return "stored"

    def _followup_answered(self, session: Session, ticket: Ticket, mention: Mention, score: Score, now: datetime,
                           batch: _BatchState) -> None:
        """The answer is read here and the ticket changes accordingly; a
        reopened ticket's agent is told."""
        if asks_not_to_be_contacted(mention.text):
            set_contact_opt_out(session, ticket.customer, True, "customer", now)
        outcome = read_answer(mention.text, score.sentiment)
        reason = tickets.followup_answered(session, ticket, mention, outcome, self.sla, now)
        if reason is None:
            return
        batch.open_tickets[ticket.customer] = ticket
        if ticket.assignee is not None:
            queue_alerts(session, key=f"reopened:{ticket.id}:{mention.external_id}", kind="reopened", ticket=ticket,
                         recipients=[Recipient("web", ticket.assignee.email, ticket.assignee.id)],
                         subject=f"Ticket #{ticket.id} reopened: {reason}", body=mention.text[:500],
                         link=f"{self.settings.alerts.base_url.rstrip('/')}/tickets/{ticket.id}", now=now)

    def _raise(self, session: Session, mention: Mention, now: datetime, batch: _BatchState) -> Ticket:
        customer = mention.identity.customer
        ticket = tickets.raise_ticket(session, mention, self.settings.team_for(mention.platform, mention.topic),
                                      self.sla, now)
        batch.open_tickets[customer] = ticket
        route(session, ticket, self.settings.routing, now, roster=batch.roster(),
              history=batch.histories.get(customer.id, History()))
        incident = next((i for i in batch.incidents() if matches(i, ticket, mention)), None)
        if incident is not None:
            link_tickets(session, incident, [ticket], "system", now, why="matches the incident's rule")
        return ticket


class _BatchState:
    """What the posts of one batch need to know, read in a few queries up
    front and kept current as the batch is taken in."""

    def __init__(self, session: Session, posts: list[InboundPost], now: datetime, routing: RoutingSettings):
        self.session = session
        self.now = now
        platform = posts[0].platform
        author_ids = {p.author.platform_user_id for p in posts}
        self.identities: dict[str, Identity] = {
            i.platform_user_id: i for i in session.scalars(
                select(Identity).options(joinedload(Identity.customer))
                .where(Identity.platform == platform, Identity.platform_user_id.in_(author_ids)))
        }
        customer_ids = [i.customer_id for i in self.identities.values()]
        self.open_tickets: dict[Customer, Ticket] = {}
        for ticket in session.scalars(
                select(Ticket).where(Ticket.customer_id.in_(customer_ids), Ticket.platform == platform,
                                     Ticket.status.in_(OPEN_STATUSES))
                .order_by(Ticket.created_at, Ticket.id)):
            self.open_tickets[ticket.customer] = ticket
        self.histories = customer_histories(session, customer_ids, now, routing)
        self.raised: list[Ticket] = []
        # The stored posts' media, written once their ids are known.
        self.media: list[tuple[Mention, tuple]] = []
        parents = {p.in_reply_to for p in posts if p.in_reply_to}
        self.answered: dict[str, Ticket] = {
            reply_id: ticket for reply_id, ticket in session.execute(
                select(Reply.platform_reply_id, Ticket).join(Ticket)
                .where(Ticket.platform == platform, Reply.platform_reply_id.in_(parents)))
        } if parents else {}
        conversations = {p.conversation_id for p in posts if p.conversation_id}
        self.conversations: dict[tuple[str, int], Ticket] = {
            (conversation, customer_id): ticket for conversation, customer_id, ticket in session.execute(
                select(Mention.conversation_ref, Identity.customer_id, Ticket)
                .join(Identity, Mention.identity_id == Identity.id).join(Ticket, Mention.ticket_id == Ticket.id)
                .where(Mention.platform == platform, Mention.conversation_ref.in_(conversations))
                .order_by(Ticket.created_at, Ticket.id))
        } if conversations else {}
        self.awaiting_by_conversation: dict[str, Ticket] = {}
        self.awaiting_by_customer: dict[int, Ticket] = {}
        messages = {p.conversation_id for p in posts if p.kind == "direct_message" and p.conversation_id}
        if messages:
            self._awaiting_direct_answers(platform, messages, customer_ids)
        self._roster: Roster | None = None
        self._incidents: list[Incident] | None = None

    def _awaiting_direct_answers(self, platform: str, conversations: set[str], customer_ids: list[int]) -> None:
        """The tickets whose follow-up went by direct message and awaits the
        customer's answer, by the conversation it went into and by customer."""
        for conversation, ticket in self.session.execute(
                select(Reply.conversation_ref, Ticket).join(Ticket, Reply.ticket_id == Ticket.id)
                .where(Ticket.platform == platform, Ticket.status == "resolved", Ticket.followup_state == "sent",
                       Reply.purpose == "followup", Reply.channel == "direct_message", Reply.status == "sent",
                       Reply.conversation_ref.in_(conversations) | Ticket.customer_id.in_(customer_ids))
                .order_by(Ticket.id)):
            if conversation is not None:
                self.awaiting_by_conversation[conversation] = ticket
            self.awaiting_by_customer[ticket.customer_id] = ticket

    def ticket_for(self, post: InboundPost, identity: Identity) -> Ticket | None:
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
        ticket = self.open_tickets.get(identity.customer)
        if ticket is not None:
            return ticket
        if post.kind == "direct_message" and can_message(post.platform):
            return None
        return self.conversations.get((post.conversation_id, identity.customer_id))

    def identity_for(self, post: InboundPost) -> Identity:
        """The author's identity: known, stored meanwhile by another
        process, or new. Its profile is written only where it changed: a
        write locks the row until commit, and two intakes of overlapping
        batches that each lock an author and wait for the other's post
        deadlock on PostgreSQL (an identity expired by a rolled-back
        savepoint would otherwise be written whole, changed or not)."""
        author = post.author
        identity = self.identities.get(author.platform_user_id)
        if identity is None:
            identity = self.session.scalar(
                select(Identity).options(joinedload(Identity.customer))
                .where(Identity.platform == post.platform, Identity.platform_user_id == author.platform_user_id))
        if identity is None:
            customer = Customer(display_name=author.name or author.handle, created_at=self.now)
            identity = Identity(customer=customer, platform=post.platform, platform_user_id=author.platform_user_id)
            self.session.add(identity)
        self.identities[author.platform_user_id] = identity
        for name in ("handle", "name", "followers", "verified"):
            if getattr(identity, name) != getattr(author, name):
                setattr(identity, name, getattr(author, name))
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

    def forget(self, post: InboundPost) -> None:
        """A post's savepoint was rolled back: objects it created are gone."""
        identity = self.identities.get(post.author.platform_user_id)
        if identity is not None and identity not in self.session:
            del self.identities[post.author.platform_user_id]
        self.open_tickets = {c: t for c, t in self.open_tickets.items() if t in self.session}


def _stored(session: Session, post: InboundPost) -> bool:
    return session.scalar(select(Mention.id).where(Mention.platform == post.platform,
                                                   Mention.external_id == post.external_id)) is not None
