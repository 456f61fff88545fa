"""Figures for managers, read from the tickets and their events: what is at
risk right now, how many open tickets each agent carries, and when
customers write.

Each report is a few queries whose rows are folded in Python, so that it
reads the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from store.models import (
    CORRECTABLE_FIELDS,
    OPEN_STATUSES,
    THANKS_POLICY,
    Agent,
    Correction,
    Customer,
    Mention,
    Ticket,
)
from store.buckets import buckets_for
from store.held_by import held_by
from store.epoch import epoch_seconds, quarter_hour, quarter_start
from store.kept_figures import over_period
from store.queries import COUNT_CAP
from store.sla import SlaClock
from store.types import UTCDateTime

# The at-risk list shows the most overdue first, this many at most; its
# total is counted up to COUNT_CAP.
AT_RISK_SHOWN = 100


@dataclass(frozen=True)
class AtRisk:
    items: list[dict[str, Any]]
    total: int
    total_exact: bool


def _at_risk_query(now: datetime, at_risk_share: float, hidden_teams: tuple[str, ...]):
    """Open tickets whose running response target is past `at_risk_share`
    of its time (so breached ones too): the moment it started plus that
    share of its span, in seconds, is not after now."""
    started = epoch_seconds(func.coalesce(Ticket.sla_started_at, Ticket.created_at))
    at_risk_from = started + (epoch_seconds(Ticket.next_due_at) - started) * at_risk_share
    return (select(Ticket.id)
            .where(Ticket.next_due_at.is_not(None), Ticket.paused_at.is_(None), Ticket.team.not_in(hidden_teams))
            .where(at_risk_from <= epoch_seconds(literal(now, UTCDateTime()))))


def at_risk_and_breached(session: Session, now: datetime, at_risk_share: float, sla_clock: SlaClock, *,
                         hidden_teams: tuple[str, ...] = (), limit: int = AT_RISK_SHOWN) -> AtRisk:
    """Open tickets whose running response target is breached now, or past
    `at_risk_share` of its time, soonest due (so most overdue) first: the
    first `limit`, and how many there are (up to COUNT_CAP).

    The rule is the SLA watch's: breached once `now` is past the due time,
    at risk from `running.at_risk_at(share)`. Minutes are rounded. The
    order is the inbox's index, so the page reads `limit` rows."""
    chosen = _at_risk_query(now, at_risk_share, hidden_teams)
    query = (
        select(Ticket, Customer.display_name, Agent.name)
        .join(Customer, Ticket.customer_id == Customer.id)
        .outerjoin(Agent, Ticket.assignee_id == Agent.id)
        .where(Ticket.id.in_(chosen.order_by(Ticket.next_due_at, Ticket.id).limit(limit).scalar_subquery()))
        .order_by(Ticket.next_due_at, Ticket.id)
    )
    found = []
    for ticket, customer, assignee in session.execute(query):
        running = sla_clock.running(ticket)
        if running is None:
            continue
        breached = now > running.due_at
        minutes = max(0, round(abs((running.due_at - now).total_seconds()) / 60))
        found.append({
            "ticket_id": ticket.id,
            "platform": ticket.platform,
            "priority": ticket.priority,
            "team": ticket.team,
            "customer": customer,
            "target": running.name,
            "state": "breached" if breached else "at_risk",
            "due_at": running.due_at,
            "minutes_over": minutes if breached else None,
            "minutes_left": None if breached else minutes,
            "assignee_id": ticket.assignee_id,
            "assignee": assignee,
        })
    counted = session.scalar(select(func.count()).select_from(chosen.limit(COUNT_CAP + 1).subquery()))
    return AtRisk(found, min(counted, COUNT_CAP), counted <= COUNT_CAP)


def at_risk_counts(session: Session, now: datetime, at_risk_share: float) -> dict[str, int]:
    """How many open tickets are breached and how many at risk now, all counted."""
    chosen = _at_risk_query(now, at_risk_share, ()).add_columns(Ticket.next_due_at).subquery()
    breached, total = session.execute(
        select(func.sum(case((chosen.c.next_due_at < literal(now, UTCDateTime()), 1), else_=0)),
               func.count())).one()
    return {"breached": int(breached or 0), "at_risk": total - int(breached or 0)}


def agent_load(session: Session) -> list[dict[str, Any]]:
    """Each active agent's open tickets (new, open or pending, as routing
    counts them) against their capacity, by name. One statement: the
    agents joined to one grouped count over the index of open tickets by
    assignee."""
    open_counts = (select(Ticket.assignee_id, func.count().label("open"))
                   .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
                   .group_by(Ticket.assignee_id).subquery())
    rows = session.execute(
        select(Agent.id, Agent.name, Agent.team, Agent.role, Agent.presence, Agent.capacity,
               func.coalesce(open_counts.c.open, 0))
        .outerjoin(open_counts, open_counts.c.assignee_id == Agent.id)
        .where(Agent.active.is_(True)).order_by(Agent.name, Agent.id))
    return [
        {
            "agent_id": agent_id,
            "name": name,
            "team": team,
            "role": role,
            "presence": presence,
            "open": count,
            "capacity": capacity,
            "over_capacity": count > capacity,
        }
        for agent_id, name, team, role, presence, capacity, count in rows
    ]


def _not_thanks(model) -> tuple:
    """Thank-you tickets are not work that arrived: leave them out of ticket counts."""
    return (Ticket.sla_policy != THANKS_POLICY,) if model is Ticket else ()


def agent_names(session: Session) -> dict[str, str]:
    """Names by email, to show who is behind an event's actor."""
    return {email: name for email, name in session.execute(select(Agent.email, Agent.name))}


