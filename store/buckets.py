"""Time buckets that fit a period: 5 minutes for a few hours, an hour for
a day or two, a local day beyond, so that a short spike draws as a spike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

FIVE_MINUTES = timedelta(minutes=5)
HOUR = timedelta(hours=1)
# The longest periods bucketed by 5 minutes and by the hour.
FIVE_MINUTE_SPAN = timedelta(hours=6)
HOURLY_SPAN = timedelta(days=1)


@dataclass(frozen=True)
class Buckets:
    """The buckets of [start, end): `size` is "5min", "hour" or "day";
    `starts` the first moment of each, the first one partial as need be."""

    size: str
    starts: tuple[datetime, ...]
    tz: tzinfo

    def index(self, at: datetime) -> int:
        """The bucket of a moment inside the period."""
        if self.size == "day":
            n = (at.astimezone(self.tz).date() - self.starts[0].date()).days
        else:
            n = int((at - self.starts[0]) // (FIVE_MINUTES if self.size == "5min" else HOUR))
        return min(max(n, 0), len(self.starts) - 1)

    def labels(self) -> list[str]:
        """Local dates for days; local times, with the date when the period
        spans several days, otherwise."""
        if self.size == "day":
            return [start.date().isoformat() for start in self.starts]
        several_days = self.starts[0].date() != self.starts[-1].date()
        return [start.strftime("%m-%d %H:%M" if several_days else "%H:%M") for start in self.starts]


def buckets_for(start: datetime, end: datetime, tz: tzinfo) -> Buckets:
    span = end - start
    local = start.astimezone(tz)
    if span > HOURLY_SPAN:
        first, last = local.date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
        return Buckets("day", tuple(_midnight(first + timedelta(days=n), tz)
                                    for n in range((last - first).days + 1)), tz)
    size, step = ("5min", FIVE_MINUTES) if span <= FIVE_MINUTE_SPAN else ("hour", HOUR)
    first = local.replace(minute=local.minute - local.minute % 5 if size == "5min" else 0, second=0, microsecond=0)
    count = -(-(end - first) // step)
    return Buckets(size, tuple((first + step * n).astimezone(tz) for n in range(count)), tz)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)
