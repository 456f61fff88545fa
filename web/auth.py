"""Signing agents in and out of the pages (the API uses tokens, see web.api)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from listener.assignment import set_presence
from store.accounts import SignInThrottled, sign_in
from store.audit import record_audit
from store.models import Agent
from web.context import db_session, now, services

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"


class SignedInAgent(UserMixin):
    """Flask-Login's view of an Agent loaded in the request's session."""

    def __init__(self, agent: Agent):
        self.agent = agent

    def get_id(self) -> str:
        return str(self.agent.id)

    @property
    def is_active(self) -> bool:
        return self.agent.active


@login_manager.user_loader
def load_agent(user_id: str) -> SignedInAgent | None:
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    agent = db_session().get(Agent, int(user_id))
    return SignedInAgent(agent) if agent is not None and agent.active else None


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


def require_login():
    """A before_request hook for the blueprints of pages."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def signed_in_agent() -> Agent:
    return current_user.agent


def require_admin():
    """A before_request hook for admins' pages: others are refused."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.agent.role != "admin":
        abort(403, description="This page is for admins.")
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("inbox.inbox"))
    if request.method != "POST":
        return render_template("login.html", email="", next_url=next_url)
    email = request.form.get("email", "")
    try:
        agent = sign_in(db_session(), email, request.form.get("password", ""), now(), via="form",
                        address=request.remote_addr)
    except SignInThrottled as refused:
        db_session().commit()
        error = f"Too many failed sign-ins for this email. Try again in {refused.minutes} minute(s)."
        page = render_template("login.html", email=email, next_url=next_url, error=error)
        return page, 429, {"Retry-After": str(refused.retry_after_seconds)}
    db_session().commit()
    if agent is None:
        return render_template("login.html", email=email, next_url=next_url,
                               error="Wrong email or password."), 401
    session.clear()
    session.permanent = True
    login_user(SignedInAgent(agent))
    return redirect(next_url or url_for("inbox.inbox"))


@bp.post("/logout")
def logout():
    """Signing out takes the agent offline, so no new tickets wait on them
    (their unanswered ones go back to the queue when the team's settings
    say so)."""
    if current_user.is_authenticated:
        agent = current_user.agent
        set_presence(db_session(), agent, "offline", now(), services().settings.escalation.offline_hands_back)
        record_audit(db_session(), agent.email, "signed_out", now=now())
        db_session().commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send a freshly signed-in agent elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in target:
        return None
    return path + (f"?{parts.query}" if parts.query else "")

