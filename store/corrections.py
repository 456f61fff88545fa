"""Corrections: an agent overruled the scorer on a post. Each is kept with
what the scorer said, for retraining and for counting how often it errs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Agent, Correction, Mention


def record_correction(session: Session, mention: Mention, field: str, corrected: str, by: Agent,
                      now: datetime) -> None:
    original = getattr(mention, field)
    if str(original) == corrected:
        return
    session.add(Correction(
        mention=mention, ticket_id=mention.ticket_id, agent_id=by.id, platform=mention.platform, field=field,
        original=None if original is None else str(original), corrected=corrected, created_at=now,
        original_scores={"sentiment": mention.sentiment, "polarity": mention.polarity, "urgency": mention.urgency,
                         "needs_response": mention.needs_response, "priority": mention.priority,
                         "topic": mention.topic, "reasons": mention.reasons}))
