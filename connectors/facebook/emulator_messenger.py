"""The Messenger Platform as the Facebook and Instagram connectors use it:
a page's conversations (`/{page-id}/conversations?platform=...`), their
messages (`/{conversation-id}/messages`) and sending
(`POST /{page-id}/messages` with `recipient`, `message`, `messaging_type`
and `tag`); plus control endpoints under /_emulator/<platform>/ for a
customer to write to the brand, to list every message and to send signed
`messaging` webhook deliveries.

Like Meta it refuses a standard message sent more than 24 hours after the
customer's last message (code 10, subcode 2018278), and a HUMAN_AGENT
message more than 7 days after it. `messaging_part` builds the part for
one platform; this module mounts Messenger's beside the Facebook part."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Callable
from urllib.parse import urlencode

import requests
from flask import Blueprint, current_app, jsonify, render_template_string, request

from connectors.emulator.app import control_error, iso_time, json_body, post_page, utc_now
from connectors.facebook.emulator import (PAGE_ID, GraphError, Person, check_call, created_time, fb_state,
                                          graph_error, graph_time, read_cursor, whole_number)

PLATFORM = "facebook"
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
OUTSIDE_WINDOW = ("(#10) This message is sent outside of allowed window. Learn more about the new policy here: "
                  "https://developers.facebook.com/docs/messenger-platform/policy-overview")
NO_USER = "(#100) No matching user found"
DEFAULT_APP_SECRET = "emulator-app-secret"
DELIVERY_TIMEOUT_SECONDS = 5
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
ATTACHMENT_TYPES = ("image", "video")
MESSAGE_FIELDS = ("id", "message", "from", "to", "created_time", "attachments")
CONVERSATION_FIELDS = ("id", "updated_time", "link", "message_count", "participants")


@dataclass(frozen=True)
class Message:
    id: str
    seq: int
    customer: Person
    by_brand: bool
    text: str
    created_at: datetime
    attachments: tuple[tuple[str, str], ...] = ()


class Conversations:
    """Each customer's one conversation with the brand; hold `lock`."""

    def __init__(self, prefix: str):
        self.lock = threading.RLock()
        self.prefix = prefix
        self._seq = itertools.count(1)
        self._messages: list[Message] = []
        # Whether the app was granted the messaging permission (pages_messaging,
        # instagram_manage_messages); without it Graph refuses conversations.
        self.permitted = True

    def add(self, customer: Person, by_brand: bool, text: str, created_at: datetime | None = None,
            attachments: tuple[tuple[str, str], ...] = ()) -> Message:
        with self.lock:
            seq = next(self._seq)
            message = Message(f"m_{self.prefix}{seq:08d}", seq, customer, by_brand, text, created_at or utc_now(),
                              attachments)
            self._messages.append(message)
            return message

    def all(self) -> list[Message]:
        with self.lock:
            return sorted(self._messages, key=lambda m: (m.created_at, m.seq))

    def of(self, customer_id: str) -> list[Message]:
        return [m for m in self.all() if m.customer.id == customer_id]

    def conversation_id(self, customer_id: str) -> str:
        return f"t_{self.prefix}{customer_id}"

    def customer_of(self, conversation_id: str) -> str | None:
        start = f"t_{self.prefix}"
        if not conversation_id.startswith(start):
            return None
        customer_id = conversation_id[len(start):]
        return customer_id if self.of(customer_id) else None

    def customers(self) -> list[str]:
        """Customer ids, the most recently updated conversation first."""
        last = {}
        for message in self.all():
            last[message.customer.id] = message
        return [c for c, _ in sorted(last.items(), key=lambda kv: (kv[1].created_at, kv[1].seq), reverse=True)]


@dataclass(frozen=True)
class Brand:
    """Who the brand is in one platform's messages."""

    platform: str
    messaging_platform: str
    # The brand's id in messages (the page, or the Instagram account).
    id: str
    name: str
    username: str
    max_length: int
    human_agent: bool
    # The person with this name or id, created when new: shared with the
    # platform's comments, so one customer has one id in both.
    person: Callable[[str | None, str | None], Person]


