"""The mentions stream, as a page and under /api/v1/mentions: every inbound
post, ticketed or not, newest first, with its scores and reasons, whether
it needs a response as a person or else the scorer decided, and the one
action that takes a post the scorer let pass into a ticket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from config.platforms import PLATFORMS
from listener.sentiment_model import LABELS
from listener.taking import take_into_ticket
from store.corrections import NeedsResponse, needs_response_of
from store.errors import Refused
from store.mentions import MentionFilter, list_mentions, visible_mention
from store.models import Agent, Mention, Ticket
from store.queries import all_sources
from web.access import hidden_teams
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, services
from web.errors import on_refusal
from web.filters import MAX_ID, NO_TOPIC
from web.formatting import first_line, local_time
from web.mention_filters import FIELD_TIME, cursor_of, limit_of, mention_filter, position_of
from web.serialize import iso, mention_json, needs_response_json, ticket_json

bp = Blueprint("mentions", __name__)
bp.before_request(require_login)
api_bp = Blueprint("mentions_api", __name__, url_prefix="/api/v1/mentions")
api_bp.before_request(authenticate_token)

FILTER_KEYS = ("platform", "source", "sentiment", "needs_response", "topic", "has_ticket", "spam", "q", "since",
               "until", "limit")


@bp.get("/mentions")
def stream():
    agent = signed_in_agent()
    sources = _sources()
    flt, error = MentionFilter(), None
    try:
        flt, mentions, next_cursor = _page(agent, sources)
    except Refused as bad:
        error, mentions, next_cursor = bad.message, [], None
    settings = services().settings
    chosen = {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}
    page = render_template(
        "mentions.html", mentions=mentions, needs_response=needs_response_of(db_session(), mentions), error=error,
        chosen=chosen, platforms=PLATFORMS,
        sources=sorted(sources), sentiments=LABELS, topics=tuple(settings.scoring.topics) + (NO_TOPIC,),
        since=local_time(flt.since, FIELD_TIME), until=local_time(flt.until, FIELD_TIME),
        older=url_for("mentions.stream", **chosen, cursor=next_cursor) if next_cursor else None,
        newest=url_for("mentions.stream", **chosen) if request.args.get("cursor") else None)
    return page, 400 if error else 200


def _back_to_stream() -> str:
    back = request.form.get("back", "")
    return back if back.startswith("/mentions") and not back.startswith("//") else url_for("mentions.stream")


@bp.post("/mentions/ticket")
@on_refusal("Not taken into a ticket: {}.", back=_back_to_stream)
def take():
    """The form's `mention` into a ticket, with the optional `reason`."""
    mention_id = request.form.get("mention", "")
    if not (mention_id.isascii() and mention_id.isdigit()) or int(mention_id) > MAX_ID:
        raise Refused("choose a post", 400)
    ticket, raised, mention = _take(int(mention_id), signed_in_agent(), request.form.get("reason", ""))
    which = f"{mention.identity.name or mention.identity.handle}'s post \u201c{first_line(mention.text, 60)}\u201d"
    flash(f"Raised ticket #{ticket.id} for {which}." if raised
          else f"Added {which} to the customer's open ticket #{ticket.id}.", "success")
    return redirect(_back_to_stream())


@api_bp.get("")
def listing():
    """Newest first; `next_cursor` fetches the next page."""
    _, mentions, next_cursor = _page(token_agent(), _sources())
    decisions = needs_response_of(db_session(), mentions)
    return jsonify(mentions=[_stream_mention_json(m, decisions[m.id]) for m in mentions], next_cursor=next_cursor)


@api_bp.post("/<int:mention_id>/ticket")
def ticket(mention_id: int):
    """Body {"reason": "..."}, or none. 201 when a ticket was raised, 200
    when the post joined the customer's open ticket; 409 naming the ticket
    when the post is on one already."""
    body = json_object() if request.get_data() else {}
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        abort(400, description="send 'reason' as text, or no body")
    found, raised, _ = _take(mention_id, token_agent(), reason)
    return jsonify(ticket=ticket_json(found, now()), raised=raised, mention_id=mention_id), 201 if raised else 200


def _page(agent: Agent, sources: dict[str, int]) -> tuple[MentionFilter, list[Mention], str | None]:
    settings = services().settings
    flt = mention_filter(request.args, topics=tuple(settings.scoring.topics), sources=sources,
                         timezone_name=settings.web.timezone)
    flt = replace(flt, hidden_teams=hidden_teams(agent, settings))
    mentions, position = list_mentions(db_session(), flt, limit=limit_of(request.args), after=position_of(request.args))
    return flt, mentions, cursor_of(position)


def _take(mention_id: int, agent: Agent, reason: str) -> tuple[Ticket, bool, Mention]:
    """Take the post, locked until the transaction ends, when the agent may
    see it: its ticket, whether it was raised for it, and the post."""
    session, in_force = db_session(), services().live.now
    hidden = hidden_teams(agent, in_force.settings)
    mention = visible_mention(session, mention_id, hidden, for_update=True)
    if mention is None:
        raise Refused(f"post {mention_id} does not exist", 404)
    ticket, raised = take_into_ticket(session, in_force.intake, mention, agent, reason, now(), hidden)
    session.commit()
    return ticket, raised, mention


def _sources() -> dict[str, int]:
    return {source.name: source.id for source in all_sources(db_session())}


def _stream_mention_json(mention: Mention, decision: NeedsResponse) -> dict[str, Any]:
    ticket = mention.ticket
    return {**mention_json(mention), **needs_response_json(decision), "received_at": iso(mention.received_at),
            "source": mention.source.name if mention.source else None,
            "ticket": {"id": ticket.id, "status": ticket.status} if ticket else None}
