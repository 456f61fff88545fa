"""Moderation of comments under the brand's own posts: the buttons and the
state shown beside each such comment on the ticket page, the same actions
in the JSON API, and /admin/moderation, the log of what was hidden, liked
or deleted (by people and by the rule), with an undo."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from responder.moderation import request_moderation, undo
from store.models import MODERATION_ACTIONS, Agent, Mention, ModerationAction
from store.moderation import CommentModeration, moderation_log, moderation_of, moderation_of_many
from web.access import can_see
from web.api import authenticate_token, json_object, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, services
from web.errors import on_refusal
from web.moderation_panel import LABELS
from web.serialize import iso

bp = Blueprint("moderation", __name__)
bp.before_request(require_login)
api_bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1")
api_bp.before_request(authenticate_token)

QUEUED = {"hide": "Hiding", "unhide": "Unhiding", "like": "Liking", "unlike": "Unliking", "delete": "Deleting"}


def _mention_or_404(mention_id: int, agent: Agent) -> Mention:
    mention = db_session().get(Mention, mention_id)
    if mention is None or (mention.ticket is not None and not can_see(agent, mention.ticket, services().settings)):
        abort(404, description=f"Post {mention_id} does not exist.")
    return mention


def _back_to_the_post(mention_id: int) -> str:
    mention = db_session().get(Mention, mention_id)
    if mention is not None and mention.ticket_id is not None:
        return url_for("tickets.show", ticket_id=mention.ticket_id, _anchor=f"post-{mention_id}")
    return url_for("moderation.log")


@bp.post("/mentions/<int:mention_id>/moderation")
@on_refusal("Nothing was done: {}.", back=_back_to_the_post)
def moderate(mention_id: int):
    """Form fields: moderate (the action; a field named "action" would
    hide the form's own action from scripts), reason, confirm (for a
    delete)."""
    agent = signed_in_agent()
    mention = _mention_or_404(mention_id, agent)
    action = request.form.get("moderate", "")
    session = db_session()
    request_moderation(session, services().settings, mention, action, agent, request.form.get("reason", ""), now(),
                       confirmed=request.form.get("confirm") == "yes")
    session.commit()
    flash(f"{QUEUED.get(action, action)} the comment on {mention.platform.capitalize()}: it is sent in a moment.",
          "success")
    return redirect(_back_to_the_post(mention_id))


@bp.post("/moderation/<int:action_id>/undo")
@on_refusal("Nothing was undone: {}.", back="moderation.log")
def undo_action(action_id: int):
    agent = signed_in_agent()
    session = db_session()
    done = session.get(ModerationAction, action_id)
    if done is None:
        abort(404, description=f"Moderation action {action_id} does not exist.")
    _mention_or_404(done.mention_id, agent)
    taken_back = undo(session, services().settings, action_id, agent, request.form.get("reason", ""), now())
    session.commit()
    flash(f"{QUEUED[taken_back.action]} the comment again: it is sent in a moment.", "success")
    return redirect(url_for("moderation.log") if request.form.get("from") == "log"
                    else _back_to_the_post(done.mention_id))


@bp.get("/admin/moderation")
def log():
    """What was moderated, newest first; `rule=1` shows the rule's alone."""
    agent = signed_in_agent()
    settings = services().settings
    if not settings.moderation.allows(agent.role, "hide"):
        abort(403, description="The moderation log is for those who may hide comments "
                               f"({settings.moderation.hide_role} or above).")
    by_rule = request.args.get("rule") == "1"
    rows = [row for row in moderation_log(db_session(), by_rule=by_rule)
            if row.mention.ticket is None or can_see(agent, row.mention.ticket, settings)]
    in_force = moderation_of_many(db_session(), list({row.mention_id: row.mention for row in rows}.values()))
    undoable = {row.id for row in rows if row in (in_force[row.mention_id].hidden, in_force[row.mention_id].liked)}
    return render_template("admin_moderation.html", rows=rows, undoable=undoable, by_rule=by_rule,
                           labels=LABELS, rule=settings.moderation)


@api_bp.get("/mentions/<int:mention_id>/moderation")
def api_state(mention_id: int):
    """The comment's moderation in force and every action on it."""
    mention = _mention_or_404(mention_id, token_agent())
    return jsonify(_state_json(mention, moderation_of(db_session(), mention)))


@api_bp.post("/mentions/<int:mention_id>/moderation")
def api_moderate(mention_id: int):
    """Body {action, reason?, confirm? (true for a delete)}; 202 with the
    queued action, sent by the moderation outbox."""
    body = json_object()
    action, reason, confirm = body.get("action"), body.get("reason", ""), body.get("confirm", False)
    if action not in MODERATION_ACTIONS:
        abort(400, description=f"'action' must be one of {', '.join(MODERATION_ACTIONS)}")
    if not isinstance(reason, str) or not isinstance(confirm, bool):
        abort(400, description="'reason' must be text and 'confirm' true or false")
    agent = token_agent()
    mention = _mention_or_404(mention_id, agent)
    session = db_session()
    queued = request_moderation(session, services().settings, mention, action, agent, reason, now(),
                                confirmed=confirm)
    session.commit()
    return jsonify(action_json(queued)), 202


def action_json(row: ModerationAction) -> dict:
    return {"id": row.id, "mention_id": row.mention_id, "action": row.action, "requested_by": row.requested_by,
            "reason": row.reason, "status": row.status, "attempts": row.attempts, "undoes": row.undoes_id,
            "last_error": row.last_error, "created_at": iso(row.created_at), "done_at": iso(row.done_at)}


def _state_json(mention: Mention, state: CommentModeration) -> dict:
    return {"mention_id": mention.id, "hidden": state.hidden is not None, "liked": state.liked is not None,
            "deleted": state.deleted is not None, "actions": [action_json(a) for a in state.actions]}
