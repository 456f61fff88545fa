"""Facebook's comment moderation as the emulator answers it: hide or
unhide (`POST /{comment-id}` with is_hidden), like or unlike as the page
(`POST` or `DELETE /{comment-id}/likes`) and delete (`DELETE
/{comment-id}`), each answering {"success": true}. Only comments on the
page's own posts can be moderated: others answer Graph's permissions
error (#200), and the page's own comments cannot be hidden (#100). A
comment's state shows in `GET /{comment-id}` (is_hidden, user_likes) and
in the control listing (`hidden`, `liked`)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from connectors.facebook.emulator import (PAGE_ID, FacebookState, GraphError, GraphVersion, Item,
                                          check_call, fb_state, graph_error, missing_object)

PLATFORM = "facebook"
PERMISSIONS_ERROR = "(#200) Permissions error"

api = Blueprint("facebook_moderation", __name__)
blueprints = (api,)
api.record_once(lambda setup: setup.app.url_map.converters.setdefault("graph_version", GraphVersion))
api.before_request(check_call)
api.register_error_handler(GraphError, graph_error)


def moderated_comment(state: FacebookState, object_id: str, field: str) -> Item:
    """The comment `object_id`, if the page may moderate it."""
    item = state.item(object_id)
    if item is None:
        raise missing_object(object_id)
    if item.kind != "comment":
        node = {"post": "Post", "review": "Recommendation"}[item.kind]
        raise GraphError(400, f"(#100) Tried accessing nonexisting field ({field}) on node type ({node})", 100)
    if not item.root_id.startswith(f"{PAGE_ID}_"):
        raise GraphError(403, PERMISSIONS_ERROR, 200)
    return item


@api.post("/<graph_version:version>/<object_id>")
def update_comment(version: str, object_id: str):
    """Hide or unhide a comment: is_hidden=true|false."""
    value = request.form.get("is_hidden")
    if value not in ("true", "false"):
        raise GraphError(400, "(#100) is_hidden must be true or false", 100)
    state = fb_state()
    with state.lock:
        item = moderated_comment(state, object_id, "is_hidden")
        if item.author.id == PAGE_ID:
            raise GraphError(400, "(#100) A comment the page wrote cannot be hidden", 100)
        if value == "true":
            state.hidden.add(item.id)
        else:
            state.hidden.discard(item.id)
    return jsonify({"success": True})


@api.route("/<graph_version:version>/<object_id>/likes", methods=["POST", "DELETE"])
def likes(version: str, object_id: str):
    """Like (POST) or unlike (DELETE) a comment as the page."""
    state = fb_state()
    with state.lock:
        item = moderated_comment(state, object_id, "likes")
        if request.method == "POST":
            state.liked.add(item.id)
        else:
            state.liked.discard(item.id)
    return jsonify({"success": True})


@api.delete("/<graph_version:version>/<object_id>")
def delete_comment(version: str, object_id: str):
    state = fb_state()
    with state.lock:
        item = moderated_comment(state, object_id, "delete")
        state.delete(item.id)
    return jsonify({"success": True})
