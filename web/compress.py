"""Gzip for text responses worth compressing, when the client accepts it.
Streamed responses (exports) are left as they are: compressing one here
would read it whole into memory first."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_BYTES = 1024
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")


def _gzipped(response: Response) -> Response:
    if (response.direct_passthrough or response.is_streamed
            or response.status_code < 200 or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or not (response.mimetype or "").startswith(COMPRESSIBLE)):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def init_compression(app: Flask) -> None:
    app.after_request(_gzipped)
