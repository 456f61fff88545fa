"""Take in posts from any platform: store each once, score it, add it to the
customer's open ticket or raise a new one, and route it. The caller owns the
transaction, so a source's cursor commits together with its posts."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from config.settings import Settings
from connectors.base import InboundPost
from listener.assignment import NO_HISTORY, give_to_a_senior, route
from listener.batch_reading import BatchReadings, texts_read
from listener.followup_answers import asks_not_to_be_contacted, read_answer
from listener.intake_page import Page
from listener.keywords import routes_to_a_senior
from listener.quarantine import quarantine_post
from listener.reading_process import ReadingProcess
from listener.scoring import Reading, Score, Scorer, ScoringContext
from listener.sentiment_model import trained_model_path
from store.alerts import Recipient, queue_alerts
from store import tickets
from store.among import among_bound
from store.customers import set_contact_opt_out
from store.events import events_held
from store.held_tickets import HeldTicket
from store.incidents import link_tickets, matches
from store.intake_turns import take_turn
from store.models import Customer, Mention, Reply, Source, Ticket
from store.new_posts import NewPost
from store.new_tickets import NewTicket
from store import planner_statistics
from store.quarantine import release
from store.sla import SlaClock, asked_at

log = logging.getLogger(__name__)


# The database's own trouble (a lost connection, a lock not granted) is no
# post's fault: the batch fails whole and is fetched again.
DATABASE_TROUBLE = (OperationalError, InterfaceError)

# The posts of a platform stored already (False) and our own replies
# (True) among a list of external ids, with one query.
KNOWN_POSTS = union_all(
    select(Mention.external_id, literal(False))
    .where(Mention.platform == bindparam("platform"), among_bound(Mention.external_id, "ids")),
    select(Reply.platform_reply_id, literal(True)).join(Ticket)
    .where(Ticket.platform == bindparam("platform"), among_bound(Reply.platform_reply_id, "ids")))


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
    def __init__(self, settings: Settings, scorer: Scorer | None = None, reader: ReadingProcess | None = None):
        """`reader`: a worker's process that reads texts while another batch
        is placed (listener.reading_process), made from the same settings."""
        self.settings = settings
        self.scorer = scorer or Scorer(settings.scoring, model_path=trained_model_path(settings))
        self.reader = reader
        self.sla = SlaClock(settings)
        self._said_autovacuum_off = False
        # Posts stored since the statistics were last looked at; None until
        # the first page, which looks.
        self._stored_since_check: int | None = None

    def ingest(self, session: Session, posts: list[InboundPost], now: datetime,
               source_id: int | None = None) -> IngestReport:
        """Take in a batch of posts from one platform. Its texts are read
        first (listener.batch_reading), in the reading process while another
        batch is taken in; then it waits for its turn (store.intake_turns),
        so that other batches' texts are read while one is placed. The batch is one
        savepoint, written with one statement per table; when it fails
        (another process stored one of its posts or authors meanwhile, or
        one cannot be stored) it is taken again post by post: what is there
        by now is skipped, and a post that cannot be stored is quarantined.
        Only the database's own trouble fails the batch."""
        if not posts:
            return IngestReport()
        with self.reader.taking_in() if self.reader is not None else nullcontext(), \
                texts_read(self.scorer, self.reader, posts) as read:
            return self._place(session, posts, now, source_id, read)

    def _place(self, session: Session, posts: list[InboundPost], now: datetime, source_id: int | None,
               read: BatchReadings) -> IngestReport:
        take_turn(session, posts[0].platform, before_waiting=read.take_coming)
        fresh, report = self._new_posts(session, posts)
        if not fresh:
            return report
        try:
            with session.begin_nested():
                stored = self._take_page(session, fresh, now, source_id, report, read)
        except DATABASE_TROUBLE:
            raise
        except Exception:
            fresh, report = self._new_posts(session, posts)
            if fresh:
                # What the posts will write is locked first, all at once,
                # as one page would: taken one by one, they would lock it
                # in another order than other intakes do.
                Page(session, fresh, now, self.settings.routing).roster()
            stored = [post.external_id for post in fresh
                      if self._take_alone(session, post, now, source_id, report, read)]
        release(session, posts[0].platform, stored)
        self._keep_statistics(session, report.stored)
        return report

    def _keep_statistics(self, session: Session, stored: int) -> None:
        """Look for tables due to be analyzed after every few hundred posts
        stored: none is due before FEWEST_CHANGED_ROWS rows changed, and
        looking took a page of 100 half a millisecond on PostgreSQL."""
        if self._stored_since_check is not None:
            self._stored_since_check += stored
            if self._stored_since_check < planner_statistics.FEWEST_CHANGED_ROWS // 2:
                return
        self._stored_since_check = 0
        if planner_statistics.analyze_stale_tables(session) and not self._said_autovacuum_off:
            self._said_autovacuum_off = True
            log.warning("autovacuum is off on this PostgreSQL server: intake gathers the planner's statistics "
                        "itself, but nothing vacuums the tables; turn autovacuum on in postgresql.conf")

    def _new_posts(self, session: Session, posts: list[InboundPost]) -> tuple[list[InboundPost], IngestReport]:
        report = IngestReport()
        if not posts:
            return [], report
        ids = [p.external_id for p in posts]
        known, ours = set(), set()
        if session.autoflush:
            session.flush()  # as the session's own execute would, on the connection's shorter way
        for external_id, is_ours in session.connection().execute(KNOWN_POSTS, {"platform": posts[0].platform,
                                                                               "ids": ids}):
            (ours if is_ours else known).add(external_id)
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

    def _take_page(self, session: Session, posts: list[InboundPost], now: datetime, source_id: int | None,
                   report: IngestReport, read: BatchReadings) -> list[str]:
        """Store, score and place new posts, their texts read by `read`
        (or read now): what they need is read up front, the new records are made in
        memory with their ids, then written with one statement per table,
        and the records that changed with one flush. The external ids of
        the posts stored."""
        with session.no_autoflush, events_held(session) as events:
            page = Page(session, posts, now, self.settings.routing)
            listening_since = session.get(Source, source_id).listening_since if source_id is not None else None
            readings = read.of(posts)
            outcomes = [self._take(session, post, reading, mention_id, now, source_id, page, listening_since)
                        for post, reading, mention_id in zip(posts, readings, page.mention_ids)]
        page.write(events)
        for alert in page.alerts:
            queue_alerts(session, **alert)
        for outcome in outcomes:
            report.count(outcome)
        report.ticket_ids += [ticket.id for ticket in page.raised]
        return [post.external_id for post in posts]

    def _take_alone(self, session: Session, post: InboundPost, now: datetime, source_id: int | None,
                    report: IngestReport, read: BatchReadings) -> bool:
        """One post in a savepoint of its own. A conflict means another
        process stored it, or its author, meanwhile: it is not taken twice,
        and a post still missing is tried once more. A post that fails
        otherwise, or again, is quarantined. False when it was not stored."""
        for _ in range(2):
            try:
                with session.begin_nested():
                    self._take_page(session, [post], now, source_id, report, read)
                    return True
            except DATABASE_TROUBLE:
                raise
            except IntegrityError as error:
                failure: Exception = error
                if _stored(session, post):
                    report.duplicates += 1
                    log.info("%s post %s arrived twice at once; kept the first", post.platform, post.external_id)
                    return False
            except Exception as error:
                failure = error
                break
        log.warning("%s post %s cannot be stored and is quarantined: %s", post.platform, post.external_id,
                    failure)
        if quarantine_post(session, post, failure, source_id, now):
            report.quarantined += 1
        return False

    def _take(self, session: Session, post: InboundPost, reading: Reading, mention_id: int, now: datetime,
              source_id: int | None, page: Page, listening_since: datetime | None) -> str:
        """Score and place one post, its text already read: "threaded" into
        a ticket, "raised" a new one, or "stored" alone. `listening_since`:
        the source's (store.sla.asked_at)."""
        identity = page.identity_for(post)
        history = page.histories.get(identity.customer_id, NO_HISTORY)
        ticket = page.ticket_for(post, identity)
        context = ScoringContext(is_public=post.kind != "direct_message", tier=identity.customer.tier or "standard",
                                 recent_complaints=history.recent_complaints,
                                 breached_recently=history.recent_breach, by_brand=post.by_brand,
                                 from_platform=post.from_platform, answers_us=ticket is not None and ticket.is_open
                                 and page.answered.get(post.in_reply_to) is ticket, language=post.language)
        score = self.scorer.decide(reading, followers=post.author.followers, rating=post.rating, context=context)
        mention = NewPost(
            identity, id=mention_id, source_id=source_id, platform=post.platform, external_id=post.external_id,
            kind=post.kind, conversation_ref=post.conversation_id, in_reply_to=post.in_reply_to,
            text=post.text, url=post.url, rating=post.rating, language=post.language, created_at=post.created_at,
            received_at=now,
            raw=post.raw, sentiment=score.sentiment, polarity=score.polarity, urgency=score.urgency,
            needs_response=score.needs_response, priority=score.priority, topic=score.topic,
            reasons=list(score.reasons),
        )
        page.mentions.append(mention)
        if post.media:
            page.media.append((mention, post.media))
        asked = asked_at(post.created_at, listening_since, now)
        if ticket is not None:
            posts = page.posts_of(ticket)
            posts.append(mention)
            if tickets.awaits_followup_answer(session, ticket):
                self._followup_answered(session, ticket, mention, score, now, page, posts, asked)
            else:
                was_open, priority = ticket.is_open, ticket.priority
                tickets.customer_wrote(session, ticket, mention, self.sla, now, posts, asked)
                if ticket.is_open and not was_open:
                    page.open_tickets[identity.customer_id] = ticket
                if ticket.priority != priority or routes_to_a_senior(mention.reasons):
                    give_to_a_senior(session, ticket, self.settings.routing, now, page.roster, mention.reasons)
            return "threaded"
        if score.needs_response:
            page.raised.append(self._raise(session, mention, now, asked, page))
            return "raised"
        return "stored"

    def _followup_answered(self, session: Session, ticket: HeldTicket, mention: NewPost, score: Score, now: datetime,
                           page: Page, posts: list, asked: datetime) -> None:
        """The answer is read here and the ticket changes accordingly; a
        reopened ticket's agent is told. `asked`: when the customer wrote
        it (store.sla.asked_at)."""
        if asks_not_to_be_contacted(mention.text):
            set_contact_opt_out(session, session.get(Customer, ticket.customer_id), True, "customer", now)
        outcome = read_answer(mention.text, score.sentiment)
        reason = tickets.followup_answered(session, ticket, mention, outcome, self.sla, now, posts, asked)
        if reason is None:
            return
        page.open_tickets[ticket.customer_id] = ticket
        if ticket.assignee is not None:
            page.alerts.append(dict(
                key=f"reopened:{ticket.id}:{mention.external_id}", kind="reopened", ticket=ticket,
                recipients=[Recipient("web", ticket.assignee.email, ticket.assignee.id)],
                subject=f"Ticket #{ticket.id} reopened: {reason}", body=mention.text[:500],
                link=f"{self.settings.alerts.base_url.rstrip('/')}/tickets/{ticket.id}", now=now))

    def _raise(self, session: Session, mention: NewPost, now: datetime, asked: datetime, page: Page) -> NewTicket:
        customer = mention.identity.customer
        ticket = tickets.raise_unstored(session, mention, self.settings.team_for(mention.platform, mention.topic),
                                        self.sla, now, asked)
        page.open_tickets[customer.id] = ticket
        page.posts_of(ticket).append(mention)
        route(session, ticket, self.settings.routing, now, roster=page.roster(),
              history=page.histories.get(customer.id, NO_HISTORY), reasons=mention.reasons)
        incident = next((i for i in page.incidents() if matches(i, ticket, mention)), None)
        if incident is not None:
            link_tickets(session, incident, [ticket], "system", now, why="matches the incident's rule")
        return ticket


def _stored(session: Session, post: InboundPost) -> bool:
    return session.scalar(select(Mention.id).where(Mention.platform == post.platform,
                                                   Mention.external_id == post.external_id)) is not None
