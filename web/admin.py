"""Admins' pages and API for the people who use closeloop (store.users) and
for pausing sources. Sources themselves come from the config file, and no
credential is ever shown here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from config.platforms import PLATFORMS
from listener.assignment import hand_back
from store.audit import record_audit
from store.models import ROLES, Agent, Source, Ticket
from store.queries import all_sources
from store.users import (
    EDITABLE,
    Invitation,
    all_users,
    invite_user,
    last_sign_ins,
    update_user,
)
from web.access import hidden_teams
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_admin, signed_in_agent
from web.context import db_session, now, services
from web.errors import on_refusal
from web.serialize import iso

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)
api_bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
api_bp.before_request(authenticate_token)

DEFAULT_CAPACITY = 10
FORM_FIELDS = ("role", "team", "capacity", "languages")


@api_bp.before_request
def admins_only() -> None:
    if token_agent().role != "admin":
        abort(403, description="this is for admins")


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
@on_refusal("Nobody was invited: {}.", back="admin.users")
def invite():
    """The new password is in this answer only: never in the session cookie, nor stored readable."""
    form = request.form
    session = db_session()
    invitation = invite_user(session, name=form.get("name"), email=form.get("email"), role=form.get("role"),
                             team=form.get("team"), capacity=_whole_number(form.get("capacity", "")),
                             teams=_teams(), by=signed_in_agent(), now=now())
    session.commit()
    return _users_page(invitation), 201


NOTHING_CHANGED = "Nothing was changed: {}."


@bp.post("/users/<int:agent_id>")
@on_refusal(NOTHING_CHANGED, back="admin.users")
def edit(agent_id: int):
    """Fields left out of the form stay as they are; no platform ticked means all platforms."""
    form = request.form
    changes: dict[str, Any] = {field: form[field] for field in FORM_FIELDS if field in form}
    if "capacity" in changes:
        changes["capacity"] = _whole_number(changes["capacity"])
    if "languages" in changes:
        changes["languages"] = [code for code in changes["languages"].split(",") if code.strip()]
    changes["platforms"] = form.getlist("platforms")
    return _page_change(agent_id, changes, "Saved {name}.")


@bp.post("/users/<int:agent_id>/deactivate")
@on_refusal(NOTHING_CHANGED, back="admin.users")
def deactivate(agent_id: int):
    return _page_change(agent_id, {"active": False},
                        "{name} is deactivated: they can no longer sign in or use their API tokens.")


@bp.post("/users/<int:agent_id>/reactivate")
@on_refusal(NOTHING_CHANGED, back="admin.users")
def reactivate(agent_id: int):
    return _page_change(agent_id, {"active": True}, "{name} is active again.")


@bp.get("/sources")
def sources():
    return render_template("admin_sources.html", sources=all_sources(db_session()))


@bp.post("/sources/<int:source_id>/pause")
def pause(source_id: int):
    source = _set_paused(source_id, True, signed_in_agent())
    flash(f"{source.name} is paused: it is not polled until it is resumed.", "success")
    return redirect(url_for("admin.sources"))


@bp.post("/sources/<int:source_id>/resume")
def resume(source_id: int):
    source = _set_paused(source_id, False, signed_in_agent())
    flash(f"{source.name} is resumed.", "success")
    return redirect(url_for("admin.sources"))


@api_bp.get("/users")
def api_users():
    session = db_session()
    people = all_users(session)
    signed_in = last_sign_ins(session, people)
    return jsonify(users=[user_json(agent, signed_in.get(agent.email)) for agent in people])


@api_bp.post("/users")
def api_invite():
    """Body {name, email, role, team, capacity}; the answer holds the only copy of the password."""
    body = json_object()
    session = db_session()
    invitation = invite_user(session, name=body.get("name"), email=body.get("email"),
                             role=body.get("role", "agent"), team=body.get("team", _teams()[0]),
                             capacity=body.get("capacity", DEFAULT_CAPACITY), teams=_teams(), by=token_agent(),
                             now=now())
    session.commit()
    return jsonify(user=user_json(invitation.agent, None), password=invitation.password), 201


@api_bp.patch("/users/<int:agent_id>")
def api_edit(agent_id: int):
    """Body with any of role, team, capacity, platforms, languages, active."""
    body = json_object()
    if not body or not set(body) <= set(EDITABLE):
        abort(400, description=f"send a JSON object with any of {', '.join(EDITABLE)}")
    agent = _agent_or_404(agent_id)
    handed_back = _change_user(agent, body, token_agent())
    signed_in = last_sign_ins(db_session(), [agent]).get(agent.email)
    return jsonify(user=user_json(agent, signed_in), handed_back=[t.id for t in handed_back])


@api_bp.get("/sources")
def api_sources():
    return jsonify(sources=[source_json(s) for s in all_sources(db_session())])


@api_bp.post("/sources/<int:source_id>/pause")
def api_pause(source_id: int):
    return jsonify(source=source_json(_set_paused(source_id, True, token_agent())))


@api_bp.post("/sources/<int:source_id>/resume")
def api_resume(source_id: int):
    return jsonify(source=source_json(_set_paused(source_id, False, token_agent())))


def user_json(agent: Agent, last_signed_in_at: datetime | None) -> dict[str, Any]:
    return {"id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role, "team": agent.team,
            "capacity": agent.capacity, "platforms": list(agent.platforms or []),
            "languages": list(agent.languages or []), "presence": agent.presence, "active": agent.active,
            "created_at": iso(agent.created_at), "last_signed_in_at": iso(last_signed_in_at)}


def source_json(source: Source) -> dict[str, Any]:
    """Everything but the account whose credentials it polls with."""
    return {"id": source.id, "name": source.name, "platform": source.platform, "kind": source.kind,
            "target": source.target, "query": source.query, "status": source.status, "enabled": source.enabled,
            "last_polled_at": iso(source.last_polled_at), "next_poll_at": iso(source.next_poll_at),
            "last_error": source.last_error, "paused_at": iso(source.paused_at), "paused_by": source.paused_by}


def _users_page(invitation: Invitation | None = None) -> str:
    session = db_session()
    people = all_users(session)
    return render_template("admin_users.html", users=people, signed_in=last_sign_ins(session, people),
                           me=signed_in_agent(), teams=_teams(), roles=ROLES, platforms=PLATFORMS,
                           invitation=invitation, default_capacity=DEFAULT_CAPACITY)


def _page_change(agent_id: int, changes: dict[str, Any], done: str) -> Response:
    agent = _agent_or_404(agent_id)
    handed_back = _change_user(agent, changes, signed_in_agent())
    flash(done.format(name=agent.name), "success")
    if handed_back:
        flash(f"{len(handed_back)} open ticket(s) went back to the queue.", "info")
    return redirect(url_for("admin.users"))


def _change_user(agent: Agent, changes: dict[str, Any], by: Agent) -> list[Ticket]:
    """Apply and commit an admin's changes; a deactivated agent's open
    tickets go back to the queue, and so do those of private teams an agent
    moved to another team (or role) may no longer see. The answer is those
    tickets."""
    session = db_session()
    at = now()
    changed = update_user(session, agent, changes, teams=_teams(), by=by, now=at)
    hidden = hidden_teams(agent, services().settings)
    if changed.get("active") == [True, False]:
        handed_back = hand_back(session, agent, at, every_open=True)
    elif {"team", "role"} & set(changed) and hidden:
        handed_back = hand_back(session, agent, at, every_open=True, of_teams=hidden)
    else:
        handed_back = []
    if handed_back:
        record_audit(session, by.email, "tickets_handed_back", agent.email, now=at,
                     tickets=[t.id for t in handed_back])
    session.commit()
    return handed_back


def _set_paused(source_id: int, paused: bool, by: Agent) -> Source:
    """Pause or resume a source; doing it twice changes nothing. A resumed
    source is listened to again from now: what was posted while it was
    paused was nobody's to answer yet."""
    session = db_session()
    source = session.get(Source, source_id) or abort(404, description=f"source {source_id} does not exist")
    if (source.paused_at is not None) != paused:
        at = now()
        source.paused_at, source.paused_by = (at, by.email) if paused else (None, None)
        if not paused:
            source.listening_since = at
        record_audit(session, by.email, "source_paused" if paused else "source_resumed", source.name, now=at)
        session.commit()
    return source


def _agent_or_404(agent_id: int) -> Agent:
    return db_session().get(Agent, agent_id) or abort(404, description=f"user {agent_id} does not exist")


def _teams() -> tuple[str, ...]:
    return tuple(services().settings.teams)


def _whole_number(text: str) -> int | str:
    """A form's digits as a number; anything else as it is, for the check to refuse by name."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text
