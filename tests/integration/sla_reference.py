"""The response-time figures folded ticket by ticket in Python, as
store.sla_figures computed them before it counted in the database: the
reference its figures must match, read on a small store. Waits are in
tenths of a minute and a group shows when it has a figure, as there."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.clock import parse_utc
from store.held_by import ASSIGNMENT_KINDS
from store.models import OPEN_STATUSES, THANKS_POLICY, Agent, Event, Ticket
from store.sla_figures import ANSWER_KINDS, GROUPINGS, TARGETS



@dataclass(frozen=True)
class Outcome:
    """One target of one ticket: "met" or "missed" at `at`, or "not_yet_due"."""

    target: str
    state: str
    at: datetime | None = None


@dataclass
class _Tally:
    met: int = 0
    missed: int = 0
    not_yet_due: int = 0

    def as_dict(self) -> dict[str, Any]:
        settled = self.met + self.missed
        return {"due": settled, "met": self.met, "missed": self.missed,
                "achievement": round(self.met / settled, 4) if settled else None, "not_yet_due": self.not_yet_due}


@dataclass
class _Group:
    tallies: dict[str, _Tally] = field(default_factory=lambda: {target: _Tally() for target in TARGETS})
    waits: list[tuple[int, bool]] = field(default_factory=list)

    def add(self, outcome: Outcome, start: datetime, end: datetime) -> None:
        tally = self.tallies[outcome.target]
        if outcome.state == "not_yet_due":
            tally.not_yet_due += 1
        elif start <= outcome.at < end:
            setattr(tally, outcome.state, getattr(tally, outcome.state) + 1)

    def has_figures(self) -> bool:
        return bool(self.waits) or any(tally.met or tally.missed or tally.not_yet_due
                                       for tally in self.tallies.values())

    def as_dict(self, key: str | None) -> dict[str, Any]:
        figures = {target: tally.as_dict() for target, tally in self.tallies.items()}
        figures["first_response"].update(first_response_times(self.waits))
        return {"key": key, **figures}


def percentile(waits: list[tuple[int, bool]], percent: int) -> tuple[int, bool] | None:
    """Nearest rank over (tenths of a minute, still waiting) pairs: the smallest value
    that `percent` per cent of the values are at or below, and whether it is
    a wait still running (so at least that long)."""
    if not waits:
        return None
    ordered = sorted(waits)
    rank = -(-percent * len(ordered) // 100)
    return ordered[max(rank, 1) - 1]


def first_response_times(waits: list[tuple[int, bool]]) -> dict[str, Any]:
    figures: dict[str, Any] = {"waiting": sum(1 for _, waiting in waits if waiting)}
    for name, percent in (("median", 50), ("p90", 90)):
        value = percentile(waits, percent)
        figures[f"{name}_min"] = None if value is None else value[0] / 10
        figures[f"{name}_at_least"] = bool(value and value[1])
    return figures


def reference_sla_figures(session: Session, start: datetime, end: datetime, now: datetime,
                          group_by: str) -> dict[str, Any]:
    """The figures of [start, end) per group, in key order (None last), and
    for all tickets together; see the module's docstring for the rules.

    Groups are the tickets' platform, team, priority or topic, or for
    "agent" an agent's email (None: unassigned): an outcome met or missed
    under who held the ticket at its moment (by the ticket's last
    assignment event up to then; its assignee when it has none), a first
    answer's wait with its target, what still runs under the assignee.
    First-response times are those of the tickets raised in the period, a
    ticket still waiting counting the wait so far."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")
    rows = session.execute(_in_scope(start, end)).all()
    cycles = _next_response_cycles(session, [row.Ticket.id for row in rows])
    held = _assignments(session, [row.Ticket.id for row in rows])
    emails = {agent_id: email for agent_id, email in session.execute(select(Agent.id, Agent.email))}
    groups: dict[str | None, _Group] = defaultdict(_Group)
    total = _Group()
    for ticket, email in rows:
        def key(at: datetime | None) -> str | None:
            if group_by != "agent":
                return getattr(ticket, group_by)
            if at is None or ticket.id not in held:
                return email
            before = [agent_id for moment, agent_id in held[ticket.id] if moment <= at]
            return emails.get(before[-1]) if before else None

        outcomes = [*ticket_outcomes(ticket, now), *next_response_outcomes(ticket, cycles.get(ticket.id, []), now)]
        wait = first_response_wait(ticket, now) if start <= ticket.created_at < end else None
        for outcome in outcomes:
            if outcome.state != "not_yet_due" or ticket.created_at < end:
                for group in (groups[key(outcome.at)], total):
                    group.add(outcome, start, end)
        if wait is not None:
            for group in (groups[key(_first_response_settled(ticket))], total):
                group.waits.append(wait)
    shown = {key: group for key, group in groups.items() if group.has_figures()}
    ordered = sorted(shown.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return {"groups": [group.as_dict(key) for key, group in ordered], "total": total.as_dict(None)}


def _assignments(session: Session, ticket_ids: list[int]) -> dict[int, list[tuple[datetime, int | None]]]:
    """Each ticket's assignments in order: (when, to whom; None: unassigned)."""
    found: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    for chunk in _chunks(ticket_ids, 500):
        for ticket_id, kind, at, detail in session.execute(
                select(Event.ticket_id, Event.kind, Event.at, Event.detail)
                .where(Event.ticket_id.in_(chunk), Event.kind.in_(ASSIGNMENT_KINDS))
                .order_by(Event.ticket_id, Event.at, Event.id)):
            found[ticket_id].append((at, (detail or {}).get("agent_id") if kind == "assigned" else None))
    return found


def _first_response_settled(ticket: Ticket) -> datetime | None:
    """When an answered first response settled: at the answer in time, else at its due time."""
    if ticket.first_response_at is None:
        return None
    return min(ticket.first_response_at, ticket.first_response_due_at)


def _in_scope(start: datetime, end: datetime):
    """Tickets raised before the end that were open, came due or changed
    since the start: a superset of those with a figure in the period."""
    return (
        select(Ticket, Agent.email)
        .outerjoin(Agent, Ticket.assignee_id == Agent.id)
        .where(Ticket.created_at < end, Ticket.sla_policy != THANKS_POLICY)
        .where(or_(Ticket.status.in_(OPEN_STATUSES), Ticket.updated_at >= start,
                   Ticket.first_response_due_at >= start, Ticket.resolution_due_at >= start))
        .order_by(Ticket.id)
    )


def _clock_stopped_at(ticket: Ticket, now: datetime) -> datetime:
    """Where the ticket's SLA clock stands: at its pause, at its resolution, or now."""
    if ticket.paused_at is not None:
        return ticket.paused_at
    if not ticket.is_open and ticket.resolved_at is not None:
        return ticket.resolved_at
    return now


def _judge(target: str, due: datetime | None, done_at: datetime | None, ticket: Ticket,
           now: datetime) -> Outcome | None:
    if due is None:
        return None
    if done_at is not None:
        return Outcome(target, "met", done_at) if done_at <= due else Outcome(target, "missed", due)
    if due < _clock_stopped_at(ticket, now):
        return Outcome(target, "missed", due)
    return Outcome(target, "not_yet_due") if ticket.is_open else None


def ticket_outcomes(ticket: Ticket, now: datetime) -> list[Outcome]:
    """The first-response and resolution outcomes of one ticket."""
    resolved = ticket.resolved_at if not ticket.is_open else None
    found = (_judge("first_response", ticket.first_response_due_at, ticket.first_response_at, ticket, now),
             _judge("resolution", ticket.resolution_due_at, resolved, ticket, now))
    return [outcome for outcome in found if outcome is not None]


@dataclass
class _Cycle:
    """A next answer owed: from the customer's post after our first answer
    to our next answer; `breached_due` when the watch announced it missed."""

    started_at: datetime
    answered_at: datetime | None = None
    breached_due: datetime | None = None


def _next_response_cycles(session: Session, ticket_ids: list[int]) -> dict[int, list[_Cycle]]:
    cycles: dict[int, list[_Cycle]] = defaultdict(list)
    answered: set[int] = set()
    for chunk in _chunks(ticket_ids, 500):
        events = session.execute(
            select(Event.ticket_id, Event.kind, Event.at, Event.detail)
            .where(Event.ticket_id.in_(chunk), Event.kind.in_((*ANSWER_KINDS, "customer_wrote", "breached")))
            .order_by(Event.ticket_id, Event.at, Event.id))
        for ticket_id, kind, at, detail in events:
            running = cycles[ticket_id][-1] if cycles[ticket_id] and cycles[ticket_id][-1].answered_at is None \
                else None
            if kind in ANSWER_KINDS:
                if running is not None:
                    running.answered_at = at
                answered.add(ticket_id)
            elif kind == "customer_wrote" and (detail or {}).get("needs_response") and ticket_id in answered \
                    and running is None:
                cycles[ticket_id].append(_Cycle(at))
            elif kind == "breached" and (detail or {}).get("target") == "next_response" and running is not None:
                running.breached_due = parse_utc(detail.get("due_at"), naive_is_utc=True)
    return cycles


def next_response_outcomes(ticket: Ticket, cycles: list[_Cycle], now: datetime) -> list[Outcome]:
    """A cycle is missed at the due time its breach recorded, met at its
    answer otherwise; the one still running is missed once the ticket's
    own next due time is past. A next answer not yet due is the SLA clock's:
    an open ticket whose next due time is set and not yet past."""
    found = []
    for cycle in cycles:
        if cycle.breached_due is not None:
            found.append(Outcome("next_response", "missed", cycle.breached_due))
        elif cycle.answered_at is not None:
            found.append(Outcome("next_response", "met", cycle.answered_at))
        else:
            outcome = _judge("next_response", ticket.next_response_due_at, None, ticket, now)
            found += [outcome] if outcome is not None and outcome.state == "missed" else []
    owed = ticket.next_response_due_at
    if ticket.is_open and owed is not None and not owed < _clock_stopped_at(ticket, now):
        found.append(Outcome("next_response", "not_yet_due"))
    return found


def first_response_wait(ticket: Ticket, now: datetime) -> tuple[int, bool] | None:
    """Tenths of a minute (rounded half up) from raised to first answer, or
    (still waiting) to now; None for a ticket closed without an answer or
    with no target."""
    if ticket.first_response_due_at is None:
        return None
    if ticket.first_response_at is not None:
        return _tenths(ticket.first_response_at - ticket.created_at), False
    if not ticket.is_open:
        return None
    return _tenths(_clock_stopped_at(ticket, now) - ticket.created_at), True


def _tenths(wait: timedelta) -> int:
    return (wait // timedelta(microseconds=1) + 3_000_000) // 6_000_000


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for n in range(0, len(items), size):
        yield items[n:n + size]
