"""Queue alerts to staff: one Alert row per channel and recipient. Web
alerts need no delivery and are stored as sent; the responder's alert
outbox delivers the rest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from config.settings import TeamSettings
from store.models import Agent, Alert, Ticket


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    agent_id: int | None = None


def web_and_email(people: Iterable[Agent]) -> list[Recipient]:
    """Each agent once, in the app and by email."""
    recipients = []
    for agent in dict.fromkeys(people):
        recipients.append(Recipient("web", agent.email, agent.id))
        recipients.append(Recipient("email", agent.email, agent.id))
    return recipients


def team_channels(teams: Mapping[str, TeamSettings], name: str | None) -> list[Recipient]:
    """A team's shared channels: its alert_emails, and its Slack webhook
    (addressed by the team's name; the outbox looks the URL up)."""
    team = teams.get(name) if name is not None else None
    if team is None:
        return []
    recipients = [Recipient("email", address) for address in team.alert_emails]
    if team.slack_webhook:
        recipients.append(Recipient("slack", name))
    return recipients


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
