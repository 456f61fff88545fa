"""What the platform tests share: the emulator driven through its control
API (a customer's post, an injected fault, the calls a platform received),
one recorded answer replayed through a connector's own HTTP session, and
the address of a platform that is down."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import requests

from connectors.emulator import EmulatorServer


def control(server: EmulatorServer, path: str, body: dict) -> dict:
    """POST to the emulator's control API under /_emulator/; it must answer 201."""
    response = requests.post(f"{server.url}/_emulator/{path}", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def add_fault(server: EmulatorServer, platform: str, **fault) -> None:
    """The platform's next calls fail as `fault` says (status, count, retry_after, seconds)."""
    control(server, "faults", {"platform": platform, **fault})


def listed(server: EmulatorServer, platform: str, what: str = "posts") -> list[dict]:
    """What the emulator holds for a platform: its posts, or `what` else it lists."""
    return requests.get(f"{server.url}/_emulator/{platform}/{what}", timeout=5).json()[what]


def api_calls(server: EmulatorServer, platform: str, path_end: str = "", method: str | None = None) -> list[dict]:
    """The API calls a platform received whose path ends in `path_end`
    (a final "/" aside), oldest first; with `method`, only those."""
    calls = listed(server, platform, "requests")
    return [c for c in calls if c["path"].rstrip("/").endswith(path_end) and method in (None, c["method"])]


def unreachable_url() -> str:
    """The address of an emulator that has stopped: nothing answers there."""
    server = EmulatorServer()
    url = server.url
    server.stop()
    return url


class Recorded(requests.adapters.BaseAdapter):
    """Answers every request with one recorded response, or with the body
    of `also` whose key ends the request's path; nothing leaves the process.
    A dict or list body is sent as JSON, bytes as they are."""

    def __init__(self, status: int, body: Any, headers: dict | None = None, also: dict[str, Any] | None = None):
        super().__init__()
        self.status, self.body, self.headers, self.also = status, body, headers or {}, also or {}

    def send(self, request, **kwargs):
        path = request.path_url.split("?")[0]
        extra = next((body for end, body in self.also.items() if path.endswith(end)), None)
        status, body = (200, extra) if extra is not None else (self.status, self.body)
        response = requests.Response()
        response.status_code, response.reason = status, HTTPStatus(status).phrase
        if isinstance(body, (dict, list)):
            response._content = json.dumps(body).encode()
            response.headers["content-type"] = "application/json"
        else:
            response._content = body
        response.headers.update(self.headers)
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


def replaying(connector, status: int, body: Any, headers: dict | None = None, also: dict[str, Any] | None = None):
    """The connector, its every HTTP call answered by the recording."""
    recorded = Recorded(status, body, headers, also)
    for prefix in list(connector.session.adapters):
        connector.session.mount(prefix, recorded)
    return connector
