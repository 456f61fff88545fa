"""The shared inbox: my tickets, the team queue, all open and snoozed
tickets, soonest due first, with filters, saved views, bulk actions and
rows that refresh themselves."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from config.platforms import PLATFORMS
from store.answers import answers_needed_by_ticket
from store.errors import Refused
from store.mentions import count_mentions
from store.models import PRIORITIES, TICKET_STATUSES, SavedView
from store.queries import TicketFilter, active_agents, latest_mentions, list_tickets
from store.views import VIEW_KEYS, delete_view, save_view
from web.access import hidden_teams
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, services
from web.errors import on_refusal
from web.filters import NO_TOPIC, ticket_filter
from web.mention_filters import left_without_ticket, mention_filter

bp = Blueprint("inbox", __name__)
bp.before_request(require_login)
PAGE_SIZE = 200
# The inbox counts the posts of this long ago that were left without a ticket.
SWEEP_PERIOD = timedelta(hours=24)
VIEWS = {"mine": "My tickets", "queue": "Team queue", "all": "All open", "snoozed": "Snoozed"}


@bp.get("/")
def home():
    return redirect(url_for("inbox.inbox"))


@bp.get("/inbox")
def inbox():
    """`view` is mine, queue (unassigned), all (the default) or snoozed."""
    listing = _listing()
    session = db_session()
    page = render_template(
        "inbox.html", **listing, views=VIEWS, chosen=request.args, statuses=TICKET_STATUSES,
        priorities=PRIORITIES, platforms=PLATFORMS, topics=tuple(services().settings.scoring.topics) + (NO_TOPIC,),
        agents=active_agents(session), saved=_saved_views(), query=_query_string(), sweep=_sweep(),
    )
    return page, 400 if listing["error"] else 200


def _sweep() -> dict:
    """How many posts of the last day were left without a ticket (spam
    aside), and the mentions stream that lists them."""
    settings = services().settings
    args = left_without_ticket(now() - SWEEP_PERIOD)
    flt = mention_filter(args, topics=(), sources={}, timezone_name=settings.web.timezone)
    return {"count": count_mentions(db_session(), flt), "link": url_for("mentions.stream", **args)}


@bp.get("/inbox/rows")
def rows():
    """The inbox's rows for the same filters, for the page to refresh itself."""
    listing = _listing()
    html = render_template("_inbox_rows.html", **listing)
    return jsonify(total=listing["total"], ids=[t.id for t in listing["tickets"]], html=html)


def _listing() -> dict:
    view = request.args.get("view") if request.args.get("view") in VIEWS else "all"
    agent = signed_in_agent()
    error = None
    try:
        flt = ticket_filter(request.args, me=agent.id, topics=tuple(services().settings.scoring.topics), now=now())
    except Refused as bad:
        error, flt = bad.message, TicketFilter(now=now())
    flt = replace(_for_view(view, flt, agent.id), hidden_teams=hidden_teams(agent, services().settings))
    session = db_session()
    tickets, total = list_tickets(session, flt, limit=PAGE_SIZE)
    ids = [t.id for t in tickets]
    return {"view": view, "tickets": tickets, "total": total, "error": error,
            "latest": latest_mentions(session, ids), "waiting": answers_needed_by_ticket(session, ids)}


def _for_view(view: str, flt: TicketFilter, me: int) -> TicketFilter:
    if view == "mine":
        return replace(flt, assignee_id=me, unassigned=False)
    if view == "queue":
        return replace(flt, assignee_id=None, unassigned=True)
    if view == "snoozed":
        return replace(flt, snoozed=True)
    return flt


def _query_string() -> str:
    return urlencode([(key, request.args[key]) for key in VIEW_KEYS if request.args.get(key)])


def _saved_views() -> list[SavedView]:
    return list(db_session().scalars(select(SavedView).where(SavedView.agent_id == signed_in_agent().id)
                                     .order_by(SavedView.name)))


def _inbox_with_query() -> str:
    return url_for("inbox.inbox") + "?" + request.form.get("query", "")


@bp.post("/inbox/views")
@on_refusal("{}", back=_inbox_with_query)
def save():
    """Save the filters in `query` under `name` for the signed-in agent."""
    session = db_session()
    view = save_view(session, signed_in_agent(), request.form.get("name", ""), request.form.get("query", ""), now())
    session.commit()
    flash(f"Saved the view {view.name!r}.", "success")
    return redirect(url_for("inbox.inbox") + "?" + view.query)


@bp.post("/inbox/views/<int:view_id>/delete")
def delete(view_id: int):
    session = db_session()
    delete_view(session, signed_in_agent(), view_id)
    session.commit()
    flash("View deleted.", "success")
    return redirect(url_for("inbox.inbox"))
