"""The one refusal: a change that is not allowed, or input that is wrong,
raised before anything is stored."""

from __future__ import annotations


class Refused(Exception):
    """Nothing was changed. `status` is the HTTP status the web answers
    with: 400 for a malformed request, 403 when the person may not do it,
    404 when what it names does not exist, 409 when the state forbids it,
    422 when the input is understood but not allowed. `detail` is what an
    API caller can act on (the ids a refusal names), sent beside the message."""

    def __init__(self, message: str, status: int = 422, **detail):
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail
