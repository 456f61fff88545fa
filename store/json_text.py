"""JSON text for the database's JSON columns, exactly as `json.dumps` writes
it with its defaults, by one C encoder made once: `json.dumps` makes a new
one at every call, which took half its time on the short values intake
writes by the hundred (posts' payloads, events' details).

The encoder keeps no record of the containers it is in, so it is safe to
share between threads; a value that contains itself, which nothing stored
does, fails with RecursionError rather than ValueError."""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any

_DEFAULTS = json.JSONEncoder()
_ENCODE = None if c_make_encoder is None else c_make_encoder(
    None, _DEFAULTS.default, encode_basestring_ascii, _DEFAULTS.indent, _DEFAULTS.key_separator,
    _DEFAULTS.item_separator, _DEFAULTS.sort_keys, _DEFAULTS.skipkeys, _DEFAULTS.allow_nan)


def json_text(value: Any) -> str:
    """`json.dumps(value)`."""
    if _ENCODE is None:
        return json.dumps(value)
    return "".join(_ENCODE(value, 0))
