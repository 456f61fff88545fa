"""The emulator's Flask app: shared state, injected faults, the request log
and the platform-neutral control endpoints.

Every platform API call can be made to take a random time (a platform's
latency, `PUT /_emulator/latency`), so that polling waits on the network
as it does against the real platforms.

A platform's part is the `emulator` module of its folder
(`connectors/x/emulator.py`, ...), or a module of this package (`slack.py`):
it provides `PLATFORM`, `create_state(brand_handle, brand_name)` and
`blueprints`. A module that adds endpoints to a platform
(`connectors/x/emulator_messages.py`) provides `PLATFORM` and `blueprints`
alone. Every such module is found and imported when the app is built."""

from __future__ import annotations

import importlib
import pkgutil
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template_string, request

FAULT_STATUSES = (401, 403, 429, 500, 503, "timeout")
# What the emulator received (API calls, Slack messages, webhook deliveries,
# mails) is kept for tests and people to look at: the newest this many of
# each, so that a demo left running does not grow without end.
RECORDS_KEPT = 2000
MAX_TIMEOUT_SECONDS = 120
MAX_LATENCY_SECONDS = 10


@dataclass(frozen=True)
class Fault:
    """One injected failure. "timeout" waits `seconds`, then answers 503."""

    status: int | str
    retry_after: float = 60
    seconds: float = 5

    @property
    def http_status(self) -> int:
        return 503 if self.status == "timeout" else int(self.status)

    def wait(self) -> None:
        if self.status == "timeout":
            time.sleep(self.seconds)


class EmulatorState:
    """What every platform shares. Requests are served in threads: every
    read and write holds the lock."""

    def __init__(self, brand_handle: str, brand_name: str):
        self.lock = threading.Lock()
        self.brand_handle = brand_handle
        self.brand_name = brand_name
        self.platforms: dict[str, Any] = {}
        self._faults: dict[str, list[list]] = {}
        self._fault_rates: dict[str, tuple[float, list[Fault]]] = {}
        self._random = random.Random()
        self._requests: dict[str, deque[dict]] = {}
        self.latency = (0.0, 0.0)

    def set_latency(self, low: float, high: float) -> None:
        """From now on every platform API call waits between `low` and `high` seconds."""
        with self.lock:
            self.latency = (low, high)

    def take_latency(self) -> float:
        """How long the next platform API call waits."""
        with self.lock:
            low, high = self.latency
            return self._random.uniform(low, high) if high > 0 else 0.0

    def add_fault(self, platform: str, fault: Fault, count: int) -> None:
        with self.lock:
            self._faults.setdefault(platform, []).append([fault, count])

    def set_fault_rate(self, platform: str, rate: float, faults: list[Fault]) -> None:
        """From now on a share `rate` of the platform's calls fails with one of `faults`."""
        with self.lock:
            self._fault_rates[platform] = (rate, faults)

    def take_fault(self, platform: str) -> Fault | None:
        """The fault the next call of this platform must suffer, if any:
        counted faults first, then the platform's random share."""
        with self.lock:
            pending = self._faults.get(platform)
            if not pending:
                rate, faults = self._fault_rates.get(platform) or self._fault_rates.get("*") or (0.0, [])
                if faults and self._random.random() < rate:
                    return self._random.choice(faults)
                return None
            entry = pending[0]
            entry[1] -= 1
            if entry[1] <= 0:
                pending.pop(0)
            return entry[0]

    def pending_faults(self) -> list[dict]:
        with self.lock:
            counted = [
                {"platform": platform, "status": fault.status, "count": count,
                 "retry_after": fault.retry_after, "seconds": fault.seconds}
                for platform, entries in self._faults.items()
                for fault, count in entries
            ]
            rates = [
                {"platform": platform, "rate": rate, "statuses": [f.status for f in faults],
                 "retry_after": faults[0].retry_after, "seconds": faults[0].seconds}
                for platform, (rate, faults) in self._fault_rates.items()
            ]
            return counted + rates

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._fault_rates.clear()

    def record_request(self, platform: str, method: str, path: str, params: dict) -> None:
        entry = {"method": method, "path": path, "params": params, "at": iso_time(utc_now())}
        with self.lock:
            self._requests.setdefault(platform, deque(maxlen=RECORDS_KEPT)).append(entry)

    def requests(self, platform: str) -> list[dict]:
        """The newest RECORDS_KEPT calls, oldest first."""
        with self.lock:
            return list(self._requests.get(platform, ()))


