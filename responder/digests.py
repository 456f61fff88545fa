"""The daily digest: one email a day, at the hour a person chose in their
own time zone, summing up the alerts they had in the 24 hours before it
(counts by kind, the worst tickets with links). The alerts it sums up are
the person's "digest" rows, stored beside their other channels'.

Each digest is an alert keyed by person and local day: however many
workers run the job at once, the database keeps one, and the alert outbox
delivers it once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import Clock
from config.settings import Settings
from store.alert_preferences import Preferences, preferences_for
from store.alerts import BATCH_HEADINGS, DIGEST_KIND, Recipient, queue_alerts
from store.db import Database
from store.models import Agent, Alert

log = logging.getLogger(__name__)

WORST_SHOWN = 5
DAY = timedelta(days=1)
# Worst first: what a ticket's alerts say about it.
SEVERITY = {"breached": 3, "escalated": 3, "at_risk": 2, "reopened": 1}
KIND_NAMES = {**BATCH_HEADINGS, "reopened": "reopened", "spike": "spikes"}


@dataclass(frozen=True)
class Digest:
    subject: str
    body: str


class DailyDigests:
    """Run `run` every few minutes where scheduled jobs run; a run after a
    person's digest hour queues their digest of that day, once."""

    def __init__(self, db: Database, settings: Callable[[], Settings], clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock

    def run(self) -> int:
        """How many digests this run queued. Never raises: it runs in the scheduler."""
        try:
            with self.db.transaction() as session:
                return self.queue_due(session, self.clock.now())
        except Exception:
            log.exception("the daily digests could not be queued")
            return 0

    def queue_due(self, session: Session, now: datetime) -> int:
        people = session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.id)).all()
        queued = 0
        for agent_id, wanted in preferences_for(session, people).items():
            if not wanted.digest:
                continue
            agent = session.get(Agent, agent_id)
            moment = wanted.digest_moment(now)
            day = moment.astimezone(wanted.zone).date()
            key = f"digest:{agent.id}:{day.isoformat()}"
            if session.scalar(select(Alert.id).where(Alert.key == key)) is not None:
                continue
            digest = self.compose(session, agent, wanted, moment)
            if digest is None:
                continue
            base_url = self.settings().alerts.base_url.rstrip("/")
            if queue_alerts(session, key=key, kind=DIGEST_KIND, ticket=None,
                            recipients=[Recipient("email", agent.email, agent.id)], subject=digest.subject,
                            body=digest.body, link=f"{base_url}/alerts", now=now):
                queued += 1
                log.info("daily digest for %s queued (%s)", agent.email, day)
        return queued

    def compose(self, session: Session, agent: Agent, wanted: Preferences, moment: datetime) -> Digest | None:
        """The digest of the 24 hours up to `moment`, or None when there was
        no alert to sum up."""
        alerts = session.scalars(
            select(Alert).where(Alert.agent_id == agent.id, Alert.channel == "digest",
                                Alert.created_at >= moment - DAY, Alert.created_at < moment)
            .order_by(Alert.created_at, Alert.id)).all()
        if not alerts:
            return None
        counts: dict[str, int] = {}
        for alert in alerts:
            counts[alert.kind] = counts.get(alert.kind, 0) + 1
        listed = ", ".join(f"{n} {KIND_NAMES.get(kind, kind)}" for kind, n in counts.items())
        zone = wanted.zone
        local = moment.astimezone(zone)
        since = (moment - DAY).astimezone(zone)
        base_url = self.settings().alerts.base_url.rstrip("/")
        lines = [f"Your alerts from {since:%a %d %b %H:%M} to {local:%a %d %b %H:%M} ({wanted.timezone}): "
                 f"{len(alerts)} in all.", ""]
        lines += [f"- {KIND_NAMES.get(kind, kind)}: {n}" for kind, n in counts.items()]
        worst = worst_tickets(alerts)
        if worst:
            lines += ["", "The worst tickets:"]
            lines += [f"- {subject} ({n} alert{'s' if n != 1 else ''}): {base_url}/tickets/{ticket_id}"
                      for ticket_id, subject, n in worst]
        lines += ["", f"All your alerts: {base_url}/alerts", f"Change what you get: {base_url}/account/alerts"]
        return Digest(f"Your alerts of {local:%a %d %b}: {listed}"[:300], "\n".join(lines))


def worst_tickets(alerts: list[Alert]) -> list[tuple[int, str, int]]:
    """(ticket id, its latest alert's subject, how many alerts) for the
    worst tickets: the most severe kind first, then the most alerts, then
    the latest."""
    tickets: dict[int, list[Alert]] = {}
    for alert in alerts:
        if alert.ticket_id is not None:
            tickets.setdefault(alert.ticket_id, []).append(alert)
    ranked = sorted(tickets.items(), key=lambda item: (
        -max(SEVERITY.get(a.kind, 0) for a in item[1]), -len(item[1]), -item[1][-1].id))
    return [(ticket_id, found[-1].subject, len(found)) for ticket_id, found in ranked[:WORST_SHOWN]]
