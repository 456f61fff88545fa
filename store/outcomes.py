"""What checking back with customers achieved, read from the ticket events:
how many follow-ups were answered, satisfied against unsatisfied, how often
resolved tickets were reopened, and how many customers went from a negative
first post to a positive answer.

The tickets resolved in a period are counted from kept spans
(store.kept_figures): each span keeps, per group, how many of its
resolutions were a ticket's first, and when each of the others' ticket was
resolved before. A ticket resolved in the period is counted once, at its
first resolution there: the one whose previous resolution came before the
period began."""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from store.epoch import epoch_microseconds, microseconds_since_epoch
from store.held_by import compiled_plainly
from store.kept_figures import over_period
from store.models import Agent, Event, Mention, Ticket
from store.packed_numbers import Run, pack
from store.reports import Grouping, agent_emails

OUTCOME_GROUPINGS = ("agent", "team", "platform", "topic")
OUTCOME_EVENTS = ("resolved", "reopened", "followup_sent", "followup_answered")
# Counted per ticket reopened or followed up; "resolved" is counted apart.
FOLLOWED = ("followups_sent", "answered", "satisfied", "unsatisfied", "reopened")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _as_dict(key: str | None, counts: dict[str, int], turned_around: int) -> dict[str, Any]:
    return {
        "key": key,
        "followups_sent": counts["followups_sent"],
        "answered": counts["answered"],
        "answer_rate": _share(counts["answered"], counts["followups_sent"]),
        "satisfied": counts["satisfied"],
        "unsatisfied": counts["unsatisfied"],
        "resolved": counts["resolved"],
        "reopened": counts["reopened"],
        "reopen_rate": _share(counts["reopened"], counts["resolved"]),
        "negative_to_positive_customers": turned_around,
    }


def outcomes_report(session: Session, start: datetime, end: datetime, group_by: str, *,
                    now: datetime) -> list[dict[str, Any]]:
    """One dict per group, in key order, for what happened in [start, end).

    A follow-up counts when it was sent in the period, and is answered when
    the customer's answer came in the period too. A resolved ticket counts
    as reopened when it was reopened after a resolution in the period. A
    customer moved from negative to positive when their ticket started with
    a negative post and they answered its follow-up satisfied. Groups are
    the ticket's agent, team, platform or topic; tickets without one share
    the key None. A resolution counts under the agent who held the ticket
    when it was resolved, a ticket's follow-up and reopening under who held
    it at its first of these events in the period (a resolved ticket is
    not reassigned: the agent who resolved it). Each ticket's follow-up
    figures are worked out from its events in the database, and counted
    per group there; only the tickets answered satisfied are read. The
    resolutions are kept per day and hour (see the module's docstring)."""
    if group_by not in OUTCOME_GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(OUTCOME_GROUPINGS)}, not {group_by!r}")
    with compiled_plainly(session) if group_by == "agent" else nullcontext():
        return _outcomes(session, start, end, group_by, now)


