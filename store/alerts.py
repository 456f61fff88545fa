"""Queue alerts to staff: one Alert row per occasion, channel and
recipient, however often or by however many workers at once the occasion
is announced. Web alerts need no delivery and are stored as sent; the
responder's alert outbox delivers the rest. At-risk alerts wait a minute
(BATCH_WINDOW) before they are due, so that the outbox sends one message
for all the tickets at risk a person hears of in that minute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.settings import TeamSettings
from store.models import Agent, Alert, Ticket

BATCH_WINDOW = timedelta(minutes=1)
BATCHED_KINDS = ("at_risk",)
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
    """The alerts queued now; a recipient who has this occasion's alert on
    that channel already gets none (a concurrent insert of the same one is
    skipped by the database, not refused)."""
    session.flush()
    rows = []
    for recipient in dict.fromkeys(recipients):
        web = recipient.channel == "web"
        due_at = now + BATCH_WINDOW if kind in BATCHED_KINDS else now
        rows.append(dict(key=key, kind=kind, ticket_id=ticket.id if ticket is not None else None,
                         channel=recipient.channel, recipient=recipient.address, agent_id=recipient.agent_id,
                         subject=subject, body=body, link=link, status="sent" if web else "queued", attempts=0,
                         next_attempt_at=None if web else due_at, created_at=now, sent_at=now if web else None))
    if not rows:
        return []
    insert = INSERTS[session.get_bind().dialect.name]
    ids = session.scalars(insert(Alert).values(rows)
                          .on_conflict_do_nothing(index_elements=["key", "channel", "recipient"])
                          .returning(Alert.id)).all()
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id))) if ids else []
