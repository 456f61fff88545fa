"""The dashboard's live strip: per team, how many tickets are open, how
many are past their due time, how many come due soon, and who has waited
longest. Counts and one ticket per team, whatever the backlog."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from store.models import OPEN_STATUSES, Ticket


def live_by_team(session: Session, now: datetime, soon: timedelta,
                 hidden_teams: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One dict per team with open tickets, by name: `open`, `breaching`
    (running target past due), `at_risk` (due within `soon`) and `oldest`
    (the ticket whose running target started longest ago, or None).
    Snoozed tickets are left out, as the inbox leaves them out. The counts
    read one index of the open tickets; the oldest one row per team."""
    due = Ticket.next_due_at
    running = Ticket.paused_at.is_(None) & due.is_not(None)
    awake = or_(Ticket.snoozed_until.is_(None), Ticket.snoozed_until <= now)
    visible = (Ticket.status.in_(OPEN_STATUSES), awake, Ticket.team.not_in(hidden_teams))
    counts = session.execute(
        select(Ticket.team, func.count(),
               func.sum(case((running & (due < now), 1), else_=0)),
               func.sum(case((running & (due >= now) & (due < now + soon), 1), else_=0)))
        .where(*visible).group_by(Ticket.team).order_by(Ticket.team)).all()
    return [{"team": team, "open": total, "breaching": int(breaching or 0), "at_risk": int(at_risk or 0),
             "oldest": _oldest_wait(session, team, awake)} for team, total, breaching, at_risk in counts]


def _oldest_wait(session: Session, team: str, awake) -> dict[str, Any] | None:
    waiting_since = func.coalesce(Ticket.sla_started_at, Ticket.created_at)
    found = session.execute(
        select(Ticket.id, waiting_since)
        .where(Ticket.team == team, Ticket.next_due_at.is_not(None), Ticket.paused_at.is_(None), awake)
        .order_by(Ticket.sla_started_at.nulls_last(), Ticket.id).limit(1)).first()
    return None if found is None else {"ticket_id": found[0], "since": found[1]}
