"""The one source of `now`. Everything that reads the time takes a Clock, so
tests can move time instead of waiting for it."""

from datetime import datetime, timedelta, timezone
from typing import Any


class Clock:
    def now(self) -> datetime:
        raise NotImplementedError


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def parse_utc(value: Any, *, naive_is_utc: bool = False) -> datetime | None:
    """An ISO 8601 text as a timezone-aware UTC datetime, or None when it is
    not one. A time naming no zone is None, or UTC with `naive_is_utc`."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc) if naive_is_utc else None
    return moment.astimezone(timezone.utc)