def _outcomes(session: Session, start: datetime, end: datetime, group_by: str,
              now: datetime) -> list[dict[str, Any]]:
    counted: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*FOLLOWED, "resolved"), 0))
    for group, resolved in _tickets_resolved(session, start, end, now, group_by).items():
        if resolved:
            counted[group]["resolved"] = resolved
    per_ticket = _grouped_per_ticket(start, end, Grouping(group_by))
    key = (Agent.email if group_by == "agent" else per_ticket.c.key).label("key")

    def grouped(*columns):
        chosen = select(*columns).select_from(per_ticket)
        return chosen.outerjoin(Agent, Agent.id == per_ticket.c.key) if group_by == "agent" else chosen

    for row in session.execute(
            grouped(key, *[func.sum(per_ticket.c[figure]).label(figure) for figure in FOLLOWED]).group_by(key)):
        counted[row.key].update({figure: int(row._mapping[figure] or 0) for figure in FOLLOWED})
    satisfied = session.execute(
        grouped(per_ticket.c.ticket_id, per_ticket.c.customer_id, key).where(per_ticket.c.satisfied == 1)).all()
    first_sentiment = _first_sentiments(session, {row.ticket_id for row in satisfied})
    turned_around: dict[str | None, set[int]] = defaultdict(set)
    for ticket_id, customer_id, group in satisfied:
        if first_sentiment.get(ticket_id) == "negative":
            turned_around[group].add(customer_id)
    ordered = sorted(counted.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return [_as_dict(group, counts, len(turned_around[group])) for group, counts in ordered]


def _grouped_per_ticket(start: datetime, end: datetime, grouping: Grouping):
    """_per_ticket's rows with their ticket's customer and group (for
    "agent", the id of who held the ticket at its first event counted)."""
    per_ticket = _per_ticket(start, end).subquery()
    return (select(per_ticket, Ticket.customer_id, grouping.at(per_ticket.c.first_at))
            .join(Ticket, Ticket.id == per_ticket.c.ticket_id).subquery())


def _per_ticket(start: datetime, end: datetime):
    """Per ticket reopened or followed up in the period, 1 or 0 for each of
    FOLLOWED: a reopening counts after a resolution, an answer after a
    follow-up, both in the period, in the order the events happened; and
    the moment of its first of these events in the period."""
    earlier = {"partition_by": Event.ticket_id, "order_by": (Event.at, Event.id), "rows": (None, -1)}

    def was(kind: str):
        return case((Event.kind == kind, 1), else_=0)

    events = (
        select(Event.ticket_id, Event.kind, Event.at, Event.detail["outcome"].as_string().label("outcome"),
               func.sum(was("resolved")).over(**earlier).label("resolved_before"),
               func.sum(was("followup_sent")).over(**earlier).label("sent_before"))
        .where(Event.kind.in_(OUTCOME_EVENTS), Event.at >= start, Event.at < end)
        .where(Event.ticket_id.in_(select(Event.ticket_id).where(
            Event.kind.in_(("reopened", "followup_sent", "followup_answered")), Event.at >= start, Event.at < end)))
        .subquery())
    answered = and_(events.c.kind == "followup_answered", events.c.sent_before > 0)

    def ever(condition):
        return func.max(case((condition, 1), else_=0))

    return (
        select(events.c.ticket_id, func.min(events.c.at).label("first_at"),
               ever(events.c.kind == "followup_sent").label("followups_sent"),
               ever(answered).label("answered"),
               ever(and_(answered, events.c.outcome == "satisfied")).label("satisfied"),
               ever(and_(answered, events.c.outcome == "unsatisfied")).label("unsatisfied"),
               ever(and_(events.c.kind == "reopened", events.c.resolved_before > 0)).label("reopened"))
        .group_by(events.c.ticket_id)
    )


def _tickets_resolved(session: Session, start: datetime, end: datetime, now: datetime,
                      group_by: str) -> dict[str | None, int]:
    """How many tickets were resolved in [start, end), per group."""
    grouping = Grouping(group_by)
    key = grouping.at(Event.at)
    start_us = microseconds_since_epoch(start)
    resolved: dict = defaultdict(int)
    for part in over_period(session, grouping.kept_as("resolved"), start, end, now,
                            lambda part_start, part_end: _resolutions(session, part_start, part_end, key)):
        for group, first, before in part:
            resolved[group] += first + Run(before).below(start_us)
    if group_by != "agent":
        return resolved
    emails = agent_emails(session)
    return {emails.get(group): number for group, number in resolved.items()}


def _resolutions(session: Session, start: datetime, end: datetime, key) -> list[list]:
    """The resolutions in [start, end), per group (`key`, an expression
    over the resolution's event and its ticket): how many were their
    ticket's first, and when the ticket was last resolved before each of
    the others (a sorted run of microseconds since 1970)."""
    earlier = aliased(Event)
    resolved_before = (
        select(func.max(epoch_microseconds(earlier.at)))
        .where(earlier.ticket_id == Event.ticket_id, earlier.kind == "resolved",
               tuple_(earlier.at, earlier.id) < tuple_(Event.at, Event.id))
        .scalar_subquery())
    rows = session.execute(
        select(key, resolved_before).select_from(Event).join(Ticket, Ticket.id == Event.ticket_id)
        .where(Event.kind == "resolved", Event.at >= start, Event.at < end))
    first: dict = defaultdict(int)
    before: dict = defaultdict(list)
    for group, moment in rows:
        if moment is None:
            first[group] += 1
        else:
            before[group].append(moment)
    return [[group, first[group], pack(sorted(before[group]))] for group in first.keys() | before.keys()]


# Ids sent in one query at most: a database takes a bounded number of parameters.
ID_CHUNK = 1000


def _first_sentiments(session: Session, ticket_ids: set[int]) -> dict[int, str]:
    """The sentiment of each ticket's first post, a chunk of tickets at a time."""
    found: dict[int, str] = {}
    ordered = sorted(ticket_ids)
    for start in range(0, len(ordered), ID_CHUNK):
        first = (select(Mention.ticket_id, func.min(Mention.id).label("first_id"))
                 .where(Mention.ticket_id.in_(ordered[start:start + ID_CHUNK])).group_by(Mention.ticket_id)
                 .subquery())
        found.update({ticket_id: sentiment for ticket_id, sentiment in session.execute(
            select(Mention.ticket_id, Mention.sentiment).join(first, Mention.id == first.c.first_id))})
    return found
