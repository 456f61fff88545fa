"""One backoff for everything that retries against another service: the
pollers and every outbox."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Each wait is shortened at random by up to this part of itself.
JITTER = 0.2
# A retry_after longer than this is taken for a mistake: wait a day at most.
MAX_RETRY_AFTER_SECONDS = 86400


@dataclass(frozen=True)
class Backoff:
    """Waits that double from `first` after each failure in a row, up to
    `cap`. Each is shortened at random by up to `jitter` of itself, so work
    that failed together is not all tried again at the same moment, and the
    cap is never passed. The count of failures in a row is kept with the
    work and starts again at zero after a success."""

    first: float
    cap: float
    jitter: float = JITTER
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def seconds(self, failures: int, retry_after: float | None = None) -> float:
        """The wait after the `failures`-th failure in a row (from 1). A
        retry_after the other side gave wins, up to a day."""
        if retry_after is not None:
            return min(max(0.0, retry_after), MAX_RETRY_AFTER_SECONDS)
        nominal = min(self.cap, self.first * 2 ** min(max(failures, 1) - 1, 32))
        return nominal * (1 - self.jitter * self.rng.random())
