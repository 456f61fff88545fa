"""Corrections: an agent overruled the scorer on a post. Each is kept with
what the scorer said, for retraining and for counting how often it errs.
A post's latest correction of a field is the word in force; the scorer's
stays on the post, and a person's word on whether it needs a response is
kept beside it (Mention.person_needs_response)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import Agent, Correction, Mention

NEEDS_RESPONSE = "needs_response"


@dataclass(frozen=True)
class NeedsResponse:
    """Whether a person should answer a post: the decision in force, the
    scorer's word, and the person who overruled it (None: nobody did)."""

    in_force: bool
    scorer: bool
    corrected_by: str | None = None
    corrected_at: datetime | None = None

    @property
    def by_person(self) -> bool:
        return self.corrected_at is not None


def record_correction(session: Session, mention: Mention, field: str, corrected: str, by: Agent,
                      now: datetime) -> None:
    """Kept when it changes the word in force: the post's latest correction
    of `field`, else the scorer's (so a person can take back their own)."""
    original = getattr(mention, field)
    latest = session.scalar(_latest_of(field, Correction.corrected).where(Correction.mention_id == mention.id))
    if (str(original) if latest is None else latest) == corrected:
        return
    if field == NEEDS_RESPONSE:
        mention.person_needs_response = corrected == "True"
    session.add(Correction(
        mention=mention, ticket_id=mention.ticket_id, agent_id=by.id, platform=mention.platform, field=field,
        original=None if original is None else str(original), corrected=corrected, created_at=now,
        original_scores={"sentiment": mention.sentiment, "polarity": mention.polarity, "urgency": mention.urgency,
                         "needs_response": mention.needs_response, "priority": mention.priority,
                         "topic": mention.topic, "reasons": mention.reasons}))


def needs_response_is(wanted: bool):
    """SQL, true for a post whose decision in force is `wanted`: a person's
    latest word (kept on the post), else the scorer's. Written over the two
    columns, so PostgreSQL weighs it by their statistics as it did the
    scorer's word alone."""
    person = Mention.person_needs_response
    return or_(person.is_(wanted), and_(person.is_(None), Mention.needs_response.is_(wanted)))


def needs_response_of(session: Session, mentions: Iterable[Mention]) -> dict[int, NeedsResponse]:
    """The decision in force on each of `mentions`, by id, and who made it
    (read for the posts a person overruled the scorer on)."""
    posts = {mention.id: mention for mention in mentions}
    latest: dict[int, tuple[datetime, str | None]] = {}
    corrected_ids = [mention_id for mention_id, mention in posts.items() if mention.person_needs_response is not None]
    if corrected_ids:
        for mention_id, at, email in session.execute(
                select(Correction.mention_id, Correction.created_at, Agent.email)
                .outerjoin(Agent, Agent.id == Correction.agent_id)
                .where(Correction.mention_id.in_(corrected_ids), Correction.field == NEEDS_RESPONSE)
                .order_by(Correction.created_at, Correction.id)):
            latest[mention_id] = at, email
    found = {}
    for mention_id, mention in posts.items():
        at, email = latest.get(mention_id, (None, None))
        found[mention_id] = NeedsResponse(mention.needs_response_in_force, mention.needs_response, email, at)
    return found


def _latest_of(field: str, column):
    return (select(column).where(Correction.field == field)
            .order_by(Correction.created_at.desc(), Correction.id.desc()).limit(1))
