"""X API v2 hidden replies as the X connector uses them: `PUT
/2/tweets/:id/hidden` with {"hidden": true|false}, answering
{"data": {"hidden": ...}}. Like X it needs user context (OAuth 1.0a),
and only a reply in a conversation the brand started can be hidden: any
other post answers 403. Hidden replies show as `hidden` in the control
listing of posts."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from connectors.emulator.app import json_body
from connectors.x.emulator import (APP_ONLY_FORBIDDEN, NOT_FOUND, NUMERIC_ID, InvalidRequest, add_rate_limit_headers,
                                   check_call, invalid_request, problem, x_state)

PLATFORM = "x"
NOT_YOURS = "You cannot hide or unhide replies to a conversation you do not own."

api = Blueprint("x_moderation_api", __name__, url_prefix="/2")
blueprints = (api,)
api.before_request(check_call)
api.after_request(add_rate_limit_headers)
api.register_error_handler(InvalidRequest, invalid_request)


@api.put("/tweets/<tweet_id>/hidden")
def hide_reply(tweet_id: str):
    if not request.headers.get("Authorization", "").startswith("OAuth "):
        return problem(403, "Unsupported Authentication", APP_ONLY_FORBIDDEN)
    if not NUMERIC_ID.match(tweet_id):
        raise InvalidRequest("The `id` path parameter value must be a post id", "id", tweet_id)
    body = json_body()
    hidden = body.get("hidden") if isinstance(body, dict) else None
    if not isinstance(hidden, bool):
        raise InvalidRequest("The `hidden` field must be true or false", "hidden", str(hidden))
    state = x_state()
    with state.lock:
        tweet = state.tweet(tweet_id)
        if tweet is None:
            body = {"title": "Not Found Error", "detail": f"Could not find tweet with id: [{tweet_id}].",
                    "type": NOT_FOUND, "status": 404}
            return jsonify(body), 404
        root = state.tweet(tweet.conversation_id)
        if tweet.in_reply_to is None or root is None or root.author_id != state.brand.id \
                or tweet.author_id == state.brand.id:
            return problem(403, "Forbidden", NOT_YOURS)
        if hidden:
            state.hidden.add(tweet.id)
        else:
            state.hidden.discard(tweet.id)
    return jsonify({"data": {"hidden": hidden}})
