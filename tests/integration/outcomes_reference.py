"""The follow-up outcomes folded event by event in Python, as
store.outcomes computed them before it counted in the database: the
reference its figures must match, read on a small store."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.held_by import ASSIGNMENT_KINDS
from store.models import Agent, Event, Ticket
from store.outcomes import OUTCOME_EVENTS, OUTCOME_GROUPINGS, _first_sentiments



@dataclass
class _Outcomes:
    followups: set[int] = field(default_factory=set)
    answered: set[int] = field(default_factory=set)
    satisfied: set[int] = field(default_factory=set)
    unsatisfied: set[int] = field(default_factory=set)
    resolved: set[int] = field(default_factory=set)
    reopened: set[int] = field(default_factory=set)
    turned_around: set[int] = field(default_factory=set)

    def as_dict(self, key: str | None) -> dict[str, Any]:
        return {
            "key": key,
            "followups_sent": len(self.followups),
            "answered": len(self.answered),
            "answer_rate": _share(self.answered, self.followups),
            "satisfied": len(self.satisfied),
            "unsatisfied": len(self.unsatisfied),
            "resolved": len(self.resolved),
            "reopened": len(self.reopened),
            "reopen_rate": _share(self.reopened, self.resolved),
            "negative_to_positive_customers": len(self.turned_around),
        }


def _share(part: set[int], whole: set[int]) -> float | None:
    return round(len(part) / len(whole), 4) if whole else None


def reference_outcomes_report(session: Session, start: datetime, end: datetime, group_by: str) -> list[dict[str, Any]]:
    """One dict per group, in key order, for what happened in [start, end).

    A follow-up counts when it was sent in the period, and is answered when
    the customer's answer came in the period too. A resolved ticket counts
    as reopened when it was reopened after a resolution in the period. A
    customer moved from negative to positive when their ticket started with
    a negative post and they answered its follow-up satisfied. Groups are
    the ticket's agent, team, platform or topic; tickets without one share
    the key None. By agent, a ticket's first resolution in the period
    counts under who held it then, its other figures under who held it at
    its first of these events in the period (by its last assignment event
    up to then; its assignee when it has none)."""
    if group_by not in OUTCOME_GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(OUTCOME_GROUPINGS)}, not {group_by!r}")
    rows = session.execute(
        select(Event.ticket_id, Event.kind, Event.at, Event.detail, Ticket.customer_id, Agent.email.label("agent"),
               Ticket.team, Ticket.platform, Ticket.topic)
        .join(Ticket, Event.ticket_id == Ticket.id)
        .outerjoin(Agent, Ticket.assignee_id == Agent.id)
        .where(Event.kind.in_(OUTCOME_EVENTS), Event.at >= start, Event.at < end)
        .order_by(Event.at, Event.id)
    ).all()
    first_sentiment = _first_sentiments(session, {row.ticket_id for row in rows if row.kind == "followup_answered"
                                                  and (row.detail or {}).get("outcome") == "satisfied"})
    held = _holders(session, rows) if group_by == "agent" else {}
    groups: dict[str | None, _Outcomes] = defaultdict(_Outcomes)
    resolved, followed = set(), set()
    for row in rows:
        group = groups[held.get((row.ticket_id, row.kind == "resolved"), getattr(row, group_by))]
        if row.kind == "resolved":
            if row.ticket_id not in resolved:
                group.resolved.add(row.ticket_id)
            resolved.add(row.ticket_id)
        elif row.kind == "reopened" and row.ticket_id in resolved:
            group.reopened.add(row.ticket_id)
        elif row.kind == "followup_sent":
            group.followups.add(row.ticket_id)
            followed.add(row.ticket_id)
        elif row.kind == "followup_answered" and row.ticket_id in followed:
            group.answered.add(row.ticket_id)
            outcome = (row.detail or {}).get("outcome")
            if outcome == "satisfied":
                group.satisfied.add(row.ticket_id)
                if first_sentiment.get(row.ticket_id) == "negative":
                    group.turned_around.add(row.customer_id)
            elif outcome == "unsatisfied":
                group.unsatisfied.add(row.ticket_id)
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return [group.as_dict(key) for key, group in ordered]


def _holders(session: Session, rows: list) -> dict[tuple[int, bool], str | None]:
    """By (ticket, whether for its first resolution): the email of who held
    the ticket at its first resolution in the period, and at its first
    outcome event there."""
    firsts: dict[tuple[int, bool], datetime] = {}
    for row in rows:
        firsts.setdefault((row.ticket_id, False), row.at)
        if row.kind == "resolved":
            firsts.setdefault((row.ticket_id, True), row.at)
    emails = dict(session.execute(select(Agent.id, Agent.email)).all())
    assignments: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    for ticket_id, kind, at, detail in session.execute(
            select(Event.ticket_id, Event.kind, Event.at, Event.detail)
            .where(Event.ticket_id.in_({row.ticket_id for row in rows}), Event.kind.in_(ASSIGNMENT_KINDS))
            .order_by(Event.ticket_id, Event.at, Event.id)):
        assignments[ticket_id].append((at, (detail or {}).get("agent_id") if kind == "assigned" else None))
    held = {}
    for (ticket_id, first_resolution), moment in firsts.items():
        if ticket_id in assignments:
            before = [agent_id for at, agent_id in assignments[ticket_id] if at <= moment]
            held[ticket_id, first_resolution] = emails.get(before[-1]) if before else None
    return held
