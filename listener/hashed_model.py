"""What the trained models (sentiment, topic, needs-a-person) share: weights
over hashed text features, and a bounded memory of each word's summed
weights, so that a word seen before costs one dictionary lookup."""

from __future__ import annotations

from array import array
from typing import Any


class HashedModel:
    # How many words (and word pairs) a model remembers before it forgets them all.
    remember_at_most = 100_000

    def __init__(self, weights: array, bits: int, scale: float, info: dict | None):
        self.weights = weights
        self.bits = bits
        self.scale = scale
        self.info = info or {}
        self._remembered: dict[str, Any] = {}

    def _keep(self, key: str, known: Any) -> Any:
        """Remember `known`, the summed weights of `key`'s features, and return it."""
        if len(self._remembered) >= self.remember_at_most:
            self._remembered.clear()
        self._remembered[key] = known
        return known
