"""Response-time targets and routing rules, edited by admins in the web
(/admin/settings and /api/v1/admin/settings). They are validated over the
config file's settings, stored in the database and taken up by every
process (this one at once, see web/settings_check.py for the others);
anything else is set in the config file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from config.errors import ConfigError
from config.settings import PRIORITIES, Settings
from store.models import Agent
from store.overrides import save_overrides, stored_overrides
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, services

bp = Blueprint("admin_settings", __name__)
bp.before_request(require_login)
api_bp = Blueprint("admin_settings_api", __name__, url_prefix="/api/v1/admin/settings")
api_bp.before_request(authenticate_token)

TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
ROUTING_DAYS = ("previous_agent_days", "repeat_complaint_days", "recent_breach_days")


@bp.get("/admin/settings")
def show():
    _admin(signed_in_agent())
    return render_template("admin_settings.html", settings=services().settings, priorities=PRIORITIES,
                           targets=TARGETS, routing_days=ROUTING_DAYS,
                           changed_in_web=sorted(services().live.overrides))


@bp.post("/admin/settings")
def update():
    agent = _admin(signed_in_agent())
    form = request.form
    changes = {
        "sla": {**{target: {p: form.get(f"{target}.{p}", "") for p in PRIORITIES} for target in TARGETS},
                "at_risk_share": form.get("at_risk_share", "")},
        "routing": {**{name: form.get(name, "") for name in ROUTING_DAYS},
                    "senior_priorities": form.getlist("senior_priorities"),
                    "senior_tiers": [t.strip() for t in form.get("senior_tiers", "").split(",") if t.strip()]},
    }
    try:
        _save(changes, agent)
    except ConfigError as error:
        db_session().rollback()
        flash("Nothing was changed: " + "; ".join(line.strip() for line in str(error).splitlines()[1:]), "error")
        return redirect(url_for("admin_settings.show"))
    flash("Saved: new tickets and checks use these now.", "success")
    return redirect(url_for("admin_settings.show"))


@api_bp.get("")
def api_show():
    _admin(token_agent())
    return jsonify(_settings_json(services().settings))


@api_bp.put("")
def api_update():
    """Body with `sla` and/or `routing`, in the config file's shape; the parts
    not given keep their values."""
    agent = _admin(token_agent())
    body = json_object()
    changes = {key: body[key] for key in ("sla", "routing") if key in body}
    if not changes or set(body) - set(changes) or not all(isinstance(v, dict) for v in changes.values()):
        abort(400, description="send {'sla': {...}, 'routing': {...}} (either or both, as objects)")
    current = stored_overrides(db_session())
    merged = {key: {**current.get(key, {}), **value} for key, value in changes.items()}
    try:
        settings = _save(merged, agent)
    except ConfigError as error:
        db_session().rollback()
        abort(422, description="; ".join(line.strip() for line in str(error).splitlines()[1:]))
    return jsonify(_settings_json(settings))


def _save(changes: dict[str, Any], agent: Agent) -> Settings:
    """Store the changes and put them in force in this process at once."""
    live = services().live
    overrides = save_overrides(db_session(), live.base, changes, agent.email, now())
    db_session().commit()
    return live.change(overrides=overrides).settings


def _settings_json(settings: Settings) -> dict[str, Any]:
    return {"sla": settings.sla.model_dump(mode="json", exclude={"policies", "check_seconds"}),
            "routing": settings.routing.model_dump(mode="json")}


def _admin(agent: Agent) -> Agent:
    if agent.role != "admin":
        abort(403, description="this is for admins")
    return agent
