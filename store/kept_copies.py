"""A process's copies of kept figures (store.kept_figures), so that a
report read again reads from the database only which spans are kept and
when they were counted, not their figures: a month of response-time
figures at a million tickets is megabytes of kept runs. A kept span never
changes without being counted again, which gives it a new counting moment,
so a copy is good while its moment is the kept one. Bounded by the size of
the figures' text; the least recently read go first."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

# The figures' text kept in copies per process at most, in characters.
COPIED_CHARACTERS = 24_000_000

Key = tuple[str, str, Any, int]


class KeptCopies:
    def __init__(self, limit: int = COPIED_CHARACTERS) -> None:
        self.limit = limit
        self.size = 0
        self._copies: OrderedDict[Key, tuple[float, Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, computed_at: float) -> Any | None:
        """The figures copied for `key` when counted at `computed_at`, or None."""
        with self._lock:
            copy = self._copies.get(key)
            if copy is None or copy[0] != computed_at:
                return None
            self._copies.move_to_end(key)
            return copy[1]

    def put(self, key: Key, computed_at: float, text: str) -> Any:
        """Copies the figures kept as JSON `text`; the figures."""
        figures = json.loads(text)
        with self._lock:
            old = self._copies.pop(key, None)
            if old is not None:
                self.size -= old[2]
            if len(text) <= self.limit:
                self._copies[key] = (computed_at, figures, len(text))
                self.size += len(text)
            while self.size > self.limit:
                _, (_, _, size) = self._copies.popitem(last=False)
                self.size -= size
        return figures


copies = KeptCopies()
