"""Slack as the alert outbox uses it: incoming webhooks, a capture hook per
name that answers like Slack (200 `ok`, or an error word in plain text);
the Web API's chat.postMessage, which answers like Slack (200 with
{"ok": true, "channel", "ts", "message"}, or {"ok": false, "error"}) and
takes `thread_ts` to post in a message's thread; and the control endpoints
that list and clear what was captured.

The hooks live under /_emulator/slack/hooks/<name> rather than Slack's
/services/T.../B.../token: the name stands for the whole secret URL; the
Web API under /_emulator/slack/api/ (a WebClient's base_url). A message to
a member ID (U...) lands in the app's direct messages with them, channel
"D" and the ID, as Slack answers. Faults injected for the "slack" platform
apply to the hooks and the Web API."""

from __future__ import annotations

import itertools
import math
import threading
from collections import deque

from flask import Blueprint, Response, jsonify, request

from .app import RECORDS_KEPT, emulator, iso_time, utc_now

PLATFORM = "slack"
# The plain-text answers Slack gives for these statuses.
FAULT_ANSWERS = {401: "invalid_auth", 403: "invalid_token", 429: "rate_limited", 500: "internal_error",
                 503: "service_unavailable"}


class SlackState:
    """Captured messages, oldest first (the newest RECORDS_KEPT); handlers
    hold `lock` while they read or write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._messages: deque[dict] = deque(maxlen=RECORDS_KEPT)
        self._sequence = itertools.count(1)

    def capture(self, hook: str, text: str | None, blocks: list | None) -> None:
        with self.lock:
            self._messages.append({"hook": hook, "text": text, "blocks": blocks, "at": iso_time(utc_now())})

    def post(self, channel: str, text: str | None, blocks: list | None, thread_ts: str | None) -> dict | None:
        """The message as Slack stores it, or None when `thread_ts` is no
        message in that channel."""
        with self.lock:
            now = utc_now()
            if thread_ts is not None and not any(m.get("channel") == channel and m["ts"] == thread_ts
                                                 for m in self._messages if "ts" in m):
                return None
            ts = f"{now.timestamp():.0f}.{next(self._sequence):06d}"
            message = {"hook": None, "channel": channel, "ts": ts, "thread_ts": thread_ts, "text": text,
                       "blocks": blocks, "at": iso_time(now)}
            self._messages.append(message)
            return dict(message)

    def messages(self) -> list[dict]:
        with self.lock:
            return list(self._messages)

    def clear(self) -> None:
        with self.lock:
            self._messages.clear()


def create_state(brand_handle: str, brand_name: str) -> SlackState:
    return SlackState()


def slack_state() -> SlackState:
    return emulator().platforms[PLATFORM]


def answer(word: str, status: int, headers: dict | None = None) -> Response:
    return Response(word, status, headers or {}, mimetype="text/plain")


def api_answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


control = Blueprint("slack_control", __name__, url_prefix="/_emulator/slack")
blueprints = (control,)


@control.post("/api/chat.postMessage")
def chat_post_message():
    """Post a message (in a thread with `thread_ts`) for a bearer token."""
    fault = emulator().take_fault(PLATFORM)
    if fault is not None:
        fault.wait()
        status = fault.http_status
        if status == 429:
            return api_answer({"ok": False, "error": "ratelimited"}, 429,
                              {"Retry-After": str(math.ceil(fault.retry_after))})
        if status in (401, 403):
            return api_answer({"ok": False, "error": FAULT_ANSWERS[status]})
        return api_answer({"ok": False, "error": FAULT_ANSWERS[status]}, status)
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token:
        return api_answer({"ok": False, "error": "not_authed"})
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = request.form.to_dict()
    channel, text, blocks, thread_ts = (body.get("channel"), body.get("text"), body.get("blocks"),
                                        body.get("thread_ts"))
    if not isinstance(channel, str) or not channel:
        return api_answer({"ok": False, "error": "channel_not_found"})
    if (text is not None and not isinstance(text, str)) or (thread_ts is not None and not isinstance(thread_ts, str)):
        return api_answer({"ok": False, "error": "invalid_arguments"})
    if blocks is not None and not (isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)):
        return api_answer({"ok": False, "error": "invalid_blocks"})
    if not text and not blocks:
        return api_answer({"ok": False, "error": "no_text"})
    if channel[0] in "UW":
        channel = f"D{channel}"
    message = slack_state().post(channel, text, blocks, thread_ts)
    if message is None:
        return api_answer({"ok": False, "error": "thread_not_found"})
    shown = {"type": "message", "text": text or "", "ts": message["ts"]}
    if thread_ts is not None:
        shown["thread_ts"] = thread_ts
    return api_answer({"ok": True, "channel": channel, "ts": message["ts"], "message": shown})


@control.post("/hooks/<name>")
def incoming_webhook(name: str):
    """Capture one message posted to the hook `name`, unless a fault is pending."""
    fault = emulator().take_fault(PLATFORM)
    if fault is not None:
        fault.wait()
        status = fault.http_status
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if status == 429 else {}
        return answer(FAULT_ANSWERS[status], status, headers)
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return answer("invalid_payload", 400)
    text, blocks = body.get("text"), body.get("blocks")
    if text is not None and not isinstance(text, str):
        return answer("invalid_payload", 400)
    if blocks is not None and not (isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)):
        return answer("invalid_blocks", 400)
    if not text and not blocks:
        return answer("no_text", 400)
    slack_state().capture(name, text, blocks)
    return answer("ok", 200)


@control.get("/messages")
def list_messages():
    return jsonify({"messages": slack_state().messages()})


@control.delete("/messages")
def clear_messages():
    slack_state().clear()
    return jsonify({"messages": []})
