"""Response-time figures that count every ticket: for each target (first
response, next response, resolution), how many came due in a period, how
many were met and how many missed, an answer that never came included, and
how long customers waited for a first answer, those still waiting included.

A target is settled once: met at the moment it was answered (or the ticket
resolved) by its due time, missed at its due time when nothing had come by
then. Due times are the tickets' own, so business hours and pauses count as
the SLA clock counted them; a paused ticket's clock stopped when it paused.

The first-response and resolution figures are counted per group in the
database, and the percentiles of the waits picked there by rank, so that a
period of a million tickets sends a few rows; waits are compared in whole
microseconds, the same on SQLite and PostgreSQL. Next answers are cycles
found in the events of the tickets where a customer wrote again, and
counted, in the database too; only the tickets whose next answer was
announced breached are read event by event."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from config.clock import parse_utc
from store.epoch import epoch_microseconds
from store.models import OPEN_STATUSES, THANKS_POLICY, Agent, Event, Ticket
from store.types import UTCDateTime

TARGETS = ("first_response", "next_response", "resolution")
GROUPINGS = ("platform", "team", "agent", "priority", "topic")
ANSWER_KINDS = ("replied", "answered_elsewhere")
PERCENTILES = (("median", 50), ("p90", 90))


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
    waiting: int = 0
    waits: dict[str, tuple[float, bool] | None] = field(
        default_factory=lambda: {name: None for name, _ in PERCENTILES})

    def count(self, target: str, state: str, number: int) -> None:
        tally = self.tallies[target]
        setattr(tally, state, getattr(tally, state) + number)

    def as_dict(self, key: str | None) -> dict[str, Any]:
        figures = {target: tally.as_dict() for target, tally in self.tallies.items()}
        times: dict[str, Any] = {"waiting": self.waiting}
        for name, value in self.waits.items():
            times[f"{name}_min"] = None if value is None else round(value[0], 1)
            times[f"{name}_at_least"] = bool(value and value[1])
        figures["first_response"].update(times)
        return {"key": key, **figures}


def sla_figures(session: Session, start: datetime, end: datetime, now: datetime, group_by: str) -> dict[str, Any]:
    """The figures of [start, end) per group, in key order (None last), and
    for all tickets together; see the module's docstring for the rules.

    Groups are the tickets' platform, team, priority or topic, or for
    "agent" their assignee's email (None: unassigned). First-response times
    are those of the tickets raised in the period, a ticket still waiting
    counting the wait so far; the median and 90th percentile are by nearest
    rank over (minutes, still waiting), a wait still running being at least
    that long."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")
    moments = _Moments(start, end, now)
    key = (Agent.email if group_by == "agent" else getattr(Ticket, group_by)).label("key")
    groups: dict[str | None, _Group] = defaultdict(_Group)
    total = _Group()
    _count_targets(session, moments, key, groups, total)
    _count_next_responses(session, moments, key, groups, total)
    _rank_waits(session, moments, key, groups, total)
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return {"groups": [group.as_dict(key) for key, group in ordered], "total": total.as_dict(None)}


@dataclass(frozen=True)
class _Moments:
    start: datetime
    end: datetime
    now: datetime

    def within(self, column) -> Any:
        return and_(column >= self.start, column < self.end)


def _in_scope(moments: _Moments, *columns):
    """Tickets raised before the end that were open, came due or changed
    since the start: a superset of those with a figure in the period."""
    start = moments.start
    return (
        select(*columns)
        .select_from(Ticket)
        .outerjoin(Agent, Ticket.assignee_id == Agent.id)
        .where(Ticket.created_at < moments.end, Ticket.sla_policy != THANKS_POLICY)
        .where(or_(Ticket.status.in_(OPEN_STATUSES), Ticket.updated_at >= start,
                   Ticket.first_response_due_at >= start, Ticket.resolution_due_at >= start))
    )


def _clock_stopped_at(now: datetime):
    """Where a ticket's SLA clock stands: at its pause, at its resolution, or now."""
    return case((Ticket.paused_at.is_not(None), Ticket.paused_at),
                (and_(Ticket.status.not_in(OPEN_STATUSES), Ticket.resolved_at.is_not(None)), Ticket.resolved_at),
                else_=literal(now, UTCDateTime()))


def _target_states(moments: _Moments) -> dict[tuple[str, str], Any]:
    """For the first response and the resolution: the condition under
    which a ticket counts as met or missed in the period, or not yet due."""
    is_open = Ticket.status.in_(OPEN_STATUSES)
    stopped = _clock_stopped_at(moments.now)
    states = {}
    for target, due, done in (
            ("first_response", Ticket.first_response_due_at, Ticket.first_response_at),
            ("resolution", Ticket.resolution_due_at, case((not_(is_open), Ticket.resolved_at)))):
        never_done = and_(due.is_not(None), done.is_(None))
        states[target, "met"] = and_(due.is_not(None), done.is_not(None), done <= due, moments.within(done))
        states[target, "missed"] = and_(
            due.is_not(None), moments.within(due),
            or_(and_(done.is_not(None), done > due), and_(never_done, due < stopped)))
        states[target, "not_yet_due"] = and_(never_done, is_open, not_(due < stopped))
    return states


