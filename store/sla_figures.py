"""Response-time figures that count every ticket: for each target (first
response, next response, resolution), how many came due in a period, how
many were met and how many missed, an answer that never came included, and
how long customers waited for a first answer, those still waiting included.

A target is settled once: met at the moment it was answered (or the ticket
resolved) by its due time, missed at its due time when nothing had come by
then. Due times are the tickets' own, so business hours and pauses count as
the SLA clock counted them; a paused ticket's clock stopped when it paused.

What settled in a window of time is counted per group in the database,
from the tickets with a moment in that window (every such moment is
indexed): the first-response and resolution figures, the next answers
(cycles found in the events of the tickets where a customer wrote again;
only the tickets whose next answer was announced breached are read event
by event), and the first-response waits of the tickets raised in it that
were answered, in tenths of a minute (the precision shown). What still
runs is read per window of the open tickets' raising: their due times and,
for those still waiting, when they were raised, judged against the clock
when the figures are asked for (a paused ticket's, which stopped, judged
at once). Neither changes until a ticket of the window changes, so the
figures of whole past days and hours are kept once counted
(store.kept_figures) and a period of a month counts only the part hours at
its ends. The median and 90th percentile are the nearest rank over (tenths
of a minute, still waiting), found in the kept runs (store.first_waits)."""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate, groupby
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from config.clock import parse_utc
from store.epoch import epoch_microseconds, microseconds_since_epoch
from store.first_waits import TENTH_OF_A_MINUTE, FirstWaits, not_yet_due, tenths_waited
from store.kept_figures import over_period
from store.models import OPEN_STATUSES, THANKS_POLICY, Event, Ticket
from store.packed_numbers import Run, pack
from store.held_by import ASSIGNMENT_KINDS, Assignments, compiled_plainly
from store.reports import Grouping, agent_emails
from store.types import UTCDateTime

TARGETS = ("first_response", "next_response", "resolution")
GROUPINGS = ("platform", "team", "agent", "priority", "topic")
ANSWER_KINDS = ("replied", "answered_elsewhere")
PERCENTILES = (("median", 50), ("p90", 90))
# Each target's due time, read for the open tickets.
DUE_TIMES = {"first_response": Ticket.first_response_due_at, "next_response": Ticket.next_response_due_at,
             "resolution": Ticket.resolution_due_at}


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
    waits: FirstWaits
    tallies: dict[str, _Tally] = field(default_factory=lambda: {target: _Tally() for target in TARGETS})

    def count(self, target: str, state: str, number: int) -> None:
        tally = self.tallies[target]
        setattr(tally, state, getattr(tally, state) + number)

    def has_figures(self) -> bool:
        return bool(self.waits.size() or any(
            tally.met or tally.missed or tally.not_yet_due for tally in self.tallies.values()))

    def ranked(self, parts: list[list[int | None]] = ()) -> list[int | None]:
        """The first-response waits at PERCENTILES' ranks; `parts`: those of
        the groups these waits are together (FirstWaits.at_ranks)."""
        return self.waits.at_ranks([percent for _, percent in PERCENTILES], parts)

    def as_dict(self, key: str | None, ranked: list[int | None]) -> dict[str, Any]:
        figures = {target: tally.as_dict() for target, tally in self.tallies.items()}
        times: dict[str, Any] = {"waiting": self.waits.waiting()}
        for (name, _), value in zip(PERCENTILES, ranked):
            times[f"{name}_min"] = None if value is None else (value >> 1) / 10
            times[f"{name}_at_least"] = bool(value is not None and value & 1)
        figures["first_response"].update(times)
        return {"key": key, **figures}


