"""The SLA clock: which targets apply to a ticket, when each answer is due in
its team's business time, pauses while the ticket waits on the customer,
and breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import MinutesPerPriority, Settings
from config.business_hours import BusinessHours, add_business_time, business_time_between
from store.models import Ticket

def asked_at(posted_at: datetime, listening_since: datetime | None, now: datetime) -> datetime:
    """When a new ticket's response clock starts: when the customer posted,
    though a post fetched late (a poll that failed for an hour) has waited
    since. Not before closeloop listened to the post's source (a source's
    first poll brings its history, which nobody was answering yet; unknown:
    not before now), nor after now (a platform's clock may run ahead)."""
    if listening_since is None:
        return now
    return min(now, max(posted_at, listening_since))


@dataclass(frozen=True)
class Targets:
    policy: str
    first_response: timedelta
    next_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class RunningTarget:
    """The response target a ticket must meet next."""

    name: str
    started_at: datetime
    due_at: datetime

    def at_risk_at(self, share: float) -> datetime:
        return self.started_at + (self.due_at - self.started_at) * share


class SlaClock:
    def __init__(self, settings: Settings):
        self.sla = settings.sla
        self.hours = {name: BusinessHours.from_spec(team.hours) if team.hours else None
                      for name, team in settings.teams.items()}
        # The targets worked out so far, by priority, platform and tier: the
        # settings do not change (a reload makes a new clock), and intake
        # asks for the same few at every ticket.
        self._targets: dict[tuple[str, str, str], Targets] = {}

    def targets(self, priority: str, platform: str, tier: str) -> Targets:
        key = (priority, platform, tier)
        targets = self._targets.get(key)
        if targets is None:
            targets = self._targets[key] = self._work_out_targets(priority, platform, tier)
        return targets

    def _work_out_targets(self, priority: str, platform: str, tier: str) -> Targets:
        policy = next((p for p in self.sla.policies if p.applies_to(platform, tier)), None)

        def minutes(name: str) -> timedelta:
            table: MinutesPerPriority = (policy and getattr(policy, f"{name}_minutes")) or getattr(
                self.sla, f"{name}_minutes")
            return timedelta(minutes=table.for_priority(priority))

        return Targets(policy.name if policy else "default", minutes("first_response"), minutes("next_response"),
                       minutes("resolution"))

    def due(self, start: datetime, duration: timedelta, team: str) -> datetime:
        return add_business_time(start, duration, self.hours.get(team))

    def start(self, ticket: Ticket, started: datetime, tier: str) -> None:
        """Set a new ticket's targets and due times, counted from `started`."""
        targets = self.targets(ticket.priority, ticket.platform, tier)
        ticket.sla_policy = targets.policy
        ticket.sla_started_at = started
        ticket.first_response_due_at = self.due(started, targets.first_response, ticket.team)
        ticket.resolution_due_at = self.due(started, targets.resolution, ticket.team)

    def customer_wrote(self, ticket: Ticket, at: datetime, tier: str) -> None:
        """The customer wrote again at `at`: a paused clock resumes from
        then, and once we have answered, the next answer is due."""
        self.resume(ticket, at)
        if ticket.first_response_at is not None and ticket.next_response_due_at is None:
            targets = self.targets(ticket.priority, ticket.platform, tier)
            ticket.sla_started_at = at
            ticket.next_response_due_at = self.due(at, targets.next_response, ticket.team)

    @staticmethod
    def answered(ticket: Ticket, now: datetime) -> None:
        """An answer reached the customer: the running response target is met
        (or missed), and nothing is due until the customer writes again."""
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            if ticket.first_response_due_at is not None and now > ticket.first_response_due_at:
                ticket.first_response_breached = True
        elif ticket.next_response_due_at is not None and now > ticket.next_response_due_at:
            ticket.next_response_breached = True
        ticket.next_response_due_at = None

    @staticmethod
    def pause(ticket: Ticket, now: datetime) -> None:
        """The ticket waits on the customer: its clock stops."""
        if ticket.paused_at is None:
            ticket.paused_at = now

    def resume(self, ticket: Ticket, now: datetime) -> None:
        """Targets still running move on by the business time the ticket
        waited; one already met keeps the due time it was met against."""
        if ticket.paused_at is None:
            return
        hours = self.hours.get(ticket.team)
        waited = business_time_between(ticket.paused_at, now, hours)
        running = ["next_response_due_at", "resolution_due_at"]
        if ticket.first_response_at is None:
            running.append("first_response_due_at")
        for field in running:
            moment = getattr(ticket, field)
            if moment is not None:
                setattr(ticket, field, add_business_time(moment, waited, hours))
        if ticket.sla_started_at is not None:
            ticket.sla_started_at += now - ticket.paused_at
        ticket.paused_at = None

    def reprioritize(self, ticket: Ticket, priority: str, tier: str) -> None:
        """A new priority means new targets, counted from when each started."""
        ticket.priority = priority
        targets = self.targets(priority, ticket.platform, tier)
        ticket.sla_policy = targets.policy
        if ticket.first_response_at is None:
            ticket.first_response_due_at = self.due(ticket.sla_started_at or ticket.created_at,
                                                    targets.first_response, ticket.team)
        elif ticket.next_response_due_at is not None:
            ticket.next_response_due_at = self.due(ticket.sla_started_at, targets.next_response, ticket.team)
        ticket.resolution_due_at = self.due(ticket.created_at, targets.resolution, ticket.team)

    @staticmethod
    def running(ticket: Ticket) -> RunningTarget | None:
        """The response target the ticket must meet next, if one runs."""
        if not ticket.is_open or ticket.paused_at is not None:
            return None
        started = ticket.sla_started_at or ticket.created_at
        if ticket.first_response_at is None and ticket.first_response_due_at is not None:
            return RunningTarget("first_response", started, ticket.first_response_due_at)
        if ticket.next_response_due_at is not None:
            return RunningTarget("next_response", started, ticket.next_response_due_at)
        return None
