"""X API v2 direct messages as the X connector uses them: sending one to a
user, the brand's DM events and those of one conversation; plus control
endpoints under /_emulator/x/ for a customer to message the brand and to
list every message.

Like X, sending and reading need user context (OAuth 1.0a), events come
newest first, and a user who does not accept the brand's messages makes a
send fail with 403 and X's reason."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from connectors.emulator.app import control_error, iso_time, json_body
from connectors.x.emulator import (
    APP_ONLY_FORBIDDEN,
    TWEET_FIELDS,
    USER_FIELDS,
    DirectMessage,
    InvalidRequest,
    XState,
    add_rate_limit_headers,
    check_call,
    MEDIA_FIELDS,
    check_params,
    customer_writes,
    invalid_request,
    listed,
    make_token,
    media_of,
    numeric_id,
    page_token,
    problem,
    render_media,
    render_user,
    whole_number,
    x_state,
)

PLATFORM = "x"
MAX_MESSAGE_LENGTH = 10000
EVENT_FIELDS = frozenset({"attachments", "created_at", "dm_conversation_id", "event_type", "id",
                          "participant_ids", "referenced_tweets", "sender_id", "text"})
EVENT_EXPANSIONS = frozenset({"attachments.media_keys", "participant_ids", "referenced_tweets.id", "sender_id"})
EVENT_TYPES = frozenset({"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"})
EVENTS_PARAMS = frozenset({"dm_event.fields", "event_types", "expansions", "max_results", "media.fields",
                           "pagination_token", "tweet.fields", "user.fields"})
REFUSED = "You cannot send messages to this user."

api = Blueprint("x_messages_api", __name__, url_prefix="/2")
control = Blueprint("x_messages_control", __name__, url_prefix="/_emulator/x")
blueprints = (api, control)
api.before_request(check_call)
api.after_request(add_rate_limit_headers)
api.register_error_handler(InvalidRequest, invalid_request)


@api.before_request
def user_context_missing():
    """X's answer to a direct-message call made with an app-only token, else
    None (every call here needs user context)."""
    if not request.headers.get("Authorization", "").startswith("OAuth "):
        return problem(403, "Unsupported Authentication", APP_ONLY_FORBIDDEN)
    return None


def render_event(message: DirectMessage, fields: set[str]) -> dict:
    out = {"id": message.id, "event_type": "MessageCreate", "text": message.text}
    if "created_at" in fields:
        out["created_at"] = iso_time(message.created_at)
    if "dm_conversation_id" in fields:
        out["dm_conversation_id"] = message.conversation_id
    if "sender_id" in fields:
        out["sender_id"] = message.sender_id
    if message.media and "attachments" in fields:
        out["attachments"] = {"media_keys": [item["media_key"] for item in message.media]}
    return out


def events_page(state: XState, candidates: list[DirectMessage]) -> dict:
    """One page of `candidates` (newest first), answered as X's DM lookups do."""
    check_params(EVENTS_PARAMS)
    fields = listed("dm_event.fields", EVENT_FIELDS)
    expansions = listed("expansions", EVENT_EXPANSIONS)
    user_fields = listed("user.fields", USER_FIELDS)
    listed("tweet.fields", TWEET_FIELDS)
    types = listed("event_types", EVENT_TYPES)
    size = whole_number("max_results", 1, 100, 100)
    below = page_token("pagination_token")
    selected = [m for m in candidates
                if (below is None or int(m.id) < below) and (not types or "MessageCreate" in types)]
    page = selected[:size]
    if not page:
        return {"meta": {"result_count": 0}}
    if "attachments.media_keys" in expansions:
        fields = fields | {"attachments"}
    body: dict = {"data": [render_event(m, fields) for m in page]}
    if "sender_id" in expansions:
        senders = dict.fromkeys(m.sender_id for m in page)
        body["includes"] = {"users": [render_user(state, state.user(uid), user_fields) for uid in senders]}
    if "attachments.media_keys" in expansions and any(m.media for m in page):
        media_fields = listed("media.fields", MEDIA_FIELDS)
        body.setdefault("includes", {})["media"] = [render_media(item, media_fields)
                                                    for m in page for item in m.media]
    meta: dict = {"result_count": len(page)}
    if len(selected) > size:
        meta["next_token"] = make_token(page[-1].id)
    body["meta"] = meta
    return body


@api.post("/dm_conversations/with/<participant_id>/messages")
def send_direct_message(participant_id: str):
    """The brand messages a user, in their one-to-one conversation."""
    numeric_id("participant_id", participant_id)
    body = json_body()
    if body is None:
        raise InvalidRequest("The request body must be a JSON object")
    for name in body:
        if name not in ("text", "attachments"):
            raise InvalidRequest(f"The field [{name}] is not one of [attachments,text]", name, str(body[name]))
    if "attachments" in body:
        raise InvalidRequest("Attachments are not emulated; send text", "attachments", str(body["attachments"]))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("The `text` field must be a non-empty string", "text", str(text))
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidRequest(f"The text of a direct message can be at most {MAX_MESSAGE_LENGTH} characters; "
                             f"this one has {len(text)}", "text", text[:100])
    state = x_state()
    with state.lock:
        recipient = state.user(participant_id)
        if recipient is None:
            raise InvalidRequest(f"The `participant_id` [{participant_id}] is not a user", "participant_id",
                                 participant_id)
        if recipient.id == state.brand.id:
            raise InvalidRequest("You cannot send a direct message to yourself", "participant_id", participant_id)
        if not recipient.accepts_messages:
            return problem(403, "Forbidden", REFUSED)
        message = state.add_message(state.brand, recipient, text)
    return jsonify({"data": {"dm_conversation_id": message.conversation_id, "dm_event_id": message.id}}), 201


@api.get("/dm_events")
def direct_message_events():
    """The brand's messages, sent and received, newest first."""
    state = x_state()
    with state.lock:
        return jsonify(events_page(state, state.messages_oldest_first()[::-1]))


@api.get("/dm_conversations/with/<participant_id>/dm_events")
def conversation_events(participant_id: str):
    """The messages between the brand and one user, newest first."""
    numeric_id("participant_id", participant_id)
    state = x_state()
    with state.lock:
        between = {participant_id, state.brand.id}
        candidates = [m for m in state.messages_oldest_first()[::-1] if {m.sender_id, m.recipient_id} == between]
        return jsonify(events_page(state, candidates))


def message_json(state: XState, message: DirectMessage) -> dict:
    def person(user_id: str) -> dict:
        user = state.user(user_id)
        return {"id": user.id, "handle": user.handle, "name": user.name}

    return {"id": message.id, "conversation_id": message.conversation_id, "text": message.text,
            "sender": person(message.sender_id), "recipient": person(message.recipient_id),
            "created_at": iso_time(message.created_at), "by_brand": message.sender_id == state.brand.id}


@control.post("/direct_messages")
def add_direct_message():
    """A customer's direct message to the brand."""
    state = x_state()
    body, customer, text = customer_writes(state)
    if len(text) > MAX_MESSAGE_LENGTH:
        return control_error(f"text can have at most {MAX_MESSAGE_LENGTH} characters")
    media = media_of(body)
    if isinstance(media, str):
        return control_error(media)
    with state.lock:
        message = state.add_message(state.user_for(**customer), state.brand, text, media)
    return jsonify({"id": message.id, "conversation_id": message.conversation_id}), 201


@control.get("/direct_messages")
def list_direct_messages():
    state = x_state()
    with state.lock:
        return jsonify({"direct_messages": [message_json(state, m) for m in state.messages_oldest_first()]})
