"""Instagram's comment moderation as the emulator answers it, under
/instagram like the rest of its Graph part: hide or unhide (`POST
/{ig-comment-id}` with hide=true|false) and delete (`DELETE
/{ig-comment-id}`), each answering {"success": true}. Only comments on
the account's own media can be moderated (others answer Graph's
permissions error, #200), and the account's own comments cannot be
hidden (#100). A hidden comment shows `hidden: true` in Graph and in the
control listing."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from connectors.facebook.emulator import GraphError, GraphVersion, check_call, graph_error
from connectors.instagram.emulator import IG_USER_ID, PREFIX, Comment, InstagramState, ig_state, missing

PLATFORM = "instagram"
PERMISSIONS_ERROR = "(#200) Permissions error"

api = Blueprint("instagram_moderation", __name__, url_prefix=PREFIX)
blueprints = (api,)
api.record_once(lambda setup: setup.app.url_map.converters.setdefault("graph_version", GraphVersion))
api.before_request(lambda: check_call(PLATFORM))
api.register_error_handler(GraphError, graph_error)


def moderated_comment(state: InstagramState, object_id: str) -> Comment:
    """The comment `object_id`, if the account may moderate it."""
    comment = state.comments.get(object_id)
    if comment is None:
        raise missing(object_id)
    media = state.media.get(comment.media_id)
    if media is None or media.owner.id != IG_USER_ID:
        raise GraphError(403, PERMISSIONS_ERROR, 200)
    return comment


@api.post("/<graph_version:version>/<object_id>")
def hide_comment(version: str, object_id: str):
    value = request.form.get("hide")
    if value not in ("true", "false"):
        raise GraphError(400, "(#100) hide must be true or false", 100)
    state = ig_state()
    with state.lock:
        comment = moderated_comment(state, object_id)
        if comment.author.id == IG_USER_ID:
            raise GraphError(400, "(#100) A comment the account wrote cannot be hidden", 100)
        if value == "true":
            state.hidden.add(comment.id)
        else:
            state.hidden.discard(comment.id)
    return jsonify({"success": True})


@api.delete("/<graph_version:version>/<object_id>")
def delete_comment(version: str, object_id: str):
    """Deletes the comment and the replies under it."""
    state = ig_state()
    with state.lock:
        comment = moderated_comment(state, object_id)
        for gone in [*state.replies(comment.id), comment]:
            del state.comments[gone.id]
            state.hidden.discard(gone.id)
    return jsonify({"success": True})