def _count_targets(session: Session, moments: _Moments, key, groups: dict, total: _Group) -> None:
    """One grouped count of the first-response and resolution figures, and
    of the tickets raised in the period still waiting for a first answer;
    every ticket in scope makes its group show, as a row with zeros if need
    be."""
    states = _target_states(moments)
    waiting = and_(moments.within(Ticket.created_at), Ticket.first_response_due_at.is_not(None),
                   Ticket.first_response_at.is_(None), Ticket.status.in_(OPEN_STATUSES))
    sums = [func.sum(case((condition, 1), else_=0)) for condition in (*states.values(), waiting)]
    for row in session.execute(_in_scope(moments, key, *sums).group_by(key)):
        group = groups[row[0]]
        for (target, state), number in zip(states, row[1:]):
            group.count(target, state, int(number or 0))
            total.count(target, state, int(number or 0))
        group.waiting = int(row[-1] or 0)
        total.waiting += group.waiting


def _rank_waits(session: Session, moments: _Moments, key, groups: dict, total: _Group) -> None:
    """The waits at the median's and the 90th percentile's nearest rank, per
    group and over all, ranked in the database; a wait is to the first
    answer, or (still waiting) to the pause or now."""
    created = epoch_microseconds(Ticket.created_at)
    waiting = Ticket.first_response_at.is_(None)
    wait = case((waiting, epoch_microseconds(func.coalesce(Ticket.paused_at, literal(moments.now, UTCDateTime())))),
                else_=epoch_microseconds(Ticket.first_response_at)) - created
    order = (wait, waiting)
    waits = (
        _in_scope(moments, key, wait.label("wait"), waiting.label("waiting"),
                  func.row_number().over(partition_by=key, order_by=order).label("in_group"),
                  func.count().over(partition_by=key).label("of_group"),
                  func.row_number().over(order_by=order).label("in_all"),
                  func.count().over().label("of_all"))
        .where(moments.within(Ticket.created_at), Ticket.first_response_due_at.is_not(None),
               or_(Ticket.first_response_at.is_not(None), Ticket.status.in_(OPEN_STATUSES)))
        .subquery())
    ranks = {name: percent for name, percent in PERCENTILES}

    def at_rank(place, size, percent: int):
        return place == (size * percent + 99) // 100

    rows = session.execute(
        select(waits.c.key, waits.c.wait, waits.c.waiting,
               *[at_rank(waits.c.in_group, waits.c.of_group, percent) for percent in ranks.values()],
               *[at_rank(waits.c.in_all, waits.c.of_all, percent) for percent in ranks.values()])
        .where(or_(*[at_rank(waits.c.in_group, waits.c.of_group, percent) for percent in ranks.values()],
                   *[at_rank(waits.c.in_all, waits.c.of_all, percent) for percent in ranks.values()])))
    for group_key, microseconds, still_waiting, *chosen in rows:
        value = (timedelta(microseconds=microseconds).total_seconds() / 60, bool(still_waiting))
        for name, in_group, in_all in zip(ranks, chosen[:len(ranks)], chosen[len(ranks):]):
            if in_group:
                groups[group_key].waits[name] = value
            if in_all:
                total.waits[name] = value


def _count_next_responses(session: Session, moments: _Moments, key, groups: dict, total: _Group) -> None:
    """Next answers, cycle by cycle, of the tickets in scope where the
    customer wrote again (no other ticket owes one). The cycles are found
    and counted in the database, but for those of tickets whose next answer
    the watch announced breached: those are read and judged here."""
    breached = select(Event.ticket_id).where(Event.kind == "breached",
                                             Event.detail["target"].as_string() == "next_response")
    cycles = _cycles(moments, key, breached).subquery()
    states = _cycle_states(moments, cycles)
    sums = [func.sum(case((condition, 1), else_=0)) for condition in states.values()]
    for row in session.execute(select(cycles.c.key, *sums).group_by(cycles.c.key)):
        for state, number in zip(states, row[1:]):
            groups[row[0]].count("next_response", state, int(number or 0))
            total.count("next_response", state, int(number or 0))
    _judge_breached_cycles(session, moments, key, breached, groups, total)


def _wrote_again(moments: _Moments):
    """The tickets in scope where the customer wrote again."""
    return _in_scope(moments, Ticket.id).where(
        Ticket.id.in_(select(Event.ticket_id).where(Event.kind == "customer_wrote")))


