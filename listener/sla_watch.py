"""Watch response-time targets: announce tickets at risk, and at a breach
flag it, escalate the ticket one level, hand it on when its agent is away,
and alert the people concerned. Each announcement happens once per due
time, in the same transaction as what it records; each person hears of a
ticket at risk once, and of its breaches once per escalation level."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.clock import Clock
from config.platforms import LABELS
from config.settings import Settings
from listener.assignment import Roster
from store.alerts import Recipient, ago, queue_alerts, team_channels, web_and_email
from store.db import Database
from store import tickets
from store.models import Agent, Ticket
from store.sla import RunningTarget, SlaClock

log = logging.getLogger(__name__)

TARGET_NAMES = {"first_response": "first-response", "next_response": "next-response", "resolution": "resolution"}
LEVEL_ROLES = {"senior": ("senior", "manager", "admin"), "manager": ("manager", "admin")}


@dataclass
class WatchReport:
    at_risk: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


class SlaWatch:
    def __init__(self, db: Database, settings: Settings, clock: Clock, sla: SlaClock | None = None):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.sla = sla or SlaClock(settings)

    def check(self) -> WatchReport:
        now = self.clock.now()
        report = WatchReport()
        with self.db.transaction() as session:
            for ticket in session.scalars(self._candidates()):
                running = self.sla.running(ticket)
                if running is not None and now > running.due_at:
                    if ticket.breach_announced_for != running.due_at:
                        self._breach(session, ticket, running.name, running.due_at, now)
                        report.breached.append(ticket.id)
                elif running is not None and now >= running.at_risk_at(self.settings.sla.at_risk_share):
                    if ticket.at_risk_announced_for != running.due_at:
                        self._at_risk(session, ticket, running, now)
                        report.at_risk.append(ticket.id)
                if (ticket.resolution_due_at is not None and now > ticket.resolution_due_at
                        and not ticket.resolution_breached and ticket.paused_at is None):
                    self._breach(session, ticket, "resolution", ticket.resolution_due_at, now)
                    report.breached.append(ticket.id)
        return report

    def _candidates(self):
        """Open tickets whose running or resolution target may need a word now."""
        return (
            select(Ticket)
            .where(Ticket.status.in_(("new", "open")), Ticket.paused_at.is_(None))
            .where(or_(
                Ticket.first_response_at.is_(None) & Ticket.first_response_due_at.is_not(None),
                Ticket.next_response_due_at.is_not(None),
                Ticket.resolution_breached.is_(False) & Ticket.resolution_due_at.is_not(None),
            ))
            .order_by(Ticket.id)
        )

    def _at_risk(self, session: Session, ticket: Ticket, running: RunningTarget, now: datetime) -> None:
        minutes = tickets.announce_at_risk(session, ticket, running, now)
        target = self._target(ticket, running.name)
        self._alert(session, ticket, "at_risk", f"at_risk:{ticket.id}",
                    f"{self._whose(ticket)} is at risk: its {target} target is due in "
                    f"{f'{minutes} min' if minutes else 'under a minute'}",
                    f"{self._summary(ticket)}\nIts {target} target is due at {running.due_at:%Y-%m-%d %H:%M} UTC "
                    f"and nobody has answered yet.",
                    self._assignee_and_leads(session, ticket), now)

    def _breach(self, session: Session, ticket: Ticket, target: str, due_at: datetime, now: datetime) -> None:
        tickets.announce_breach(session, ticket, target, due_at, now)
        handed_on = self._escalate(session, ticket, now)
        described = self._target(ticket, target)
        recipients = self._assignee_and_leads(session, ticket) + team_channels(self.settings.teams, ticket.team)
        told = {r.agent_id for r in recipients}
        escalation = (f"Escalated to level {ticket.escalation_level}"
                      f"{'; handed to ' + handed_on if handed_on else ''}.")
        body = (f"{self._summary(ticket)}\nIts {described} target was due at {due_at:%Y-%m-%d %H:%M} UTC. "
                f"{escalation}")
        self._alert(session, ticket, "breached", f"breached:{ticket.id}:level{ticket.escalation_level}",
                    f"{self._whose(ticket)} breached its {described} target {ago(now - due_at)}", body,
                    recipients, now)
        level_people = [r for r in self._level_people(session, ticket) if r.agent_id not in told]
        if level_people:
            self._alert(session, ticket, "escalated", f"escalated:{ticket.id}:level{ticket.escalation_level}",
                        f"{self._whose(ticket)} was escalated to level {ticket.escalation_level}: it breached its "
                        f"{described} target {ago(now - due_at)}", body, level_people, now)

    def _escalate(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """One level up, and past the levels its assignee is at already (a
        senior's ticket goes to the managers); when the assignee is away,
        the ticket goes to the least loaded agent of its team online at the
        new level, else to anyone of its team online. Returns who took it."""
        levels = self.settings.escalation.levels
        assignee = ticket.assignee
        while (tickets.escalate(session, ticket, levels, now) and assignee is not None
               and assignee.role in LEVEL_ROLES[levels[ticket.escalation_level - 1]]):
            pass
        if (assignee is not None and assignee.presence == "online") or not self.settings.escalation.reassign_if_away:
            return None
        roster = Roster(session)
        available = [c for c in roster.candidates.values()
                     if c.id != ticket.assignee_id and c.team == ticket.team and c.can_take(ticket.platform)]
        at_level = [c for c in available if c.role in LEVEL_ROLES[levels[ticket.escalation_level - 1]]]
        if not (at_level or available):
            return None
        chosen = min(at_level or available, key=lambda c: (c.open_tickets, c.id))
        agent = session.get(Agent, chosen.id)
        reason = f"escalation: {assignee.name} is {assignee.presence}" if assignee else "escalation: unassigned"
        tickets.assign(session, ticket, agent, reason, now)
        roster.took(agent.id, now)
        return agent.name

    def _assignee_and_leads(self, session: Session, ticket: Ticket) -> list[Recipient]:
        people: list[Agent] = []
        if ticket.assignee is not None:
            people.append(ticket.assignee)
        team = self.settings.teams.get(ticket.team)
        if team is not None and team.leads:
            people += session.scalars(select(Agent).where(Agent.email.in_(team.leads), Agent.active.is_(True)))
        return web_and_email(people)

    def _level_people(self, session: Session, ticket: Ticket) -> list[Recipient]:
        if ticket.escalation_level == 0:
            return []
        role = self.settings.escalation.levels[ticket.escalation_level - 1]
        people = session.scalars(select(Agent).where(Agent.role.in_(LEVEL_ROLES[role]), Agent.active.is_(True),
                                                     Agent.team == ticket.team))
        return [Recipient("web", agent.email, agent.id) for agent in people]

    def _alert(self, session: Session, ticket: Ticket, kind: str, key: str, subject: str, body: str,
               recipients: list[Recipient], now: datetime) -> None:
        link = f"{self.settings.alerts.base_url.rstrip('/')}/tickets/{ticket.id}"
        queue_alerts(session, key=key, kind=kind, ticket=ticket, recipients=recipients, subject=subject,
                     body=f"{body}\n{link}", link=link, now=now)
        log.info("%s (%d recipient(s))", subject, len(recipients))

    def _target(self, ticket: Ticket, name: str) -> str:
        """"30-min first-response": the target's length for this ticket, and its name."""
        length = getattr(self.sla.targets(ticket.priority, ticket.platform, ticket.customer.tier or "standard"), name)
        minutes = round(length.total_seconds() / 60)
        size = f"{minutes // 60}-hour" if minutes >= 120 and minutes % 60 == 0 else f"{minutes}-min"
        return f"{size} {TARGET_NAMES[name]}"

    @staticmethod
    def _whose(ticket: Ticket) -> str:
        if ticket.assignee is None:
            return f"Unassigned ticket #{ticket.id}"
        return f"{ticket.assignee.name}'s ticket #{ticket.id}"

    @staticmethod
    def _summary(ticket: Ticket) -> str:
        assignee = ticket.assignee.name if ticket.assignee else "nobody"
        return (f"{ticket.priority.capitalize()} {LABELS.get(ticket.platform, ticket.platform)} ticket from "
                f"{ticket.customer.display_name}, "
                f"assigned to {assignee}.")