def messaging_part(brand: Callable[[], Brand], name: str, prefix: str = "") -> tuple[Blueprint, Blueprint]:
    """The API and control blueprints of one platform's messages, its API
    under `prefix`; `brand` is read at each call (the emulator's state)."""
    api = Blueprint(f"{name}_messaging_api", __name__, url_prefix=prefix or None)
    control = Blueprint(f"{name}_messaging_control", __name__, url_prefix=f"/_emulator/{name}")
    api.before_request(partial(check_call, name))
    api.register_error_handler(GraphError, graph_error)

    def store() -> Conversations:
        return current_app.extensions.setdefault(f"{name}_conversations", Conversations(name[:2]))

    def message_json(message: Message, fields: list[str]) -> dict:
        me = brand()
        own = {"id": me.id, "name": me.name, **({"username": me.username} if me.username else {})}
        customer = _person_json(message.customer, me)
        sender, recipient = (own, customer) if message.by_brand else (customer, own)
        full = {"id": message.id, "message": message.text, "from": sender, "to": {"data": [recipient]},
                "created_time": graph_time(message.created_at)}
        if message.attachments:
            full["attachments"] = {"data": [_attachment_json(kind, url, n)
                                            for n, (kind, url) in enumerate(message.attachments)]}
        return {key: full[key] for key in fields if key in full}

    @api.get("/<graph_version:version>/<page_id>/conversations")
    def conversations(version: str, page_id: str):
        me = brand()
        _expect_page(page_id)
        if not store().permitted:
            permission = "instagram_manage_messages" if me.messaging_platform == "instagram" else "pages_messaging"
            raise GraphError(403, f"(#200) Requires {permission} permission to manage the object", 200)
        asked = request.args.get("platform", "messenger")
        if asked not in ("messenger", "instagram"):
            raise GraphError(400, "(#100) platform must be one of the following values: messenger, instagram", 100)
        fields = _fields(CONVERSATION_FIELDS, ("id", "updated_time"))
        conversations = store()
        with conversations.lock:
            customers = conversations.customers() if asked == me.messaging_platform else []
            user_id = request.args.get("user_id")
            if user_id is not None:
                customers = [c for c in customers if c == user_id]
            rows = []
            for customer_id in customers:
                messages = conversations.of(customer_id)
                full = {"id": conversations.conversation_id(customer_id),
                        "updated_time": graph_time(messages[-1].created_at), "message_count": len(messages),
                        "participants": {"data": [_person_json(messages[-1].customer, me),
                                                  {"id": me.id, "name": me.name}]}}
                rows.append(({key: full[key] for key in fields if key in full}, messages[-1]))
        return jsonify(_page(rows))

    @api.get("/<graph_version:version>/<conversation_id>/messages")
    def messages(version: str, conversation_id: str):
        conversations = store()
        customer_id = conversations.customer_of(conversation_id)
        if customer_id is None:
            raise GraphError(400, f"Unsupported get request. Object with ID '{conversation_id}' does not exist, "
                                  "cannot be loaded due to missing permissions, or does not support this operation",
                             100, kind="GraphMethodException", subcode=33)
        fields = _fields(MESSAGE_FIELDS, ("id", "created_time"))
        found = list(reversed(conversations.of(customer_id)))
        return jsonify(_page([(message_json(m, fields), m) for m in found]))

    @api.post("/<graph_version:version>/<page_id>/messages")
    def send(version: str, page_id: str):
        me = brand()
        _expect_page(page_id)
        recipient, message = _json_param("recipient"), _json_param("message")
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            raise GraphError(400, "(#100) param message must contain text or an attachment", 100)
        if len(text) > me.max_length:
            raise GraphError(400, f"(#100) Length of param message[text] must be less than or equal to "
                                  f"{me.max_length}", 100)
        conversations = store()
        with conversations.lock:
            earlier = [m for m in conversations.of(str(recipient.get("id"))) if not m.by_brand]
            if not earlier:
                raise GraphError(400, NO_USER, 100, subcode=2018001)
            window = STANDARD_WINDOW
            kind, tag = request.form.get("messaging_type", "RESPONSE"), request.form.get("tag")
            if kind == "MESSAGE_TAG":
                if tag != "HUMAN_AGENT" or not me.human_agent:
                    raise GraphError(400, "(#100) Tag is not supported or the app lacks the permission for it",
                                     100, subcode=2018065)
                window = HUMAN_AGENT_WINDOW
            if utc_now() - earlier[-1].created_at > window:
                raise GraphError(400, OUTSIDE_WINDOW, 10, subcode=2018278)
            sent = conversations.add(earlier[-1].customer, True, text)
        return jsonify({"recipient_id": sent.customer.id, "message_id": sent.id})

    @control.post("/messages")
    def customer_writes():
        """A customer's message to the brand: author {id and/or name or
        username}, text, optional attachments [{type, url}] and created_time."""
        body = json_body()
        if body is None:
            return control_error("the body must be a JSON object")
        author = body.get("author")
        if not isinstance(author, dict):
            return control_error("author must be an object with a name or username, and optionally an id")
        author_id, label = author.get("id"), author.get("username") or author.get("name")
        if author_id is not None and (not isinstance(author_id, str) or not re.fullmatch(r"[0-9]{1,20}", author_id)):
            return control_error("author.id must be a string of 1 to 20 digits")
        if author_id is None and (not isinstance(label, str) or not label.strip()):
            return control_error("author needs a name, a username or an id")
        text = body.get("text", "")
        attachments = body.get("attachments", [])
        if not isinstance(text, str) or not isinstance(attachments, list):
            return control_error("text must be a string and attachments a list")
        pairs = []
        for item in attachments:
            if (not isinstance(item, dict) or item.get("type") not in ATTACHMENT_TYPES
                    or not isinstance(item.get("url"), str) or not item["url"].startswith(("http://", "https://"))):
                return control_error(f"each attachment needs a type ({', '.join(ATTACHMENT_TYPES)}) and an http url")
            pairs.append((item["type"], item["url"]))
        if not text.strip() and not pairs:
            return control_error("a message needs a text or an attachment")
        moment, problem = created_time(body)
        if problem:
            return control_error(problem)
        customer = brand().person(label.strip() if isinstance(label, str) else None, author_id)
        message = store().add(customer, False, text, moment, tuple(pairs))
        return jsonify({"id": message.id, "user_id": customer.id,
                        "conversation_id": store().conversation_id(customer.id)}), 201

    @control.put("/messaging-permission")
    def set_messaging_permission():
        """Grant or take back the app's messaging permission: {"granted": bool}."""
        body = json_body()
        if body is None or not isinstance(body.get("granted"), bool):
            return control_error("the body must be a JSON object with granted: true or false")
        store().permitted = body["granted"]
        return jsonify({"granted": store().permitted})

    @control.get("/messages")
    def list_messages():
        return jsonify({"messages": [{"id": m.id, "user_id": m.customer.id, "by_brand": m.by_brand, "text": m.text,
                                      "created_at": iso_time(m.created_at),
                                      "attachments": [{"type": k, "url": u} for k, u in m.attachments]}
                                     for m in store().all()]})

    @control.get("/view/<path:item_id>")
    def view(item_id: str):
        """A post's page with the replies under it, or for a direct message
        its conversation: where the demo's "view on" links go."""
        found = next((m for m in store().all() if m.id == item_id), None)
        if found is None:
            return post_page(name, item_id)
        return render_template_string(CONVERSATION_PAGE, platform=name, brand=brand(), customer=found.customer,
                                      messages=store().of(found.customer.id), shown=found.id)

    @control.post("/message-deliveries")
    def deliver_messages():
        """POST a signed `messaging` delivery of some messages to `url`."""
        body = json_body()
        if body is None:
            return control_error("the body must be a JSON object")
        url, ids = body.get("url"), body.get("message_ids")
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
            return control_error("url must be an http:// or https:// address")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return control_error("message_ids must be a non-empty list of message ids")
        known = {m.id: m for m in store().all()}
        unknown = [i for i in ids if i not in known]
        if unknown:
            return control_error(f"unknown message ids: {', '.join(unknown)}")
        me = brand()
        events = [_event(known[i], me) for i in ids]
        delivery = {"object": "page" if me.platform == "facebook" else me.platform,
                    "entry": [{"id": me.id, "time": int(utc_now().timestamp() * 1000), "messaging": events}]}
        return signed_delivery(url, delivery, body)

    return api, control


