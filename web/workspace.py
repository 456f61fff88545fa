"""The workspace's ticket list: the inbox's filters and views applied for
the signed-in agent, shown on the inbox and beside an open ticket, and the
version that tells a refreshing page whether anything in it changed."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from flask import g, request, url_for
from flask import session as flask_session
from sqlalchemy import select

from config.platforms import PLATFORMS
from store.answers import inbox_lines
from store.errors import Refused
from store.mentions import count_mentions
from store.models import PRIORITIES, TICKET_STATUSES, Agent, SavedView
from store.queries import (Cursor, PageOrder, TicketFilter, active_agents, count_text, list_tickets,
                           list_version, page_order, posts_by_ticket)
from store.views import VIEW_KEYS
from web.access import hidden_teams
from web.auth import signed_in_agent
from web.context import db_session, now, services
from web.filters import NO_TOPIC, cursor_of, ticket_filter
from web.mention_filters import left_without_ticket, mention_filter

PAGE_SIZE = 50
# The inbox counts the posts of this long ago that were left without a ticket.
SWEEP_PERIOD = timedelta(hours=24)
VIEWS = {"mine": "My tickets", "queue": "Team queue", "all": "All open", "snoozed": "Snoozed"}
REMEMBERED = "workspace_query"


def default_view(agent: Agent) -> str:
    """Agents land on their own tickets; seniors and managers on all open."""
    return "mine" if agent.role == "agent" else "all"


def remember(args) -> None:
    """The list beside an open ticket keeps the filters last used in the inbox."""
    flask_session[REMEMBERED] = query_string(args)


def remembered_args() -> dict:
    return dict(parse_qsl(flask_session.get(REMEMBERED, "")))


def query_string(args) -> str:
    return urlencode([(key, args[key]) for key in VIEW_KEYS if args.get(key)])


def _filter(args) -> tuple[str, TicketFilter, str | None]:
    agent = signed_in_agent()
    view = args.get("view") if args.get("view") in VIEWS else default_view(agent)
    error = None
    try:
        flt = ticket_filter(args, me=agent.id, topics=tuple(services().settings.scoring.topics), now=now())
    except Refused as bad:
        error, flt = bad.message, TicketFilter(now=now())
    return view, replace(_for_view(view, flt, agent.id), hidden_teams=hidden_teams(agent, services().settings)), error


def _for_view(view: str, flt: TicketFilter, me: int) -> TicketFilter:
    if view == "mine":
        return replace(flt, assignee_id=me, unassigned=False)
    if view == "queue":
        return replace(flt, assignee_id=None, unassigned=True)
    if view == "snoozed":
        return replace(flt, snoozed=True)
    return flt


def _page(args) -> tuple[str, TicketFilter, str | None, Cursor | None, PageOrder]:
    """The view, filters, error and cursor of `args` and where their page
    stands, read once a request: the rows' version and the rows both need
    them."""
    pages = g.setdefault("workspace_pages", {})
    key = tuple(sorted(args.items()))
    if key not in pages:
        view, flt, error = _filter(args)
        after = _cursor(args)
        pages[key] = view, flt, error, after, page_order(db_session(), flt, limit=PAGE_SIZE, after=after)
    return pages[key]


def list_etag(args) -> str:
    """The list's version: what it holds, and the minute, since due times
    read "in 5 min" and change as the clock moves."""
    order = _page(args)[-1]
    version = f"{list_version(db_session(), order, PAGE_SIZE)}.{now():%Y%m%d%H%M}.{signed_in_agent().id}"
    return hashlib.sha1(version.encode()).hexdigest()[:20]


def listing(args) -> dict:
    """The rows: soonest due first, a page of PAGE_SIZE (after `cursor`
    when given), with each ticket's post to answer and how many of its
    posts wait for an answer (store.answers.inbox_lines); the total is
    counted up to COUNT_CAP (TEXT_COUNT_CAP when searching text)."""
    view, flt, error, after, order = _page(args)
    if after is None and args.get("cursor"):
        error = error or "That page of the list is gone; here is the first."
    session = db_session()
    page = list_tickets(session, flt, limit=PAGE_SIZE, after=after, order=order)
    posts = posts_by_ticket(session, [t.id for t in page.tickets])
    return {"view": view, "tickets": page.tickets, "total": page.total, "total_text": count_text(page.total,
            page.total_exact), "after": after, "next_cursor": page.next_cursor, "error": error,
            "lines": inbox_lines(session, posts)}


def _cursor(args) -> Cursor | None:
    """Where the page starts; a cursor that is not one starts from the top."""
    try:
        return cursor_of(args)
    except Refused:
        return None


def list_context(args, open_id: int | None = None) -> dict:
    """Everything the list, its views, filters and bulk bar show."""
    session = db_session()
    query = query_string(args)
    listed = listing(args)
    pages = {"first_page_url": url_for("inbox.inbox") + "?" + query if listed["after"] else None,
             "next_page_url": url_for("inbox.inbox") + "?" + _with_cursor(query, listed["next_cursor"])
             if listed["next_cursor"] else None}
    return {**listed, **pages, "views": VIEWS, "chosen": args, "statuses": TICKET_STATUSES, "priorities": PRIORITIES,
            "platforms": PLATFORMS, "filter_topics": tuple(services().settings.scoring.topics) + (NO_TOPIC,),
            "agents": active_agents(session), "saved": _saved_views(), "query": query, "sweep": _sweep(),
            "open_id": open_id, "rows_url": url_for("inbox.rows") + "?" + _with_cursor(query, args.get("cursor"))}


def _with_cursor(query: str, cursor: str | None) -> str:
    return "&".join(part for part in (query, cursor and urlencode({"cursor": cursor})) if part)


def _sweep() -> dict:
    """How many posts of the last day were left without a ticket (spam
    aside), and the mentions stream that lists them."""
    settings = services().settings
    args = left_without_ticket(now() - SWEEP_PERIOD)
    flt = mention_filter(args, topics=(), sources={}, timezone_name=settings.web.timezone)
    return {"count": count_mentions(db_session(), flt), "link": url_for("mentions.stream", **args)}


def _saved_views() -> list[SavedView]:
    return list(db_session().scalars(select(SavedView).where(SavedView.agent_id == signed_in_agent().id)
                                     .order_by(SavedView.name)))


def not_modified(etag: str) -> bool:
    """Whether the client already holds this version (If-None-Match)."""
    return etag in request.if_none_match
