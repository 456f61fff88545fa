"""Queue alerts to staff: one Alert row per channel and recipient. Web
alerts need no delivery and are stored as sent; the responder's alert
outbox delivers the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Alert, Ticket


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    agent_id: int | None = None


def queue_alerts(session: Session, *, key: str, kind: str, ticket: Ticket | None, recipients: list[Recipient],
                 subject: str, body: str, link: str | None, now: datetime) -> list[Alert]:
    alerts = []
    for recipient in dict.fromkeys(recipients):
        web = recipient.channel == "web"
        alert = Alert(key=key, kind=kind, ticket=ticket, channel=recipient.channel, recipient=recipient.address,
                      agent_id=recipient.agent_id, subject=subject, body=body, link=link,
                      status="sent" if web else "queued", attempts=0, next_attempt_at=None if web else now,
                      created_at=now, sent_at=now if web else None)
        session.add(alert)
        alerts.append(alert)
    return alerts