def emulator() -> EmulatorState:
    return current_app.extensions["emulator"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and "Z", as the platforms write it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fault_timing(body: dict) -> tuple[float, float] | str:
    """A fault's `retry_after` (for 429) and `seconds` (for a timeout), or
    what is wrong with them."""
    retry_after = body.get("retry_after", 60)
    if not is_number(retry_after) or retry_after < 0:
        return "retry_after must be a number of seconds, 0 or more"
    seconds = body.get("seconds", 5)
    if not is_number(seconds) or not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        return f"seconds must be a number above 0 and at most {MAX_TIMEOUT_SECONDS}"
    return retry_after, seconds


def control_error(message: str, status: int = 400):
    return jsonify({"error": message}), status


def json_body() -> dict | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


control = Blueprint("emulator", __name__, url_prefix="/_emulator")


@control.get("/health")
def health():
    return jsonify({"ok": True})


@control.post("/faults")
def add_fault():
    """Make the next `count` API calls of a platform fail, or with `rate`
    and `statuses`, a random share of all its calls from now on
    (`"platform": "*"` for every platform)."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    platform = body.get("platform")
    if platform not in emulator().platforms and not ("rate" in body and platform == "*"):
        return control_error(f"unknown platform {platform!r} (known: {', '.join(emulator().platforms)})")
    timing = fault_timing(body)
    if isinstance(timing, str):
        return control_error(timing)
    retry_after, seconds = timing
    if "rate" in body:
        return _add_fault_rate(platform, body, retry_after, seconds)
    status = body.get("status")
    if not _known_status(status):
        return control_error(f"unknown status {status!r} (allowed: {_allowed_statuses()})")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return control_error("count must be a whole number of calls, at least 1")
    emulator().add_fault(platform, Fault(status, retry_after, seconds), count)
    return jsonify({"faults": emulator().pending_faults()}), 201


def _add_fault_rate(platform: str, body: dict, retry_after: float, seconds: float):
    rate = body["rate"]
    if not is_number(rate) or not 0 <= rate <= 1:
        return control_error("rate must be a number from 0 to 1")
    statuses = body.get("statuses")
    if not isinstance(statuses, list) or not statuses or not all(_known_status(s) for s in statuses):
        return control_error(f"statuses must be a non-empty list of: {_allowed_statuses()}")
    emulator().set_fault_rate(platform, rate, [Fault(s, retry_after, seconds) for s in statuses])
    return jsonify({"faults": emulator().pending_faults()}), 201


def _known_status(status: Any) -> bool:
    return not isinstance(status, bool) and status in FAULT_STATUSES


def _allowed_statuses() -> str:
    return ", ".join(str(s) for s in FAULT_STATUSES)


@control.get("/<platform>/requests")
def list_requests(platform: str):
    """The API calls a platform received, for tests to check what was asked."""
    if platform not in emulator().platforms:
        return control_error(f"unknown platform {platform!r}", 404)
    return jsonify({"requests": emulator().requests(platform)})


@control.get("/<platform>/posts/<path:post_id>")
def post_page(platform: str, post_id: str):
    """One post as a page, with the replies under it: where closeloop's
    "view on" links go in the demo. Read from the platform's own listing
    (`GET /_emulator/<platform>/posts`)."""
    if platform not in emulator().platforms:
        return control_error(f"unknown platform {platform!r}", 404)
    endpoint, args = current_app.url_map.bind("").match(f"/_emulator/{platform}/posts", method="GET")
    posts = current_app.view_functions[endpoint](**args).get_json()["posts"]
    post = next((p for p in posts if str(p["id"]) == post_id), None)
    if post is None:
        return control_error(f"post {post_id!r} does not exist", 404)
    return render_template_string(POST_PAGE, platform=platform, post=post, replies=_under(posts, post["id"]))


def _under(posts: list[dict], post_id: str, depth: int = 1) -> list[tuple[int, dict]]:
    """The replies under a post, each with its depth, in thread order."""
    found = []
    for reply in posts:
        if reply.get("in_reply_to") == post_id and reply["id"] != post_id:
            found += [(depth, reply)] + _under(posts, reply["id"], depth + 1)
    return found


POST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ platform }} post {{ post.id }} (emulator)</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccd;border-radius:8px;padding:.6rem 1rem;margin:.5rem 0}
.brand{background:#eef3ff}.meta{color:#556;font-size:.85rem;margin:0}.text{white-space:pre-wrap}
.hidden{opacity:.6;border-style:dashed}</style></head>
<body><p class="meta">The platform emulator: {{ platform }}</p>
{% macro show(item, depth=0) %}<article id="post-{{ item.id }}" style="margin-left:{{ depth * 1.5 }}rem"
 class="{{ 'brand' if item.by_brand }}{{ ' hidden' if item.hidden }}"><p class="meta"><strong>{{ item.author.name or item.author.handle }}</strong>
{% if item.author.handle %}@{{ item.author.handle }}{% endif %} · {{ item.kind or 'post' }}
{% if item.rating %} · {{ item.rating }}★{% endif %} · <time>{{ item.created_at }}</time>
{% if item.hidden %} · <strong>hidden by the brand</strong>{% endif %}{% if item.liked %} · liked by the brand{% endif %}</p>
{% if item.title %}<h1>{{ item.title }}</h1>{% endif %}<p class="text">{{ item.text }}</p></article>{% endmacro %}
{{ show(post) }}
<h2>Replies ({{ replies|length }})</h2>
{% for depth, reply in replies %}{{ show(reply, depth) }}{% else %}<p>None yet.</p>{% endfor %}
</body></html>"""


@control.get("/latency")
def get_latency():
    low, high = emulator().latency
    return jsonify({"min_seconds": low, "max_seconds": high})


@control.put("/latency")
def set_latency():
    """Make every platform API call from now on wait a random time between
    `min_seconds` and `max_seconds` (both 0: no wait)."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    low, high = body.get("min_seconds", 0), body.get("max_seconds")
    if not is_number(low) or not is_number(high) or not 0 <= low <= high <= MAX_LATENCY_SECONDS:
        return control_error(f"min_seconds and max_seconds must be numbers with 0 <= min_seconds <= max_seconds "
                             f"<= {MAX_LATENCY_SECONDS}")
    emulator().set_latency(float(low), float(high))
    return get_latency()


def wait_like_a_platform():
    """Platform API calls take the latency set; control calls do not."""
    if not request.path.startswith("/_emulator/"):
        seconds = emulator().take_latency()
        if seconds:
            time.sleep(seconds)


@control.get("/faults")
def list_faults():
    return jsonify({"faults": emulator().pending_faults()})


@control.delete("/faults")
def clear_faults():
    emulator().clear_faults()
    return jsonify({"faults": []})


def create_app(brand_handle: str = "acme", brand_name: str = "Acme") -> Flask:
    app = Flask(__name__)
    state = EmulatorState(brand_handle, brand_name)
    app.extensions["emulator"] = state
    app.before_request(wait_like_a_platform)
    app.register_blueprint(control)
    for module in platform_modules():
        if hasattr(module, "create_state"):
            state.platforms[module.PLATFORM] = module.create_state(brand_handle, brand_name)
        for blueprint in module.blueprints:
            app.register_blueprint(blueprint)
    return app


def platform_modules() -> list:
    """The modules of this package and the `emulator*` modules of each
    platform folder beside it that provide a platform's part."""
    names = _modules_of(__package__)
    parent = __package__.rpartition(".")[0]
    for folder in pkgutil.iter_modules(importlib.import_module(parent).__path__):
        package = f"{parent}.{folder.name}"
        if folder.ispkg and package != __package__:
            names += [name for name in _modules_of(package) if name.rpartition(".")[2].startswith("emulator")]
    modules = [importlib.import_module(name) for name in sorted(names)]
    return [m for m in modules if hasattr(m, "PLATFORM") and hasattr(m, "blueprints")]


def _modules_of(package: str) -> list[str]:
    return [f"{package}.{info.name}" for info in pkgutil.iter_modules(importlib.import_module(package).__path__)]
