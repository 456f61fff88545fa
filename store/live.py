"""The dashboard's live strip: per team, how many tickets are open, how
many are past their due time, how many come due soon, and who has waited
longest. Counts and one ticket per team, whatever the backlog."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from store.models import OPEN_STATUSES, Ticket


def live_by_team(session: Session, now: datetime, soon: timedelta,
                 hidden_teams: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One dict per team with open tickets, by name: `open`, `breaching`
    (running target past due), `at_risk` (due within `soon`) and `oldest`
    (the ticket whose running target started longest ago, or None).
    Snoozed tickets are left out, as the inbox leaves them out. Two
    statements: the counts read one index of the open tickets (filtered
    counts, which cost the database less per ticket than sums of cases),
    the oldest waits one indexed row per team."""
    due = Ticket.next_due_at
    running = Ticket.paused_at.is_(None) & due.is_not(None)
    awake = or_(Ticket.snoozed_until.is_(None), Ticket.snoozed_until <= now)
    visible = (Ticket.status.in_(OPEN_STATUSES), awake, Ticket.team.not_in(hidden_teams))
    counts = session.execute(
        select(Ticket.team, func.count(),
               func.count().filter(running & (due < now)),
               func.count().filter(running & (due >= now) & (due < now + soon)))
        .where(*visible).group_by(Ticket.team).order_by(Ticket.team)).all()
    oldest = _oldest_waits(session, [team for team, *_ in counts], awake)
    return [{"team": team, "open": total, "breaching": breaching, "at_risk": at_risk, "oldest": oldest.get(team)}
            for team, total, breaching, at_risk in counts]


def _oldest_waits(session: Session, teams: list[str], awake) -> dict[str, dict[str, Any]]:
    """Per team, the running ticket that has waited longest: one indexed
    row per team, all teams in one statement."""
    if not teams:
        return {}
    waiting_since = func.coalesce(Ticket.sla_started_at, Ticket.created_at)
    per_team = [
        select(literal(team).label("team"), Ticket.id.label("ticket_id"), waiting_since.label("since"))
        .where(Ticket.team == team, Ticket.next_due_at.is_not(None), Ticket.paused_at.is_(None), awake)
        .order_by(Ticket.sla_started_at.nulls_last(), Ticket.id).limit(1).subquery()
        for team in teams
    ]
    found = union_all(*(select(one.c.team, one.c.ticket_id, one.c.since) for one in per_team))
    return {team: {"ticket_id": ticket_id, "since": since} for team, ticket_id, since in session.execute(found)}
