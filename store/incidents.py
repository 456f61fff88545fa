"""Incidents: one problem shared by many customers. Opening one, its rule
(topic, keywords, posts since a time), and linking tickets to it by hand
or by the rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.models import OPEN_STATUSES, Incident, Mention, Ticket
from store.tickets import link_to_incident

MAX_TITLE = 200
MAX_KEYWORDS = 20
MAX_KEYWORD = 100


def open_incident(session: Session, *, title: str, topic: str | None, keywords: list[str], since: datetime | None,
                  actor: str, now: datetime) -> Incident:
    """Open an incident; with a rule, the open tickets that match join it now."""
    title = (title or "").strip()
    if not title:
        raise Refused("give the incident a title, for example 'payment outage 14:00'")
    if len(title) > MAX_TITLE:
        raise Refused(f"keep the title under {MAX_TITLE} characters")
    keywords = [k.strip().lower() for k in keywords if k and k.strip()]
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD for k in keywords):
        raise Refused(f"at most {MAX_KEYWORDS} keywords of up to {MAX_KEYWORD} characters each")
    if since is not None and since > now:
        raise Refused("'since' is in the future")
    incident = Incident(title=title, status="open", topic=(topic or "").strip() or None, keywords=keywords,
                        since=since, opened_by=actor, opened_at=now)
    session.add(incident)
    session.flush()
    if incident.has_rule:
        candidates = session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES),
                                                          Ticket.incident_id.is_(None)).order_by(Ticket.id))
        link_tickets(session, incident, [t for t in candidates if matches(incident, t)], actor, now,
                     why="matches the incident's rule")
    return incident


def link_tickets(session: Session, incident: Incident, tickets: list[Ticket], actor: str, now: datetime,
                 why: str) -> list[Ticket]:
    """Link tickets to an open incident; returns those newly linked. A
    ticket already in another incident is refused, naming it."""
    if incident.status != "open":
        raise Refused(f"incident {incident.id} is {incident.status}; open a new one", status=409)
    taken = [t for t in tickets if t.incident_id not in (None, incident.id)]
    if taken:
        raise Refused(f"ticket {taken[0].id} is already in incident {taken[0].incident_id}", status=409)
    return [ticket for ticket in tickets if link_to_incident(session, ticket, incident, actor, why, now)]


def matches(incident: Incident, ticket: Ticket, mention: Mention | None = None) -> bool:
    """Whether the ticket (or its new post) falls under the incident's rule:
    its topic, any of its keywords, and posted since its time."""
    if not incident.has_rule:
        return False
    if incident.topic and ticket.topic != incident.topic:
        return False
    posts = [mention] if mention is not None else ticket.mentions
    return any(_in_window_with_keyword(incident, post) for post in posts)


def covers(incident: Incident, post: Mention) -> bool:
    """Whether the incident's rule speaks of this post of a linked ticket:
    posted since its time, with one of its keywords, or, with a topic
    alone, about that topic. Without a rule, every post is taken as its."""
    if not _in_window_with_keyword(incident, post):
        return False
    return bool(incident.keywords) or not incident.topic or post.topic == incident.topic


def _in_window_with_keyword(incident: Incident, post: Mention) -> bool:
    """Posted since the rule's time, with one of its keywords (each where the rule has one)."""
    if incident.since is not None and post.created_at < incident.since:
        return False
    return not incident.keywords or _has_keyword(post.text, incident.keywords)


def _has_keyword(text: str, keywords: list[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", lowered) for keyword in keywords)


# Built once: intake reads the open incidents at every page that raises a ticket.
OPEN_INCIDENTS = select(Incident).where(Incident.status == "open").order_by(Incident.id)


def open_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(OPEN_INCIDENTS))


@dataclass(frozen=True)
class IncidentSummary:
    tickets: int
    open_tickets: int
    customers: int
    platforms: dict[str, int]


def summarize(tickets: list[Ticket]) -> IncidentSummary:
    """Counts over an incident's tickets (those the reader may see)."""
    platforms: dict[str, int] = {}
    for ticket in tickets:
        platforms[ticket.platform] = platforms.get(ticket.platform, 0) + 1
    return IncidentSummary(
        tickets=len(tickets),
        open_tickets=sum(1 for t in tickets if t.is_open),
        customers=len({t.customer_id for t in tickets}),
        platforms=dict(sorted(platforms.items())),
    )
