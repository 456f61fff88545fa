"""Credentials are referenced from the config, never stored in it or in the
database: 'env:NAME' reads an environment variable, 'file:PATH' a file."""

import os
from pathlib import Path

from config.errors import ConfigError


def resolve_secret(reference: str, *, key: str) -> str:
    if reference.startswith("env:"):
        name = reference[4:]
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"{key}: environment variable {name} is not set")
        return value
    if reference.startswith("file:"):
        path = Path(reference[5:])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"{key}: cannot read secret file {str(path)!r}: {error.strerror}") from None
    return reference
