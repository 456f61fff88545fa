"""Each request gets an id: the proxy's X-Request-Id when it sends a sane
one (nginx: `proxy_set_header X-Request-Id $request_id`), else a new one.
It is in every JSON log line written while the request is answered and in
the response's X-Request-Id header, so a user's report can be found in the
logs."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from telemetry.logs import request_id

HEADER = "X-Request-Id"
# Ids from outside go into log lines: letters, digits and a few marks only.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_request_ids(app: Flask) -> None:
    app.before_request(_take_id)
    app.after_request(_send_id)
    app.teardown_request(_forget_id)


def _take_id() -> None:
    given = request.headers.get(HEADER, "")
    current = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
    g.request_id_token = request_id.set(current)


def _send_id(response: Response) -> Response:
    current = request_id.get()
    if current is not None:
        response.headers[HEADER] = current
    return response


def _forget_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)