class _Figures:
    """The groups' figures, folded from the counted parts."""

    def __init__(self, now: datetime) -> None:
        self.now_us = microseconds_since_epoch(now)
        self.groups: dict[Any, _Group] = {}
        self.total = _Group(FirstWaits(self.now_us))

    def group(self, key) -> _Group:
        if key not in self.groups:
            self.groups[key] = _Group(FirstWaits(self.now_us))
        return self.groups[key]

    def count(self, key, target: str, state: str, number: int) -> None:
        if number:
            self.group(key).count(target, state, number)
            self.total.count(target, state, number)

    def add_settled(self, part: dict[str, list]) -> None:
        for key, target, state, number in part["counts"]:
            self.count(key, target, state, number)
        for key, tenths, counts in part["waits"]:
            self.group(key).waits.answered.append((Run(tenths, "i"), Run(counts, "i")))

    def add_running(self, part: dict[str, list], with_waits: bool) -> None:
        """A window's open tickets: their targets not yet due, and, for the
        tickets raised in the period (`with_waits`), those still waiting."""
        for key, target, due_times, stopped in part["due"]:
            self.count(key, target, "not_yet_due", not_yet_due(Run(due_times), self.now_us) + stopped)
        if with_waits:
            for key, paused, raised in part["waiting"]:
                waits = self.group(key).waits
                waits.paused.append(Run(paused, "i"))
                waits.raised.append(Run(raised))

    def close(self) -> None:
        self.total.waits = FirstWaits.together(self.now_us, [group.waits for group in self.groups.values()])


def sla_figures(session: Session, start: datetime, end: datetime, now: datetime, group_by: str) -> dict[str, Any]:
    """The figures of [start, end) per group with a figure, in key order
    (None last), and for all tickets together; see the module's docstring
    for the rules.

    Groups are the tickets' platform, team, priority or topic, or for
    "agent" an agent's email (None: unassigned): what settled is counted
    under the agent who held the ticket when it settled (a miss at its due
    time, a target met when it was answered or resolved, a first answer's
    wait as its target), what still runs under the assignee now. First-response times
    are those of the tickets raised in the period, a ticket still waiting
    counting the wait so far; the median and 90th percentile are by nearest
    rank over (tenths of a minute, still waiting), a wait still running
    being at least that long. Targets not yet due are those of the open
    tickets raised before the end."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")
    grouping = Grouping(group_by)
    figures = _Figures(now)
    for part in over_period(session, grouping.kept_as("sla"), start, end, now,
                            lambda part_start, part_end: _settled(session, _Moments(part_start, part_end, now),
                                                                  grouping)):
        figures.add_settled(part)

    def running(part_start: datetime, part_end: datetime) -> dict[str, list]:
        return _running(session, part_start, part_end, grouping.now)

    first_raised = session.scalar(select(func.min(Ticket.created_at)))
    if first_raised is not None and first_raised < start:
        # Nothing was raised before the first ticket: the years before it are not counted.
        for part in over_period(session, f"running:{group_by}", first_raised, start, now, running):
            figures.add_running(part, with_waits=False)
    for part in over_period(session, f"running:{group_by}", start, end, now, running):
        figures.add_running(part, with_waits=True)
    figures.close()
    names = agent_emails(session) if group_by == "agent" else {}
    ranked = {group_key: group.ranked() for group_key, group in figures.groups.items()}
    shown = {names.get(group_key, group_key): group_key for group_key, group in figures.groups.items()
             if group.has_figures()}
    ordered = sorted(shown.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return {"groups": [figures.groups[group_key].as_dict(name, ranked[group_key]) for name, group_key in ordered],
            "total": figures.total.as_dict(None, figures.total.ranked(list(ranked.values())))}


@dataclass(frozen=True)
class _Moments:
    start: datetime
    end: datetime
    now: datetime

    def within(self, column) -> Any:
        return and_(column >= self.start, column < self.end)


def _clock_stopped_at(now: datetime):
    """Where a ticket's SLA clock stands: at its pause, at its resolution, or now."""
    return case((Ticket.paused_at.is_not(None), Ticket.paused_at),
                (and_(Ticket.status.not_in(OPEN_STATUSES), Ticket.resolved_at.is_not(None)), Ticket.resolved_at),
                else_=literal(now, UTCDateTime()))


