"""Canned responses, as a page and under /api/v1/canned-responses: every
agent uses them; managers and admins write them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import delete

from store.canned import MAX_BODY, all_canned, save_canned
from store.models import Agent, CannedResponse
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now
from web.errors import on_refusal
from web.serialize import iso

bp = Blueprint("canned", __name__)
bp.before_request(require_login)
api_bp = Blueprint("canned_api", __name__, url_prefix="/api/v1/canned-responses")
api_bp.before_request(authenticate_token)

WRITERS = ("manager", "admin")


@bp.get("/canned")
def index():
    return render_template("canned.html", canned=all_canned(db_session()), body_limit=MAX_BODY,
                           can_write=signed_in_agent().role in WRITERS)


@bp.post("/canned")
@on_refusal("Not saved: {}.", back="canned.index")
def create():
    return _save(None)


@bp.post("/canned/<int:canned_id>")
@on_refusal("Not saved: {}.", back="canned.index")
def update(canned_id: int):
    return _save(_canned_or_404(canned_id))


@bp.post("/canned/<int:canned_id>/delete")
def remove(canned_id: int):
    _writer(signed_in_agent())
    session = db_session()
    session.execute(delete(CannedResponse).where(CannedResponse.id == _canned_or_404(canned_id).id))
    session.commit()
    flash("Canned response deleted.", "success")
    return redirect(url_for("canned.index"))


def _save(canned: CannedResponse | None):
    agent = _writer(signed_in_agent())
    session = db_session()
    saved = save_canned(session, title=request.form.get("title", ""), body=request.form.get("body", ""),
                        actor=agent.email, now=now(), canned=canned)
    session.commit()
    flash(f"Saved {saved.title!r}.", "success")
    return redirect(url_for("canned.index"))


@api_bp.get("")
def api_list():
    return jsonify(canned_responses=[canned_json(c) for c in all_canned(db_session())])


@api_bp.post("")
def api_create():
    """Body {title, body}."""
    return _api_save(None, 201)


@api_bp.patch("/<int:canned_id>")
def api_update(canned_id: int):
    """Body {title, body}."""
    return _api_save(_canned_or_404(canned_id), 200)


@api_bp.delete("/<int:canned_id>")
def api_delete(canned_id: int):
    _writer(token_agent())
    session = db_session()
    session.execute(delete(CannedResponse).where(CannedResponse.id == _canned_or_404(canned_id).id))
    session.commit()
    return "", 204


def _api_save(canned: CannedResponse | None, status: int):
    agent = _writer(token_agent())
    body = json_object()
    if not isinstance(body.get("title"), str) or not isinstance(body.get("body"), str):
        abort(400, description="send {'title': text, 'body': text}")
    session = db_session()
    saved = save_canned(session, title=body["title"], body=body["body"], actor=agent.email, now=now(), canned=canned)
    session.commit()
    return jsonify(canned_json(saved)), status


def canned_json(canned: CannedResponse) -> dict:
    return {"id": canned.id, "title": canned.title, "body": canned.body, "created_by": canned.created_by,
            "updated_at": iso(canned.updated_at)}


def _writer(agent: Agent) -> Agent:
    if agent.role not in WRITERS:
        abort(403, description="canned responses are written by managers and admins")
    return agent


def _canned_or_404(canned_id: int) -> CannedResponse:
    return db_session().get(CannedResponse, canned_id) or abort(
        404, description=f"canned response {canned_id} does not exist")
