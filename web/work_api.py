"""The inbox's working actions in the JSON API: bulk actions, snoozing,
marking no response needed, topics, retrying a failed reply, the caller's
alerts, and saved views."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select, update

from config.clock import parse_utc
from responder.outbox import retry_reply
from store import tickets
from store.alerts import AlertGroup, grouped
from store.models import Alert, Reply, SavedView, Ticket
from store.views import delete_view, save_view
from web.access import can_see
from web.api import authenticate_token, force_flag, json_object, token_agent
from web.bulk import BULK_ACTIONS, apply_bulk
from web.context import db_session, now, services
from web.serialize import iso, reply_json, ticket_json

bp = Blueprint("work_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_token)


@bp.post("/tickets/bulk")
def bulk():
    """Body {tickets: [ids], action, agent?, priority?, reason?, force?};
    answers with the tickets done and those refused, each with why (a
    ticket whose posts still need an answer is resolved only with force)."""
    body = json_object()
    ids, action = body.get("tickets"), body.get("action")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        abort(400, description="send 'tickets' as a list of ticket ids")
    if action not in BULK_ACTIONS:
        abort(400, description=f"'action' must be one of {', '.join(BULK_ACTIONS)}")
    agent_id, priority, reason = body.get("agent"), body.get("priority"), body.get("reason", "")
    if agent_id is not None and (not isinstance(agent_id, int) or isinstance(agent_id, bool)):
        abort(400, description="'agent' must be an agent id")
    if not isinstance(priority, (str, type(None))) or not isinstance(reason, str):
        abort(400, description="'priority' and 'reason' must be text")
    session = db_session()
    outcome = apply_bulk(session, ids, action, token_agent(), now(), services().settings, agent_id=agent_id,
                         priority=priority, reason=reason, force=force_flag(body))
    session.commit()
    return jsonify(done=outcome.done, refused=[{"ticket_id": t, "why": why} for t, why in outcome.refused.items()])


@bp.post("/tickets/<int:ticket_id>/snooze")
def snooze(ticket_id: int):
    """Body {until: ISO 8601 date-time with offset, or null to wake it}."""
    until = json_object().get("until")
    moment = parse_utc(until) if until is not None else None
    if until is not None and moment is None:
        abort(400, description="'until' must be an ISO 8601 date-time with its offset, or null")
    return _apply(ticket_id, lambda session, ticket, at: tickets.snooze(
        session, ticket, moment, token_agent().email, at))


@bp.post("/tickets/<int:ticket_id>/no-response-needed")
def no_response_needed(ticket_id: int):
    return _apply(ticket_id, lambda session, ticket, at: tickets.no_response_needed(
        session, ticket, token_agent(), at))


@bp.post("/tickets/<int:ticket_id>/topic")
def change_topic(ticket_id: int):
    """Body {topic}: one of the scoring topics, or "" for none."""
    topic = json_object().get("topic")
    if not isinstance(topic, str):
        abort(400, description="send {'topic': a scoring topic, or '' for none}")
    return _apply(ticket_id, lambda session, ticket, at: tickets.change_topic(
        session, ticket, topic, tuple(services().settings.scoring.topics), token_agent(), at))


@bp.post("/replies/<int:reply_id>/retry")
def retry(reply_id: int):
    """Queue a failed reply again; 409 when it has not failed."""
    session = db_session()
    reply = session.get(Reply, reply_id)
    if reply is None or not can_see(token_agent(), reply.ticket, services().settings):
        abort(404, description=f"reply {reply_id} does not exist")
    retry_reply(session, reply, token_agent(), now(),
                timedelta(hours=services().settings.followups.answer_window_hours))
    session.commit()
    return jsonify(reply_json(reply))


@bp.get("/alerts")
def alerts():
    """The caller's alerts in the web channel, newest first, grouped as the
    app shows them: the alerts of one kind within a minute are one item
    listing its tickets. `unread=1` for the unread ones only."""
    query = select(Alert).where(Alert.channel == "web", Alert.agent_id == token_agent().id)
    if request.args.get("unread") in ("1", "true"):
        query = query.where(Alert.read_at.is_(None))
    found = db_session().scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(100)).all()
    return jsonify(alerts=[alert_group_json(group) for group in grouped(found, now())])


def alert_group_json(group: AlertGroup) -> dict:
    """One item as the app shows it; `alerts` lists the alerts it gathers."""
    first = group.first
    return {"id": first.id, "kind": first.kind, "subject": group.heading,
            "body": first.body if len(group.alerts) == 1 else "\n".join(a.subject for a in group.alerts),
            "link": first.link if len(group.alerts) == 1 else None,
            "ticket_ids": list(dict.fromkeys(a.ticket_id for a in group.alerts if a.ticket_id is not None)),
            "created_at": iso(first.created_at), "unread": group.unread,
            "alerts": [{"id": a.id, "ticket_id": a.ticket_id, "subject": a.subject, "link": a.link,
                        "created_at": iso(a.created_at), "read_at": iso(a.read_at)} for a in group.alerts]}


@bp.post("/alerts/read")
def mark_alerts_read():
    """Mark all the caller's alerts as read; answers how many were unread."""
    session = db_session()
    marked = session.execute(update(Alert).where(Alert.channel == "web", Alert.agent_id == token_agent().id,
                                                 Alert.read_at.is_(None)).values(read_at=now())).rowcount
    session.commit()
    return jsonify(marked=marked)


@bp.post("/tickets/<int:ticket_id>/notes")
def note(ticket_id: int):
    """Body {text}: an internal note, never posted to the customer."""
    text = json_object().get("text")
    if not isinstance(text, str):
        abort(400, description="send {'text': the note}")
    return _apply(ticket_id, lambda session, ticket, at: tickets.add_note(
        session, ticket, text, token_agent().email, at))


@bp.get("/views")
def views():
    found = db_session().scalars(select(SavedView).where(SavedView.agent_id == token_agent().id)
                                 .order_by(SavedView.name))
    return jsonify(views=[_view_json(v) for v in found])


@bp.post("/views")
def create_view():
    """Body {name, query}: query is the inbox's query string."""
    body = json_object()
    if not isinstance(body.get("name"), str) or not isinstance(body.get("query", ""), str):
        abort(400, description="send {'name': text, 'query': the inbox's query string}")
    session = db_session()
    view = save_view(session, token_agent(), body["name"], body.get("query", ""), now())
    session.commit()
    return jsonify(_view_json(view)), 201


@bp.delete("/views/<int:view_id>")
def remove_view(view_id: int):
    session = db_session()
    if not delete_view(session, token_agent(), view_id):
        abort(404, description=f"view {view_id} does not exist")
    session.commit()
    return "", 204


def _view_json(view: SavedView) -> dict:
    return {"id": view.id, "name": view.name, "query": view.query, "created_at": iso(view.created_at)}


def _apply(ticket_id: int, change):
    session = db_session()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not can_see(token_agent(), ticket, services().settings):
        abort(404, description=f"ticket {ticket_id} does not exist")
    change(session, ticket, now())
    session.commit()
    return jsonify(ticket_json(ticket, now()))
