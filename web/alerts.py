"""The signed-in agent's alerts: at risk, breached, escalated. The alerts of
one kind that came within a minute read, and count, as one."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import select, update

from store.alerts import count_as_read, grouped
from store.models import Alert
from web.auth import require_login, signed_in_agent
from web.context import db_session, now

bp = Blueprint("alerts", __name__)
bp.before_request(require_login)


@bp.get("/alerts")
def alerts():
    agent = signed_in_agent()
    listed = db_session().scalars(
        select(Alert).where(Alert.channel == "web", Alert.agent_id == agent.id)
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(100)).all()
    return render_template("alerts.html", groups=grouped(listed, now()))


@bp.post("/alerts/read")
def mark_read():
    session = db_session()
    session.execute(update(Alert).where(Alert.channel == "web", Alert.agent_id == signed_in_agent().id,
                                        Alert.read_at.is_(None)).values(read_at=now()))
    session.commit()
    return redirect(url_for("alerts.alerts"))


def unread_count(agent_id: int) -> int:
    return count_as_read(db_session().execute(
        select(Alert.id, Alert.kind, Alert.ticket_id, Alert.created_at)
        .where(Alert.channel == "web", Alert.agent_id == agent_id, Alert.read_at.is_(None))))