def _target_states(moments: _Moments) -> dict[tuple[str, str], tuple[Any, Any]]:
    """For the first response and the resolution: the condition under
    which a ticket counts as met or missed in the period, and the moment
    it settled then (answered or resolved; its due time)."""
    stopped = _clock_stopped_at(moments.now)
    states = {}
    for target, due, done in (
            ("first_response", Ticket.first_response_due_at, Ticket.first_response_at),
            ("resolution", Ticket.resolution_due_at, case((Ticket.status.not_in(OPEN_STATUSES), Ticket.resolved_at)))):
        never_done = and_(due.is_not(None), done.is_(None))
        states[target, "met"] = (and_(due.is_not(None), done.is_not(None), done <= due, moments.within(done)), done)
        states[target, "missed"] = (and_(
            due.is_not(None), moments.within(due),
            or_(and_(done.is_not(None), done > due), and_(never_done, due < stopped))), due)
    return states


def _settled(session: Session, moments: _Moments, grouping: Grouping) -> dict[str, list]:
    """What settled in the window, as rows that keep as JSON: (group,
    target, state, tickets) and the answered first-response waits of the
    tickets raised in it (_answered_waits)."""
    with compiled_plainly(session) if grouping.by_moment else nullcontext():
        counts = _count_settled_targets(session, moments, grouping) + _count_settled_cycles(session, moments, grouping)
        return {"counts": counts, "waits": _answered_waits(session, moments, grouping)}


def _counted(session: Session, grouping: Grouping, conditions: dict[tuple[str, str], tuple[Any, Any]],
             scope) -> list[list]:
    """One grouped count of each condition over the tickets `scope`
    chooses, each ticket in its group at the moment the condition names
    (store.reports.Grouping)."""
    if grouping.by_moment:
        keys = [case((condition, grouping.at(moment))) for condition, moment in conditions.values()]
    else:
        keys = [grouping.now]
    per_ticket = select(*(key.label(f"key{number}") for number, key in enumerate(keys)),
                        *(case((condition, 1), else_=0).label(f"is{number}")
                          for number, (condition, _) in enumerate(conditions.values()))
                        ).select_from(Ticket).where(scope).subquery()
    grouped = [per_ticket.c[f"key{number}"] for number in range(len(keys))]
    rows = session.execute(select(*grouped, *(func.sum(per_ticket.c[f"is{number}"])
                                              for number in range(len(conditions)))).group_by(*grouped))
    counted: dict[tuple[Any, str, str], int] = defaultdict(int)
    for row in rows:
        for number, ((target, state), tickets) in enumerate(zip(conditions, row[len(keys):])):
            if tickets:
                counted[row[number if grouping.by_moment else 0], target, state] += int(tickets)
    return [[group, target, state, number] for (group, target, state), number in counted.items()]


def _count_settled_targets(session: Session, moments: _Moments, grouping: Grouping) -> list[list]:
    """First responses and resolutions met or missed in the window, from
    the tickets with one of those moments in it."""
    states = _target_states(moments)
    moment_in_window = or_(*(moments.within(column) for column in (
        Ticket.first_response_at, Ticket.first_response_due_at, Ticket.resolved_at, Ticket.resolution_due_at)))
    return _counted(session, grouping, states, and_(Ticket.sla_policy != THANKS_POLICY, moment_in_window))


