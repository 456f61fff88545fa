"""Queue alerts to staff: one Alert row per occasion, channel and
recipient, however often or by however many workers at once the occasion
is announced. Web alerts need no delivery and are stored as sent; the
responder's alert outbox delivers the rest. A person hears of the tickets
at risk, and of the tickets breached, at most about once a minute on each
channel (BATCH_WINDOW): at-risk alerts wait a minute before they are due; a
breach goes at once, and the breaches that follow it within the minute wait
until the minute is over. The outbox sends the alerts that are due together
as one message, and the app shows them as one alert (`grouped`).

Each person's preferences (store.alert_preferences) decide which of the
alerts meant for them are queued: the kinds and tickets they want, on the
channels they chose, plus their Slack and a "digest" row (never delivered,
counted by the daily digest) when they asked for those. An alert on a
delivered channel that comes in their quiet hours is held until the quiet
hours end, and goes out then with the others held until that time.
Team channels (a team's alert emails and Slack) have no preferences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.settings import TeamSettings
from store.alert_preferences import preferences_for
from store.models import Agent, Alert, Ticket

BATCH_WINDOW = timedelta(minutes=1)
BATCHED_KINDS = ("at_risk", "breached", "escalated")
BATCH_HEADINGS = {"at_risk": "at risk", "breached": "breached", "escalated": "escalated"}
DIGEST_KIND = "digest"
# Channels whose alerts are stored as sent: read in the app, or counted by the digest.
STORED_ONLY = ("web", "digest")
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
    """A team's shared channels: its alert_emails, and its Slack channel or
    webhook (addressed by the team's name; the outbox looks it up)."""
    team = teams.get(name) if name is not None else None
    if team is None:
        return []
    recipients = [Recipient("email", address) for address in team.alert_emails]
    if team.slack_channel or team.slack_webhook:
        recipients.append(Recipient("slack", name))
    return recipients


def queue_alerts(session: Session, *, key: str, kind: str, ticket: Ticket | None, recipients: list[Recipient],
                 subject: str, body: str, link: str | None, now: datetime) -> list[Alert]:
    """The alerts queued now; a recipient who has this occasion's alert on
    that channel already gets none (a concurrent insert of the same one is
    skipped by the database, not refused)."""
    session.flush()
    rows = []
    for recipient, held_until in addressed(session, kind, ticket, recipients, now):
        stored = recipient.channel in STORED_ONLY
        due_at = now if stored else _due_at(session, kind, ticket, recipient, now)
        if held_until is not None:
            due_at = max(due_at, held_until)
        rows.append(dict(key=key, kind=kind, ticket_id=ticket.id if ticket is not None else None,
                         channel=recipient.channel, recipient=recipient.address, agent_id=recipient.agent_id,
                         subject=subject, body=body, link=link, status="sent" if stored else "queued", attempts=0,
                         next_attempt_at=None if stored else due_at, created_at=now,
                         sent_at=now if stored else None, held_until=held_until))
    if not rows:
        return []
    insert = INSERTS[session.get_bind().dialect.name]
    ids = session.scalars(insert(Alert).values(rows)
                          .on_conflict_do_nothing(index_elements=["key", "channel", "recipient"])
                          .returning(Alert.id)).all()
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id))) if ids else []


def addressed(session: Session, kind: str, ticket: Ticket | None, recipients: list[Recipient],
              now: datetime) -> list[tuple[Recipient, datetime | None]]:
    """The recipients this occasion's alert goes to after each person's
    preferences, each with when their quiet hours end (None: not held).
    A digest is what a person asked for at the hour they chose: it is sent
    as addressed."""
    recipients = list(dict.fromkeys(recipients))
    if kind == DIGEST_KIND:
        return [(r, None) for r in recipients]
    ids = {r.agent_id for r in recipients if r.agent_id is not None}
    people = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(ids)))} if ids else {}
    preferences = preferences_for(session, people.values())
    chosen: dict[Recipient, datetime | None] = {}
    for recipient in recipients:
        if recipient.agent_id is None:
            chosen[recipient] = None
            continue
        agent, wanted = people.get(recipient.agent_id), preferences.get(recipient.agent_id)
        if agent is None or not wanted.wants(kind, ticket, agent) or recipient.channel not in wanted.channels:
            continue
        chosen[recipient] = None if recipient.channel in STORED_ONLY else wanted.quiet_until_time(now, kind, agent.role)
    for agent_id, wanted in preferences.items():
        agent = people[agent_id]
        if not wanted.wants(kind, ticket, agent):
            continue
        if "slack" in wanted.channels and wanted.slack_user:
            chosen.setdefault(Recipient("slack", f"@{wanted.slack_user}", agent_id),
                              wanted.quiet_until_time(now, kind, agent.role))
        if wanted.digest:
            chosen.setdefault(Recipient("digest", agent.email, agent_id), None)
    return list(chosen.items())