def _cycles(moments: _Moments, key, breached):
    """One row per cycle of the tickets in scope with no breached next
    answer: its group, when the answer that ended it came (None while it
    runs), and what judging a running one needs of the ticket.

    Of the answers and the customer's posts that need one, in order, a post
    starts a cycle when the one before it is an answer; the cycle ends at
    the next answer."""
    is_answer = case((Event.kind.in_(ANSWER_KINDS), 1), else_=0)
    order = (Event.at, Event.id)
    marks = (
        select(Event.ticket_id, is_answer.label("is_answer"),
               func.lag(is_answer).over(partition_by=Event.ticket_id, order_by=order).label("after_answer"),
               func.min(case((Event.kind.in_(ANSWER_KINDS), Event.at)))
               .over(partition_by=Event.ticket_id, order_by=order, rows=(1, None)).label("answered_at"))
        .where(Event.ticket_id.in_(_wrote_again(moments)), Event.ticket_id.not_in(breached))
        .where(or_(Event.kind.in_(ANSWER_KINDS),
                   and_(Event.kind == "customer_wrote", Event.detail["needs_response"].as_boolean())))
        .subquery())
    return (
        select(key, marks.c.answered_at, Ticket.status, Ticket.next_response_due_at,
               _clock_stopped_at(moments.now).label("stopped_at"))
        .select_from(marks)
        .join(Ticket, Ticket.id == marks.c.ticket_id)
        .outerjoin(Agent, Ticket.assignee_id == Agent.id)
        .where(marks.c.is_answer == 0, marks.c.after_answer == 1)
    )


def _cycle_states(moments: _Moments, cycles) -> dict[str, Any]:
    """A cycle is met at its answer; the one still running is judged by
    the ticket's own next due time: missed once its clock is past it, not
    yet due while the ticket is open."""
    due = cycles.c.next_response_due_at
    running = and_(cycles.c.answered_at.is_(None), due.is_not(None))
    return {
        "met": moments.within(cycles.c.answered_at),
        "missed": and_(running, due < cycles.c.stopped_at, moments.within(due)),
        "not_yet_due": and_(running, not_(due < cycles.c.stopped_at), cycles.c.status.in_(OPEN_STATUSES)),
    }


@dataclass
class _Cycle:
    """A next answer owed: from the customer's post after our first answer
    to our next answer; `breached_due` when the watch announced it missed."""

    answered_at: datetime | None = None
    breached_due: datetime | None = None


def _judge_breached_cycles(session: Session, moments: _Moments, key, breached, groups: dict,
                           total: _Group) -> None:
    """The cycles of the tickets in scope with a breached next answer, read
    event by event: a cycle is missed at the due time its breach recorded,
    else judged as in _cycle_states."""
    tickets = {row.id: row for row in session.execute(
        _in_scope(moments, Ticket.id, key, Ticket.status, Ticket.next_response_due_at,
                  _clock_stopped_at(moments.now).label("stopped_at")).where(Ticket.id.in_(breached)))}
    events = session.execute(
        select(Event.ticket_id, Event.kind, Event.at, Event.detail)
        .where(Event.ticket_id.in_(_wrote_again(moments).where(Ticket.id.in_(breached))),
               Event.kind.in_((*ANSWER_KINDS, "customer_wrote", "breached")))
        .order_by(Event.ticket_id, Event.at, Event.id))
    for ticket_id, cycles in _folded_cycles(events).items():
        ticket = tickets[ticket_id]
        for cycle in cycles:
            state, at = _cycle_outcome(ticket, cycle)
            if state == "not_yet_due" or (state is not None and moments.start <= at < moments.end):
                groups[ticket.key].count("next_response", state, 1)
                total.count("next_response", state, 1)


def _folded_cycles(events) -> dict[int, list[_Cycle]]:
    cycles: dict[int, list[_Cycle]] = defaultdict(list)
    answered: set[int] = set()
    for ticket_id, kind, at, detail in events:
        running = cycles[ticket_id][-1] if cycles[ticket_id] and cycles[ticket_id][-1].answered_at is None \
            else None
        if kind in ANSWER_KINDS:
            if running is not None:
                running.answered_at = at
            answered.add(ticket_id)
        elif kind == "customer_wrote" and (detail or {}).get("needs_response") and ticket_id in answered \
                and running is None:
            cycles[ticket_id].append(_Cycle())
        elif kind == "breached" and (detail or {}).get("target") == "next_response" and running is not None:
            running.breached_due = parse_utc(detail.get("due_at"), naive_is_utc=True)
    return cycles


def _cycle_outcome(ticket, cycle: _Cycle) -> tuple[str | None, datetime | None]:
    if cycle.breached_due is not None:
        return "missed", cycle.breached_due
    if cycle.answered_at is not None:
        return "met", cycle.answered_at
    due = ticket.next_response_due_at
    if due is None:
        return None, None
    if due < ticket.stopped_at:
        return "missed", due
    return ("not_yet_due", None) if ticket.status in OPEN_STATUSES else (None, None)
