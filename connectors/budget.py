"""Request budgets: a source or an account never sends more requests than
its configured number per window. Spending happens at the HTTP layer, in an
adapter on the connector's session, so every page, lookup and reply counts.
A spent budget is a ConnectorError with the time until a request frees up,
which backs the source off like a platform's own rate limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import requests
from requests.adapters import BaseAdapter

from connectors.base import ConnectorError

_source_budget: ContextVar[RequestBudget | None] = ContextVar("source_budget", default=None)


class RequestBudget:
    """At most `limit` requests in any `window` seconds (a sliding window)."""

    def __init__(self, name: str, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def spend(self) -> None:
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            if len(self._sent) >= self.limit:
                wait = self._sent[0] + self.window - now
                raise ConnectorError(f"{self.name} used its budget of {self.limit} requests per "
                                     f"{self.window:g} s; the next one is allowed in {wait:.0f} s",
                                     retry_after=max(wait, 0.001))
            self._sent.append(now)

    def remaining(self) -> int:
        with self._lock:
            now = self.clock()
            return self.limit - sum(1 for t in self._sent if t > now - self.window)


@contextmanager
def spending(budget: RequestBudget | None) -> Iterator[None]:
    """Requests made in this block, in this thread, also count against `budget`."""
    token = _source_budget.set(budget)
    try:
        yield
    finally:
        _source_budget.reset(token)


class BudgetAdapter(BaseAdapter):
    """Spends the budgets, then sends through the adapter it wraps."""

    def __init__(self, inner: BaseAdapter, account_budget: RequestBudget | None):
        super().__init__()
        self.inner = inner
        self.account_budget = account_budget

    def send(self, request, *args, **kwargs):
        for budget in (_source_budget.get(), self.account_budget):
            if budget is not None:
                budget.spend()
        return self.inner.send(request, *args, **kwargs)

    def close(self) -> None:
        self.inner.close()


def mount_budget(session: requests.Session, account_budget: RequestBudget | None) -> None:
    """Make every request of `session` spend the account's budget and the
    budget of the source being polled, if any: each adapter the connector
    mounted (its own for a platform's host included) is wrapped."""
    for prefix, adapter in list(session.adapters.items()):
        session.mount(prefix, BudgetAdapter(adapter, account_budget))
