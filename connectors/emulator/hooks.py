"""A receiver for closeloop's outgoing webhooks: each hook name captures the
POSTs sent to /_emulator/hooks/<name> (headers and raw body, so a test can
check the signature) and lists them at /_emulator/hooks/<name>/deliveries.

POST /_emulator/hooks/<name>/faults makes that hook's next calls fail.
These faults are kept with the shared ones under the platform "hooks:<name>",
so GET and DELETE /_emulator/faults list and clear them too; faults injected
for the platform "hooks" apply to whichever hook is called next."""

from __future__ import annotations

import math
import threading
from collections import deque

from flask import Blueprint, Response, jsonify, request

from .app import RECORDS_KEPT, Fault, control_error, emulator, fault_timing, iso_time, json_body, utc_now

PLATFORM = "hooks"


class HooksState:
    """Captured deliveries per hook, oldest first (the newest RECORDS_KEPT);
    handlers hold `lock` while they read or write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._deliveries: dict[str, deque[dict]] = {}

    def capture(self, hook: str, headers: dict[str, str], body: str) -> None:
        with self.lock:
            kept = self._deliveries.setdefault(hook, deque(maxlen=RECORDS_KEPT))
            kept.append({"headers": headers, "body": body, "at": iso_time(utc_now())})

    def deliveries(self, hook: str) -> list[dict]:
        with self.lock:
            return list(self._deliveries.get(hook, ()))

    def clear(self, hook: str) -> None:
        with self.lock:
            self._deliveries.pop(hook, None)


def create_state(brand_handle: str, brand_name: str) -> HooksState:
    return HooksState()


def hooks_state() -> HooksState:
    return emulator().platforms[PLATFORM]


def fault_key(hook: str) -> str:
    return f"{PLATFORM}:{hook}"


def next_fault(hook: str) -> Fault | None:
    """The hook's own faults first; otherwise those of the "hooks" platform
    (asking for the hook's key when it has none would draw a "*" rate twice)."""
    own = any(pending["platform"] == fault_key(hook) for pending in emulator().pending_faults())
    return emulator().take_fault(fault_key(hook) if own else PLATFORM)


control = Blueprint("hooks_control", __name__, url_prefix="/_emulator/hooks")
blueprints = (control,)


@control.post("/<name>")
def receive(name: str):
    """Capture one delivery to the hook `name`, unless a fault is pending."""
    fault = next_fault(name)
    if fault is not None:
        fault.wait()
        status = fault.http_status
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if status == 429 else {}
        return Response(f"injected fault {status}", status, headers, mimetype="text/plain")
    hooks_state().capture(name, dict(request.headers), request.get_data(as_text=True))
    return jsonify({"ok": True})


@control.get("/<name>/deliveries")
def list_deliveries(name: str):
    return jsonify({"deliveries": hooks_state().deliveries(name)})


@control.delete("/<name>/deliveries")
def clear_deliveries(name: str):
    hooks_state().clear(name)
    return jsonify({"deliveries": []})


@control.post("/<name>/faults")
def add_fault(name: str):
    """Make the hook's next `count` deliveries fail with `status` (any HTTP
    status from 300 to 599, or "timeout"); a 429 carries `retry_after`."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    status = body.get("status")
    if not (status == "timeout" or (isinstance(status, int) and not isinstance(status, bool)
                                    and 300 <= status <= 599)):
        return control_error(f"status must be an HTTP status from 300 to 599 or \"timeout\", not {status!r}")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return control_error("count must be a whole number of calls, at least 1")
    timing = fault_timing(body)
    if isinstance(timing, str):
        return control_error(timing)
    retry_after, seconds = timing
    emulator().add_fault(fault_key(name), Fault(status, retry_after, seconds), count)
    pending = [f for f in emulator().pending_faults() if f["platform"] == fault_key(name)]
    return jsonify({"faults": pending}), 201