def agent_emails(session: Session) -> dict[int, str]:
    """Emails by agent id: kept figures group by assignee, reports show the email."""
    return {agent_id: email for agent_id, email in session.execute(select(Agent.id, Agent.email))}


def ticket_group(group_by: str):
    """The ticket column a report groups by: the assignee for "agent"."""
    return (Ticket.assignee_id if group_by == "agent" else getattr(Ticket, group_by)).label("key")


@dataclass(frozen=True)
class Grouping:
    """How a report that counts what settled groups tickets: by a column of
    theirs, or for "agent" by who held each ticket when what is counted
    settled (store.held_by), so that a target stays with the agent who had
    it whoever holds the ticket later."""

    name: str

    @property
    def by_moment(self) -> bool:
        return self.name == "agent"

    @property
    def now(self):
        """The group of what still runs: the ticket's own, its assignee now."""
        return ticket_group(self.name)

    def at(self, moment):
        """The group of what settled at `moment`."""
        return held_by(moment).label("key") if self.by_moment else self.now

    def kept_as(self, report: str) -> str:
        """The name a report's figures of past days and hours are kept under
        (store.kept_figures): by agent, a new one since migration 0022,
        as those kept before charged the assignee of the day they were
        counted."""
        return f"{report}:agent-held" if self.by_moment else f"{report}:{self.name}"


def volume_by_platform(session: Session, start: datetime, end: datetime, tz: tzinfo, *,
                       now: datetime) -> dict[str, Any]:
    """Tickets raised and mentions written in [start, end), per platform and
    time bucket (see store.buckets). A mention counts at the time the
    customer posted it. Counted per quarter hour in the database (the
    counts of whole past days and hours kept), unless the buckets are finer."""
    buckets = buckets_for(start, end, tz)
    size = len(buckets.starts)
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"tickets": [0] * size, "mentions": [0] * size})
    if buckets.size == "5min":
        for what, model in (("tickets", Ticket), ("mentions", Mention)):
            for platform, at in session.execute(select(model.platform, model.created_at).where(
                    model.created_at >= start, model.created_at < end, *_not_thanks(model))):
                counts[platform][what][buckets.index(at)] += 1
    else:
        bucket_of: dict[int, int] = {}
        for part in over_period(session, "volume", start, end, now,
                                lambda part_start, part_end: _volume_quarters(session, part_start, part_end)):
            for what, platform, number, count in part:
                if number not in bucket_of:
                    bucket_of[number] = buckets.index(quarter_start(number))
                counts[platform][what][bucket_of[number]] += count
    return {
        "bucket": buckets.size,
        "buckets": buckets.labels(),
        "platforms": [{"platform": platform, **counts[platform]} for platform in sorted(counts)],
    }


def _volume_quarters(session: Session, start: datetime, end: datetime) -> list[list]:
    """["tickets" or "mentions", platform, quarter hour, how many] raised
    or written in [start, end), counted in the database."""
    rows = []
    for what, model in (("tickets", Ticket), ("mentions", Mention)):
        quarter = quarter_hour(model.created_at)
        rows += [[what, platform, number, count] for platform, number, count in session.execute(
            select(model.platform, quarter, func.count())
            .where(model.created_at >= start, model.created_at < end, *_not_thanks(model))
            .group_by(model.platform, quarter))]
    return rows


def corrections_report(session: Session, start: datetime, end: datetime, now: datetime
                       ) -> dict[str, list[dict[str, Any]]]:
    """How often agents overruled the scorer on the posts written in
    [start, end), per platform and per the topic the scorer gave: posts,
    corrections per field, and the share of posts corrected at least once.
    Posts are counted per group in the database (the counts of whole past
    days and hours kept); only corrected ones are read."""
    posts: dict[str, dict[str | None, int]] = {"by_platform": defaultdict(int), "by_topic": defaultdict(int)}
    corrected: dict[int, tuple[str, str | None, set[str]]] = {}
    for part in over_period(session, "corrections", start, end, now,
                            lambda part_start, part_end: _corrections_of(session, part_start, part_end)):
        for name, key, count in part["posts"]:
            posts[name][key] += count
        for mention_id, platform, topic, corrected_field in part["corrected"]:
            corrected.setdefault(mention_id, (platform, topic, set()))[2].add(corrected_field)
    return {name: _corrections_by(posts[name], [(post[place], post[2]) for post in corrected.values()])
            for name, place in (("by_platform", 0), ("by_topic", 1))}


def _corrections_of(session: Session, start: datetime, end: datetime) -> dict[str, list[list]]:
    """The posts written in [start, end) counted per platform and per
    topic, and their corrections, [post, platform, topic, field]."""
    window = (Mention.created_at >= start, Mention.created_at < end)
    corrected = [list(row) for row in session.execute(
        select(Correction.mention_id, Mention.platform, Mention.topic, Correction.field)
        .join(Mention, Correction.mention_id == Mention.id).where(*window))]
    posts = [[name, key, count] for name, column in (("by_platform", Mention.platform), ("by_topic", Mention.topic))
             for key, count in session.execute(select(column, func.count()).where(*window).group_by(column))]
    return {"posts": posts, "corrected": corrected}


def _corrections_by(posts: dict[str | None, int], corrected: list[tuple[str | None, set[str]]]
                    ) -> list[dict[str, Any]]:
    """Per key: its posts, and the fields of its corrected posts."""
    groups = {key: {"posts": count, "corrected": 0, "fields": dict.fromkeys(CORRECTABLE_FIELDS, 0)}
              for key, count in posts.items()}
    for key, fields in corrected:
        group = groups[key]
        group["corrected"] += 1
        for field_name in fields:
            group["fields"][field_name] += 1
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return [{"key": key, "posts": g["posts"], "corrections": g["fields"],
             "corrected_share": round(g["corrected"] / g["posts"], 4)} for key, g in ordered]
