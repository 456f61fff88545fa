"""Notice when the config file changes, so sources and accounts can be
added, paused and removed without a restart."""

from __future__ import annotations

import os
from pathlib import Path

from config.settings import Settings, load_settings


class SettingsWatcher:
    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._stamp = self._read_stamp()

    def changed(self) -> Settings | None:
        """The new settings when the file changed since the last call, else
        None. A file that changed into something invalid raises ConfigError,
        once: the caller keeps running on what it has."""
        stamp = self._read_stamp()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        return load_settings(self.path)

    def _read_stamp(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size
