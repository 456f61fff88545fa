"""Incidents, as pages and under /api/v1/incidents. Everyone signed in can
see them, with the linked tickets they may see; managers and admins open
them, link tickets, send the fix's update and retry the updates that failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from config.clock import parse_utc
from responder.broadcast import broadcast_fix, broadcast_replies, retry_failed_updates
from responder.channels import ReplyChannel
from store.errors import Refused
from store.incidents import link_tickets, open_incident, summarize
from store.models import INCIDENT_STATUSES, Agent, Incident, Ticket
from web.access import visible
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, reply_channel_of, services
from web.errors import on_refusal
from web.formatting import local_moment
from web.serialize import iso

bp = Blueprint("incidents", __name__)
bp.before_request(require_login)
api_bp = Blueprint("incidents_api", __name__, url_prefix="/api/v1/incidents")
api_bp.before_request(authenticate_token)

MANAGER_ROLES = ("manager", "admin")
MAX_LINKED_AT_ONCE = 500


@bp.get("/incidents")
def index():
    incidents = db_session().scalars(select(Incident).order_by(Incident.status, Incident.opened_at.desc())).all()
    agent = signed_in_agent()
    return render_template("incidents.html", incidents=[(i, summarize(_linked(i, agent))) for i in incidents],
                           can_manage=signed_in_agent().role in MANAGER_ROLES)


@bp.post("/incidents")
@on_refusal("{}", back="incidents.index")
def create():
    agent = _manager(signed_in_agent())
    form = request.form
    incident = open_incident(db_session(), title=form.get("title", ""), topic=form.get("topic"),
                             keywords=form.get("keywords", "").split(","), since=_since(form.get("since")),
                             actor=agent.email, now=now())
    db_session().commit()
    flash(f"Incident opened with {len(incident.tickets)} matching ticket(s).", "success")
    return redirect(url_for("incidents.show", incident_id=incident.id))


@bp.get("/incidents/<int:incident_id>")
def show(incident_id: int):
    incident = _incident_or_404(incident_id)
    linked = _linked(incident, signed_in_agent())
    channels = [reply_channel_of(t) for t in linked]
    # The update must fit the tightest channel; X's 280 until a linked ticket says otherwise.
    tightest = min((c for c in channels if c.can_reply), key=lambda c: (c.limit, not c.weighs_characters),
                   default=ReplyChannel.of("x"))
    return render_template("incident.html", incident=incident, tickets=linked, summary=summarize(linked),
                           updates=broadcast_replies(incident), channel=tightest,
                           can_manage=signed_in_agent().role in MANAGER_ROLES)


@bp.post("/incidents/<int:incident_id>/tickets")
@on_refusal("{}", back="incidents.show")
def link(incident_id: int):
    ids = [part.strip().lstrip("#") for part in request.form.get("tickets", "").replace(" ", ",").split(",")]
    if not all(part.isdigit() for part in ids if part):
        raise Refused("list ticket numbers separated by commas, such as 12, 15", 400)
    return _on_page(incident_id, lambda incident, agent: _link(incident, [int(p) for p in ids if p], agent),
                    "{} ticket(s) linked.")


@bp.post("/incidents/<int:incident_id>/fix")
@on_refusal("{}", back="incidents.show")
def fix(incident_id: int):
    agent = _manager(signed_in_agent())
    report = broadcast_fix(db_session(), _incident_or_404(incident_id), request.form.get("message", ""),
                           agent.email, services().settings, now(), agent.name)
    db_session().commit()
    said = f"Update queued for {len(report.queued)} customer(s); {len(report.resolved)} linked ticket(s) resolved."
    if report.left_open:
        said += (" Left open, with other posts waiting for an answer: "
                 + ", ".join(f"#{ticket_id}" for ticket_id in report.left_open) + ".")
    flash(said, "success")
    return redirect(url_for("incidents.show", incident_id=incident_id))


@bp.post("/incidents/<int:incident_id>/retry")
@on_refusal("{}", back="incidents.show")
def retry(incident_id: int):
    return _on_page(incident_id, lambda incident, agent: retry_failed_updates(db_session(), incident, now()),
                    "Retrying the update for {} customer(s).")


def _on_page(incident_id: int, change, done: str):
    agent = _manager(signed_in_agent())
    changed = change(_incident_or_404(incident_id), agent)
    db_session().commit()
    flash(done.format(len(changed)), "success")
    return redirect(url_for("incidents.show", incident_id=incident_id))


@api_bp.get("")
def api_list():
    """All incidents, newest first; `status` open or fixed filters."""
    status = request.args.get("status")
    query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
    if status:
        if status not in INCIDENT_STATUSES:
            abort(400, description=f"'status' must be one of {', '.join(INCIDENT_STATUSES)}")
        query = query.where(Incident.status == status)
    return jsonify(incidents=[incident_json(i, token_agent()) for i in db_session().scalars(query)])


@api_bp.post("")
def api_create():
    """Body {title, topic?, keywords?: [..], since?: ISO 8601}."""
    agent = _manager(token_agent())
    body = json_object()
    keywords = body.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        abort(400, description="'keywords' must be a list of strings")
    if not isinstance(body.get("title", ""), str) or not isinstance(body.get("topic") or "", str):
        abort(400, description="'title' and 'topic' must be strings")
    since = body.get("since")
    if since is not None and parse_utc(since) is None:
        abort(400, description="'since' must be an ISO 8601 date-time with its offset, such as 2026-01-05T14:00:00Z")
    incident = _api_change(lambda: open_incident(
        db_session(), title=body.get("title", ""), topic=body.get("topic"), keywords=keywords,
        since=parse_utc(since) if since else None, actor=agent.email, now=now()))
    return jsonify(incident_json(incident, agent, detail=True)), 201


@api_bp.get("/<int:incident_id>")
def api_show(incident_id: int):
    return jsonify(incident_json(_incident_or_404(incident_id), token_agent(), detail=True))


@api_bp.post("/<int:incident_id>/tickets")
def api_link(incident_id: int):
    """Body {tickets: [ids]}."""
    agent = _manager(token_agent())
    ids = json_object().get("tickets")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        abort(400, description="send {'tickets': [ticket ids]}")
    incident = _incident_or_404(incident_id)
    linked = _api_change(lambda: _link(incident, ids, agent))
    return jsonify(linked=[t.id for t in linked], incident=incident_json(incident, agent))


@api_bp.post("/<int:incident_id>/fix")
def api_fix(incident_id: int):
    """Body {message}: the update every linked customer gets."""
    agent = _manager(token_agent())
    message = json_object().get("message")
    if not isinstance(message, str):
        abort(400, description="send {'message': the update for the customers}")
    incident = _incident_or_404(incident_id)
    report = _api_change(lambda: broadcast_fix(db_session(), incident, message, agent.email, services().settings,
                                               now(), agent.name))
    return jsonify(queued=report.queued, resolved=report.resolved,
                   unreachable=[{"ticket_id": t, "why": why} for t, why in report.unreachable.items()],
                   left_open=[{"ticket_id": t, "waiting": posts} for t, posts in report.left_open.items()],
                   incident=incident_json(incident, agent))


@api_bp.post("/<int:incident_id>/retry")
def api_retry(incident_id: int):
    """Queue again the updates that failed, and only those."""
    _manager(token_agent())
    incident = _incident_or_404(incident_id)
    return jsonify(retried=_api_change(lambda: retry_failed_updates(db_session(), incident, now())))


def incident_json(incident: Incident, reader: Agent, detail: bool = False) -> dict[str, Any]:
    linked = _linked(incident, reader)
    summary = summarize(linked)
    out = {
        "id": incident.id, "title": incident.title, "status": incident.status, "topic": incident.topic,
        "keywords": incident.keywords, "since": iso(incident.since), "opened_by": incident.opened_by,
        "opened_at": iso(incident.opened_at), "fixed_at": iso(incident.fixed_at), "fixed_by": incident.fixed_by,
        "update_message": incident.update_message, "linked_tickets": summary.tickets,
        "open_tickets": summary.open_tickets, "customers": summary.customers, "platforms": summary.platforms,
    }
    if detail:
        updates = broadcast_replies(incident)
        out["tickets"] = [{
            "id": t.id, "status": t.status, "platform": t.platform, "customer_id": t.customer_id,
            "customer": t.customer.display_name,
            "update": None if t.id not in updates else {
                "reply_id": updates[t.id].id, "status": updates[t.id].status, "url": updates[t.id].url,
                "last_error": updates[t.id].last_error},
        } for t in linked]
    return out


def _linked(incident: Incident, reader: Agent) -> list[Ticket]:
    return visible(reader, incident.tickets, services().settings)


def _link(incident: Incident, ticket_ids: list[int], agent: Agent) -> list[Ticket]:
    if len(ticket_ids) > MAX_LINKED_AT_ONCE:
        raise Refused(f"link at most {MAX_LINKED_AT_ONCE} tickets at once")
    session = db_session()
    tickets = session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).all()
    missing = sorted(set(ticket_ids) - {t.id for t in tickets})
    if missing:
        raise Refused(f"there is no ticket {missing[0]}")
    return link_tickets(session, incident, list(tickets), agent.email, now(), why=f"linked by {agent.name}")


def _api_change(change):
    result = change()
    db_session().commit()
    return result


def _manager(agent: Agent) -> Agent:
    if agent.role not in MANAGER_ROLES:
        abort(403, description="incidents are opened, linked and fixed by managers and admins")
    return agent


def _incident_or_404(incident_id: int) -> Incident:
    return db_session().get(Incident, incident_id) or abort(404, description=f"incident {incident_id} does not exist")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    return local_moment(value, services().settings.web.timezone)
