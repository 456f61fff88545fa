"""The shared inbox: open tickets, soonest due first."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, redirect, render_template, request, url_for

from config.settings import PLATFORMS
from store.models import PRIORITIES, TICKET_STATUSES
from store.queries import TicketFilter, active_agents, latest_mentions, list_tickets
from web.auth import require_login, signed_in_agent
from web.context import db_session
from web.filters import BadFilter, ticket_filter

bp = Blueprint("inbox", __name__)
bp.before_request(require_login)
PAGE_SIZE = 200


@bp.get("/")
def home():
    return redirect(url_for("inbox.inbox"))


@bp.get("/inbox")
def inbox():
    """`view=mine` shows the signed-in agent's tickets, `view=all` (the default) everyone's."""
    view = "mine" if request.args.get("view") == "mine" else "all"
    agent = signed_in_agent()
    error = None
    try:
        flt = ticket_filter(request.args, me=agent.id)
    except BadFilter as bad:
        error, flt = bad.message, TicketFilter()
    if view == "mine":
        flt = replace(flt, assignee_id=agent.id, unassigned=False)
    session = db_session()
    tickets, total = list_tickets(session, flt, limit=PAGE_SIZE)
    page = render_template(
        "inbox.html",
        view=view,
        tickets=tickets,
        total=total,
        latest=latest_mentions(session, [t.id for t in tickets]),
        error=error,
        chosen=request.args,
        statuses=TICKET_STATUSES,
        priorities=PRIORITIES,
        platforms=PLATFORMS,
        agents=active_agents(session),
    )
    return page, 400 if error else 200
