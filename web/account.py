"""The signed-in agent's own account: their presence, their password, and
their API tokens, created (shown once) and revoked."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from listener.assignment import set_presence
from store.accounts import change_password, issue_token, revoke_token, tokens_of
from web.auth import require_login, safe_next, signed_in_agent
from web.context import db_session, now, services, token_lifetime
from web.errors import on_refusal

bp = Blueprint("account", __name__)
bp.before_request(require_login)


@bp.get("/account")
def show():
    return _page()


PRESENCE_SAID = {"online": "You are online: new tickets come to you.",
                 "away": "You are away: no new tickets come to you.",
                 "offline": "You are offline: no new tickets come to you."}


@bp.post("/account/presence")
@on_refusal("Not changed: {}.", back="account.show")
def presence():
    """Only agents online are given tickets; going offline may hand the
    unanswered ones back to the team queue."""
    handed_back = set_presence(db_session(), signed_in_agent(), request.form.get("presence", ""), now(),
                               services().settings.escalation.offline_hands_back)
    db_session().commit()
    said = PRESENCE_SAID[signed_in_agent().presence]
    if handed_back:
        said += f" {len(handed_back)} unanswered ticket(s) went back to the team queue."
    flash(said, "success")
    return redirect(safe_next(request.form.get("next")) or url_for("inbox.inbox"))


@bp.post("/account/tokens")
def create_token():
    """The new token is in this response only: it is stored hashed and never put in the session cookie."""
    token = issue_token(db_session(), signed_in_agent(), now(), token_lifetime())
    db_session().commit()
    return _page(new_token=token), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    if revoke_token(db_session(), token_id, signed_in_agent(), now()) is None:
        abort(404, description=f"There is no token {token_id} of yours.")
    db_session().commit()
    flash(f"Token {token_id} is revoked: it no longer works.", "success")
    return redirect(url_for("account.show"))


@bp.post("/account/password")
@on_refusal("Not changed: {}.", back="account.show")
def password():
    form = request.form
    if form.get("new_password", "") != form.get("repeat_password", ""):
        flash("Not changed: the two new passwords differ.", "error")
        return redirect(url_for("account.show"))
    change_password(db_session(), signed_in_agent(), form.get("current_password", ""), form.get("new_password", ""),
                    now())
    db_session().commit()
    flash("Your password is changed.", "success")
    return redirect(url_for("account.show"))


def _page(new_token: str | None = None) -> str:
    agent = signed_in_agent()
    return render_template("account.html", agent=agent, tokens=tokens_of(db_session(), agent), new_token=new_token,
                           now=now())