def _due_at(session: Session, kind: str, ticket: Ticket | None, recipient: Recipient, now: datetime) -> datetime:
    """When an alert to be delivered is due: at once, except that at-risk
    alerts wait a minute, and a breach waits until a minute after the first
    breach this recipient heard of on this channel in the last minute.
    Alerts without a ticket are never batched."""
    if ticket is None or kind not in BATCHED_KINDS:
        return now
    if kind == "at_risk":
        return now + BATCH_WINDOW
    first = session.scalar(select(func.min(Alert.created_at)).where(
        Alert.kind == kind, Alert.channel == recipient.channel, Alert.recipient == recipient.address,
        Alert.ticket_id.is_not(None), Alert.created_at > now - BATCH_WINDOW))
    return now if first is None else max(now, _aware(first, now) + BATCH_WINDOW)


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite hands times back without their zone."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def batchable(alert) -> bool:
    return alert.kind in BATCHED_KINDS and alert.ticket_id is not None


def batch_heading(alerts: list[Alert], now: datetime) -> str:
    """"3 tickets at risk: #12, #14, #19", or "3 tickets breached: #12 (Alex
    Agent, 4 min ago), ...": the alerts' kind is the first one's."""
    kind = alerts[0].kind
    if kind == "breached":
        listed = ", ".join(f"#{a.ticket_id} ({_assignee(a)}, {ago(now - _aware(a.created_at, now))})"
                           for a in alerts)
    else:
        listed = ", ".join(f"#{a.ticket_id}" for a in alerts)
    return f"{len(alerts)} tickets {BATCH_HEADINGS.get(kind, kind)}: {listed}"


def held_heading(alerts: list[Alert]) -> str:
    """"5 alerts from your quiet hours: 3 at risk, 2 breached"."""
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    listed = ", ".join(f"{n} {BATCH_HEADINGS.get(kind, kind)}" for kind, n in counts.items())
    return f"{len(alerts)} alerts from your quiet hours: {listed}"


def _assignee(alert: Alert) -> str:
    ticket = alert.ticket
    return ticket.assignee.name if ticket is not None and ticket.assignee is not None else "unassigned"


@dataclass(frozen=True)
class AlertGroup:
    """What a person reads as one alert in the app: one alert, or the
    alerts of one kind they got within a minute."""

    alerts: tuple[Alert, ...]
    heading: str

    @property
    def first(self) -> Alert:
        return self.alerts[0]

    @property
    def unread(self) -> bool:
        return any(a.read_at is None for a in self.alerts)


def grouped(alerts: list[Alert], now: datetime) -> list[AlertGroup]:
    """The alerts, newest first, with the batchable ones of one kind that
    came within a minute of the oldest among them gathered into one."""
    return [AlertGroup(tuple(group), group[0].subject if len(group) == 1 else batch_heading(group, now))
            for group in reversed(_gather(alerts))]


def count_as_read(alerts: Iterable) -> int:
    """How many alerts these read as in the app: any rows with an Alert's
    id, kind, ticket_id and created_at will do."""
    return len(_gather(alerts))


def _gather(alerts: Iterable) -> list[list]:
    groups: list[list] = []
    open_groups: dict[str, list] = {}
    for alert in sorted(alerts, key=lambda a: (a.created_at, a.id)):
        current = open_groups.get(alert.kind) if batchable(alert) else None
        if current is not None and alert.created_at < current[0].created_at + BATCH_WINDOW:
            current.append(alert)
            continue
        groups.append([alert])
        if batchable(alert):
            open_groups[alert.kind] = groups[-1]
    return groups


def ago(elapsed: timedelta) -> str:
    """"4 min ago", or "just now" under a minute."""
    minutes = int(elapsed.total_seconds() // 60)
    return "just now" if minutes < 1 else f"{minutes} min ago"