def _answered_waits(session: Session, moments: _Moments, grouping: Grouping) -> list[list]:
    """The waits to a first answer of the tickets raised in the window, in
    tenths of a minute, per group (a wait goes with its target: for
    "agent", to who held the ticket when it was answered in time, or at
    its due time when late): the distinct tenths in order and how many
    waits there are up to each."""
    wait = epoch_microseconds(Ticket.first_response_at) - epoch_microseconds(Ticket.created_at)
    settled = case((Ticket.first_response_at <= Ticket.first_response_due_at, Ticket.first_response_at),
                   else_=Ticket.first_response_due_at)
    waits = (select(grouping.at(settled).label("key"),
                    ((wait + TENTH_OF_A_MINUTE // 2) // TENTH_OF_A_MINUTE).label("tenths"))
             .where(moments.within(Ticket.created_at), Ticket.sla_policy != THANKS_POLICY,
                    Ticket.first_response_due_at.is_not(None), Ticket.first_response_at.is_not(None))
             .subquery())
    rows = session.execute(
        select(waits.c.key, waits.c.tenths, func.count())
        .group_by(waits.c.key, waits.c.tenths).order_by(waits.c.key, waits.c.tenths))
    runs = []
    for group, counted in groupby(rows, key=lambda row: row[0]):
        tenths, counts = zip(*((number, count) for _, number, count in counted))
        runs.append([group, pack(tenths, "i"), pack(accumulate(counts), "i")])
    return runs


def _running(session: Session, start: datetime, end: datetime, key) -> dict[str, list]:
    """What of the open tickets raised in [start, end) moves with the
    clock, per group: for each target, its due times on a running clock
    (a sorted run of microseconds) and how many paused tickets' targets
    were not yet due when their clock stopped; for the tickets still
    waiting for a first answer, the paused ones' waits in tenths of a
    minute and when the others were raised. A next answer is owed while
    the SLA clock has its due time (store.sla), so it is read from the
    ticket alone."""
    due: dict[tuple[Any, str], tuple[list[int], list[int]]] = defaultdict(lambda: ([], [0]))
    waiting: dict[Any, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    rows = session.execute(
        select(key, epoch_microseconds(Ticket.created_at), epoch_microseconds(Ticket.paused_at),
               Ticket.first_response_at.is_(None), *(epoch_microseconds(column) for column in DUE_TIMES.values()))
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.sla_policy != THANKS_POLICY,
               Ticket.created_at >= start, Ticket.created_at < end))
    for group, raised, paused, unanswered, *due_times in rows:
        for target, due_at in zip(DUE_TIMES, due_times):
            if due_at is None or (target == "first_response" and not unanswered):
                continue
            running, stopped = due[group, target]
            if paused is None:
                running.append(due_at)
            elif due_at >= paused:
                stopped[0] += 1
        if unanswered and due_times[0] is not None:
            if paused is None:
                waiting[group][1].append(raised)
            else:
                waiting[group][0].append(tenths_waited(raised, paused))
    return {"due": [[group, target, pack(sorted(running)), stopped[0]]
                    for (group, target), (running, stopped) in due.items()],
            "waiting": [[group, pack(sorted(paused), "i"), pack(sorted(raised))]
                        for group, (paused, raised) in waiting.items()]}


def _breached_next_answers():
    return select(Event.ticket_id).where(Event.kind == "breached",
                                         Event.detail["target"].as_string() == "next_response")


def _wrote_again():
    return select(Event.ticket_id).where(Event.kind == "customer_wrote")


def _count_settled_cycles(session: Session, moments: _Moments, grouping: Grouping) -> list[list]:
    """Next answers met or missed in the window: cycles answered in it, or
    running ones whose due time fell in it; the tickets whose next answer
    was announced breached are judged event by event."""
    answered_in_window = select(Event.ticket_id).where(Event.kind.in_(ANSWER_KINDS), moments.within(Event.at))
    in_window = or_(Ticket.id.in_(answered_in_window), moments.within(Ticket.next_response_due_at))
    chosen = select(Ticket.id).where(in_window, Ticket.id.in_(_wrote_again()),
                                     Ticket.id.not_in(_breached_next_answers()))
    cycles = _cycles(moments, grouping, chosen).subquery()
    states = _cycle_states(moments, cycles)
    sums = [func.sum(case((condition, 1), else_=0)) for condition in states.values()]
    counts = [[row[0], "next_response", state, int(number or 0)]
              for row in session.execute(select(cycles.c.key, *sums).group_by(cycles.c.key))
              for state, number in zip(states, row[1:]) if number]
    breached_since = select(Event.ticket_id).where(
        Event.kind == "breached", Event.at >= moments.start, Event.detail["target"].as_string() == "next_response")
    judged = _judged_cycles(session, moments, grouping, and_(
        Ticket.id.in_(_breached_next_answers()), or_(in_window, Ticket.id.in_(breached_since))))
    counts += [[group, "next_response", state, 1] for group, state, at in judged if moments.start <= at < moments.end]
    return counts


def _cycles(moments: _Moments, grouping: Grouping, chosen):
    """One row per cycle of the tickets `chosen`: its group (for "agent",
    who held the ticket at its answer, or at the due time of one still
    running), when the answer that ended it came (None while it runs), and
    what judging a running one needs of the ticket.

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
        .where(Event.ticket_id.in_(chosen))
        .where(or_(Event.kind.in_(ANSWER_KINDS),
                   and_(Event.kind == "customer_wrote", Event.detail["needs_response"].as_boolean())))
        .subquery())
    return (
        select(grouping.at(func.coalesce(marks.c.answered_at, Ticket.next_response_due_at)).label("key"),
               marks.c.answered_at, Ticket.status, Ticket.next_response_due_at,
               _clock_stopped_at(moments.now).label("stopped_at"))
        .select_from(marks)
        .join(Ticket, Ticket.id == marks.c.ticket_id)
        .where(Ticket.sla_policy != THANKS_POLICY, marks.c.is_answer == 0, marks.c.after_answer == 1)
    )


def _cycle_states(moments: _Moments, cycles) -> dict[str, Any]:
    """A cycle is met at its answer; the one still running is missed once
    its clock is past the ticket's own next due time."""
    due = cycles.c.next_response_due_at
    running = and_(cycles.c.answered_at.is_(None), due.is_not(None))
    return {
        "met": moments.within(cycles.c.answered_at),
        "missed": and_(running, due < cycles.c.stopped_at, moments.within(due)),
    }


@dataclass
class _Cycle:
    """A next answer owed: from the customer's post after our first answer
    to our next answer; `breached_due` when the watch announced it missed."""

    answered_at: datetime | None = None
    breached_due: datetime | None = None


def _judged_cycles(session: Session, moments: _Moments, grouping: Grouping,
                   scope) -> list[tuple[Any, str, datetime | None]]:
    """(group, state, moment) of each cycle of the tickets `scope` chooses,
    read event by event: a cycle is missed at the due time its breach
    recorded, else judged as in _cycle_states. For "agent", each in the
    group of who held the ticket at that moment."""
    tickets = {row.id: row for row in session.execute(
        select(Ticket.id, grouping.now, Ticket.status, Ticket.next_response_due_at,
               _clock_stopped_at(moments.now).label("stopped_at"))
        .where(scope, Ticket.sla_policy != THANKS_POLICY))}
    if not tickets:
        return []
    events = session.execute(
        select(Event.ticket_id, Event.kind, Event.at, Event.detail)
        .where(Event.ticket_id.in_(select(Ticket.id).where(scope, Ticket.sla_policy != THANKS_POLICY)),
               Event.kind.in_((*ANSWER_KINDS, "customer_wrote", "breached",
                              *(ASSIGNMENT_KINDS if grouping.by_moment else ()))))
        .order_by(Event.ticket_id, Event.at, Event.id))
    assignments: dict[int, Assignments] = defaultdict(Assignments)
    judged = []
    for ticket_id, cycles in _folded_cycles(events, assignments).items():
        ticket = tickets[ticket_id]
        for cycle in cycles:
            state, at = _cycle_outcome(ticket, cycle)
            if state is not None:
                group = assignments[ticket_id].held_at(at, ticket.key) if grouping.by_moment else ticket.key
                judged.append((group, state, at))
    return judged


def _folded_cycles(events, assignments: dict[int, Assignments]) -> dict[int, list[_Cycle]]:
    """The tickets' cycles, from their events in order; their assignments
    are kept in `assignments`."""
    cycles: dict[int, list[_Cycle]] = defaultdict(list)
    answered: set[int] = set()
    for ticket_id, kind, at, detail in events:
        assignments[ticket_id].add(kind, at, detail)
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
    return None, None
