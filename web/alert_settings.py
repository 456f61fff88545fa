"""Who gets which alerts, set in the web: each person sets their own in
/account/alerts; an admin sets anyone's, and each role's default, in
/admin/alerts. Parsing and storing live in store.alert_preferences."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from store.alert_preferences import (
    PERSON_CHANNELS,
    forget_preferences,
    parse_preferences,
    preferences_for,
    role_defaults,
    save_preferences,
)
from store.audit import record_audit
from store.models import ALERT_KINDS, ALERT_SCOPES, ROLES, Agent
from web.auth import require_admin, require_login, signed_in_agent
from web.context import db_session, now
from web.errors import on_refusal

bp = Blueprint("alert_settings", __name__)
bp.before_request(require_login)
admin_bp = Blueprint("alert_settings_admin", __name__, url_prefix="/admin/alerts")
admin_bp.before_request(require_admin)

KIND_LABELS = {"at_risk": "At risk", "breached": "Breached", "escalated": "Escalated to me",
               "reopened": "Reopened", "spike": "Spikes"}
CHANNEL_LABELS = {"web": "In the app", "email": "Email", "slack": "Slack (direct message)"}
SCOPE_LABELS = {"all": "All the tickets I am alerted about", "team": "My team's tickets",
                "mine": "Only tickets assigned to me"}
# What quiet hours do, said once on every page that sets them and in the docs.
QUIET_HOURS_HELP = ("In quiet hours, email and Slack alerts wait and arrive as one message when the quiet hours end "
                    "(in the app they show as usual); breaches and escalations still reach managers and admins at "
                    "once, because a missed response-time target needs someone to act now.")
SOURCE_LABELS = {"own": "their own choice", "role": "the role's default", "default": "closeloop's default"}


def _choices() -> dict:
    return dict(kinds=ALERT_KINDS, kind_labels=KIND_LABELS, channels=PERSON_CHANNELS, channel_labels=CHANNEL_LABELS,
                scopes=ALERT_SCOPES, scope_labels=SCOPE_LABELS, zones=sorted(available_timezones()),
                source_labels=SOURCE_LABELS, quiet_hours_help=QUIET_HOURS_HELP)


@bp.get("/account/alerts")
def mine():
    agent = signed_in_agent()
    return render_template("alert_settings.html", agent=agent, preferences=_of(agent),
                           action=url_for("alert_settings.save_mine"), reset=url_for("alert_settings.reset_mine"),
                           **_choices())


@bp.post("/account/alerts")
@on_refusal("Not saved: {}.", back="alert_settings.mine")
def save_mine():
    agent = signed_in_agent()
    save_preferences(db_session(), parse_preferences(request.form), now(), agent=agent)
    db_session().commit()
    flash("Your alert settings are saved.", "success")
    return redirect(url_for("alert_settings.mine"))


@bp.post("/account/alerts/reset")
def reset_mine():
    forget_preferences(db_session(), signed_in_agent())
    db_session().commit()
    flash("You now get your role's default alerts.", "success")
    return redirect(url_for("alert_settings.mine"))


@admin_bp.get("")
def overview():
    session = db_session()
    people = session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name)).all()
    return render_template("admin_alerts.html", defaults=role_defaults(session), people=people,
                           chosen=preferences_for(session, people), **_choices())


@admin_bp.post("/roles/<role>")
@on_refusal("Not saved: {}.", back="alert_settings_admin.overview")
def save_role(role: str):
    if role not in ROLES:
        abort(404, description=f"There is no role {role!r}.")
    session = db_session()
    save_preferences(session, parse_preferences(request.form, person=False), now(), role=role)
    record_audit(session, signed_in_agent().email, "alert_defaults_changed", role, now=now())
    session.commit()
    flash(f"The default alerts of every {role} who has not chosen their own are saved.", "success")
    return redirect(url_for("alert_settings_admin.overview"))


@admin_bp.get("/people/<int:agent_id>")
def person(agent_id: int):
    agent = _agent_or_404(agent_id)
    return render_template("alert_settings.html", agent=agent, preferences=_of(agent), for_admin=True,
                           action=url_for("alert_settings_admin.save_person", agent_id=agent.id),
                           reset=url_for("alert_settings_admin.reset_person", agent_id=agent.id), **_choices())


@admin_bp.post("/people/<int:agent_id>")
@on_refusal("Not saved: {}.", back=lambda agent_id: url_for("alert_settings_admin.person", agent_id=agent_id))
def save_person(agent_id: int):
    agent = _agent_or_404(agent_id)
    session = db_session()
    save_preferences(session, parse_preferences(request.form), now(), agent=agent)
    record_audit(session, signed_in_agent().email, "alert_settings_changed", agent.email, now=now())
    session.commit()
    flash(f"{agent.name}'s alert settings are saved.", "success")
    return redirect(url_for("alert_settings_admin.person", agent_id=agent.id))


@admin_bp.post("/people/<int:agent_id>/reset")
def reset_person(agent_id: int):
    agent = _agent_or_404(agent_id)
    session = db_session()
    if forget_preferences(session, agent):
        record_audit(session, signed_in_agent().email, "alert_settings_reset", agent.email, now=now())
    session.commit()
    flash(f"{agent.name} now gets the {agent.role} role's default alerts.", "success")
    return redirect(url_for("alert_settings_admin.person", agent_id=agent.id))


def _of(agent: Agent):
    return preferences_for(db_session(), [agent])[agent.id]


def _agent_or_404(agent_id: int) -> Agent:
    agent = db_session().get(Agent, agent_id)
    if agent is None:
        abort(404, description=f"There is nobody with id {agent_id}.")
    return agent
