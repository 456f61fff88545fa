"""The key that signs sign-ins, written once into the instance's config
file so that every web process and every restart share it."""

from __future__ import annotations

import re
import secrets
import tomllib
from pathlib import Path

from closeloop.startup import StartupError

_EMPTY_KEY = re.compile(r'^secret_key\s*=\s*(""|\'\')\s*$', re.MULTILINE)
_WEB_TABLE = re.compile(r"^\[web\]\s*$", re.MULTILINE)


def write_secret_key(config_path: str | None) -> Path:
    """Put a new random web.secret_key into the config file and return its
    path; without a file there is nowhere to keep one, and that is refused."""
    if not config_path:
        raise StartupError("web.secret_key is not set and there is no config file to write one into.\n"
                           "Give --config FILE (or CLOSELOOP_CONFIG), or set CLOSELOOP_WEB__SECRET_KEY.")
    path = Path(config_path)
    text = path.read_text(encoding="utf-8")
    line = f'secret_key = "{secrets.token_hex(32)}"'
    if _EMPTY_KEY.search(text):
        changed = _EMPTY_KEY.sub(line, text, count=1)
    elif _WEB_TABLE.search(text):
        changed = _WEB_TABLE.sub(lambda m: f"{m.group(0)}\n{line}", text, count=1)
    else:
        changed = f"{text.rstrip()}\n\n[web]\n{line}\n"
    try:
        written = tomllib.loads(changed).get("web", {}).get("secret_key")
    except tomllib.TOMLDecodeError:
        written = None
    if not written:
        raise StartupError(f"could not add web.secret_key to {path}: add a line such as\n"
                           f"{line}\nunder [web] yourself (any long random string).")
    path.write_text(changed, encoding="utf-8")
    return path
