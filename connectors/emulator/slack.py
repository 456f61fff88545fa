"""Slack incoming webhooks as the alert outbox uses them: a capture hook per
name that answers like Slack (200 `ok`, or an error word in plain text), and
the control endpoints that list and clear what was captured.

The hooks live under /_emulator/slack/hooks/<name> rather than Slack's
/services/T.../B.../token: the name stands for the whole secret URL. Faults
injected for the "slack" platform apply to the hooks only."""

from __future__ import annotations

import math
import threading

from flask import Blueprint, Response, jsonify, request

from .app import emulator, iso_time, utc_now

PLATFORM = "slack"
# The plain-text answers Slack gives for these statuses.
FAULT_ANSWERS = {401: "invalid_auth", 403: "invalid_token", 429: "rate_limited", 500: "internal_error",
                 503: "service_unavailable"}


class SlackState:
    """Captured messages, oldest first; handlers hold `lock` while they read or write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._messages: list[dict] = []

    def capture(self, hook: str, text: str | None, blocks: list | None) -> None:
        with self.lock:
            self._messages.append({"hook": hook, "text": text, "blocks": blocks, "at": iso_time(utc_now())})

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


control = Blueprint("slack_control", __name__, url_prefix="/_emulator/slack")
blueprints = (control,)


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