CONVERSATION_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ platform }} conversation with {{ customer.name }} (emulator)</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccd;border-radius:8px;padding:.6rem 1rem;margin:.5rem 0;max-width:80%}
.brand{background:#eef3ff;margin-left:auto}.shown{outline:2px solid #c80}.meta{color:#556;font-size:.85rem;margin:0}
.text{white-space:pre-wrap}</style></head>
<body><p class="meta">The platform emulator: {{ platform }} direct messages</p>
<h1>{{ customer.name }} and {{ brand.name }}</h1>
{% for message in messages %}<article id="message-{{ message.id }}"
 class="{{ 'brand' if message.by_brand }} {{ 'shown' if message.id == shown }}">
<p class="meta"><strong>{{ brand.name if message.by_brand else customer.name }}</strong> ·
<time>{{ message.created_at.isoformat() }}</time></p><p class="text">{{ message.text }}</p>
{% for kind, url in message.attachments %}<p class="meta">{{ kind }}: <a href="{{ url }}">{{ url }}</a></p>{% endfor %}
</article>{% endfor %}
</body></html>"""


def signed_delivery(url: str, delivery: dict, body: dict):
    """POST `delivery` to `url` signed with body's app_secret (or the
    emulator's), or wrongly with `"signature": "bad"`; answer what the
    receiver said."""
    app_secret = body.get("app_secret", DEFAULT_APP_SECRET)
    if not isinstance(app_secret, str) or not app_secret:
        return control_error("app_secret must be a non-empty string")
    if body.get("signature") not in (None, "bad"):
        return control_error("signature may only be 'bad' (to send a wrong one)")
    raw = json.dumps(delivery, separators=(",", ":")).encode()
    key = (app_secret + "-but-wrong" if body.get("signature") == "bad" else app_secret).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
               "X-Hub-Signature-256": "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()}
    try:
        answer = requests.post(url, data=raw, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return control_error(f"the receiver at {url} could not be reached: {error}", 502)
    return jsonify({"status": answer.status_code, "body": answer.text[:2000]})


def _event(message: Message, me: Brand) -> dict:
    customer, own = {"id": message.customer.id}, {"id": me.id}
    sender, recipient = (own, customer) if message.by_brand else (customer, own)
    payload = {"mid": message.id, "text": message.text}
    if message.attachments:
        payload["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in message.attachments]
    if message.by_brand:
        payload["is_echo"] = True
    return {"sender": sender, "recipient": recipient, "timestamp": int(message.created_at.timestamp() * 1000),
            "message": payload}


def _person_json(person: Person, me: Brand) -> dict:
    key = "username" if me.platform == "instagram" else "name"
    return {key: person.name, "id": person.id}


def _attachment_json(kind: str, url: str, number: int) -> dict:
    data = {"url": url, "width": 1080, "height": 1080}
    if kind == "video":
        return {"id": f"att{number}", "mime_type": "video/mp4", "video_data": {**data, "preview_url": url + ".jpg"}}
    return {"id": f"att{number}", "mime_type": "image/jpeg", "image_data": {**data, "preview_url": url}}


def _expect_page(page_id: str) -> None:
    if page_id != PAGE_ID:
        raise GraphError(400, f"Unsupported request. Object with ID '{page_id}' does not exist, cannot be loaded "
                              "due to missing permissions, or does not support this operation", 100,
                         kind="GraphMethodException", subcode=33)


def _fields(known: tuple[str, ...], defaults: tuple[str, ...]) -> list[str]:
    raw = request.args.get("fields")
    if raw is None:
        return list(defaults)
    names = [name.split("{")[0].strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in known:
            raise GraphError(400, f"(#100) Tried accessing nonexisting field ({name})", 100)
    return names


def _json_param(name: str) -> dict:
    raw = request.form.get(name)
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise GraphError(400, f"(#100) param {name} must be a JSON object", 100)
    return value


def _page(rows: list[tuple[dict, Message]]) -> dict:
    """One page of rows (already in order), paged with after cursors."""
    limit = whole_number("limit")
    if limit is not None and limit < 1:
        raise GraphError(400, "(#100) The parameter limit must be a positive integer", 100)
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    after = read_cursor("after")
    if after is not None:
        position = next((n for n, (_, m) in enumerate(rows) if m.seq == after[1]), None)
        rows = rows[position + 1:] if position is not None else []
    page = rows[:limit]
    if not page:
        return {"data": []}
    cursor = _cursor(page[-1][1])
    paging: dict = {"cursors": {"before": _cursor(page[0][1]), "after": cursor}}
    if len(rows) > limit:
        args = {k: v for k, v in request.args.items() if k != "after"}
        paging["next"] = f"{request.base_url}?{urlencode({**args, 'after': cursor})}"
    return {"data": [row for row, _ in page], "paging": paging}


def _cursor(message: Message) -> str:
    return base64.urlsafe_b64encode(f"0:{message.seq}".encode()).decode().rstrip("=")


def _messenger() -> Brand:
    state = fb_state()
    return Brand("facebook", "messenger", PAGE_ID, state.page.name, "", 2000, True, state.person)


blueprints = messaging_part(_messenger, "facebook")
