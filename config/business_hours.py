"""Business hours: when a team is open, and how much open time lies between
two moments, so response-time targets can count only the hours a team works.

Opening times are wall-clock times in the team's time zone: 09:00 is 09:00
local on both sides of a daylight-saving change, so a change-day's business
hours keep their wall-clock intervals while the day itself has 23 or 25 hours.
Each wall-clock boundary is read as the first moment the local clock shows
that time or a later one:

- a time skipped when clocks go forward (01:30 in London on the spring
  change day) is the moment of the change, so an interval 01:00-03:00 that
  day is one hour long and one lying wholly in the gap is closed;
- a time repeated when clocks go back is its first occurrence, so an interval
  spanning the repeated hour is an hour longer, and one ending inside it ends
  the first time the clock shows its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

END_OF_DAY = time.max
"""The end of an interval that runs to midnight, written 24:00 in specs."""

MAX_CLOSED_DAYS = 366
"""How far ahead to look for an opening before giving up."""

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_KEYS = {name: day for day, name in enumerate(DAY_NAMES)} | {name[:3]: day for day, name in enumerate(DAY_NAMES)}
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ALLOWED_KEYS = "timezone, holidays, monday..sunday or mon..sun"

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class BusinessHours:
    """A team's open hours. `hours` maps a weekday (0 is Monday) to that local
    day's open intervals, sorted and not overlapping; an interval ending at
    midnight ends at END_OF_DAY. Holidays are local dates closed all day."""

    timezone: str
    hours: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        for day, intervals in self.hours.items():
            if day not in range(7):
                raise ValueError(f"hours: {day!r} is not a weekday; allowed: 0 (Monday) to 6 (Sunday)")
            previous = None
            for start, end in intervals:
                text = _format_interval(start, end)
                if end == start:
                    raise ValueError(f"{DAY_NAMES[day]}: {text!r} is empty; an interval must end after it starts")
                if end < start:
                    raise ValueError(f"{DAY_NAMES[day]}: {text!r} ends before it starts; an interval must end "
                                     "after it starts on the same day (write 24:00 for midnight)")
                if previous is not None and start < previous[1]:
                    raise ValueError(f"{DAY_NAMES[day]}: {text!r} overlaps {_format_interval(*previous)!r}; "
                                     "intervals on one day must not overlap")
                previous = (start, end)
        if not any(self.hours.values()):
            raise ValueError("business hours: no open hours on any day of the week; "
                             "give at least one day, e.g. monday: ['09:00-17:00']")

    @classmethod
    def from_spec(cls, spec: Mapping) -> BusinessHours:
        """Read hours from config such as {"timezone": "Europe/London",
        "monday": ["09:00-17:30"], "holidays": ["2026-12-25"]}. Missing days
        are closed; a day's intervals may be given in any order."""
        if not isinstance(spec, Mapping):
            raise ValueError(f"business hours: {spec!r} is not a mapping of {_ALLOWED_KEYS}")
        if "timezone" not in spec:
            raise ValueError("timezone: missing; give an IANA time zone such as 'Europe/London'")
        hours: dict[int, tuple[tuple[time, time], ...]] = {}
        given_as: dict[int, str] = {}
        for key, value in spec.items():
            if key in ("timezone", "holidays"):
                continue
            day = _DAY_KEYS.get(key.lower()) if isinstance(key, str) else None
            if day is None:
                raise ValueError(f"{key!r} is not a business-hours field; allowed: {_ALLOWED_KEYS}")
            if day in given_as:
                raise ValueError(f"{DAY_NAMES[day]}: given twice, as {given_as[day]!r} and {key!r}")
            given_as[day] = key
            hours[day] = _parse_intervals(key, value)
        return cls(timezone=spec["timezone"], hours=hours, holidays=_parse_holidays(spec.get("holidays", [])))

    def _open_spans(self, after: datetime, until: datetime | None = None) -> Iterator[Span]:
        """Yield the open spans, in UTC and in order, that end after `after`
        and, given `until`, open before it. Without `until`, raise ValueError
        when no span opens within MAX_CLOSED_DAYS."""
        zone = _zone(self.timezone)
        last_open_day = after.astimezone(zone).date()
        day = last_open_day - timedelta(days=1)
        last_day = None if until is None else until.astimezone(zone).date() + timedelta(days=1)
        while last_day is None or day <= last_day:
            for opens, closes in self._spans_on(day, zone):
                if closes > after and (until is None or opens < until):
                    last_open_day = day
                    yield opens, closes
            if until is None and (day - last_open_day).days > MAX_CLOSED_DAYS:
                raise ValueError(f"no business hours within {MAX_CLOSED_DAYS} days after {last_open_day} "
                                 f"in {self.timezone}; check the holidays")
            day += timedelta(days=1)

    def _spans_on(self, day: date, zone: ZoneInfo) -> list[Span]:
        """The day's open spans in UTC; an interval wholly inside a skipped hour has none."""
        if day in self.holidays:
            return []
        spans = []
        for start, end in self.hours.get(day.weekday(), ()):
            opens = _first_instant(day, start, zone)
            closes = _first_instant(day, end, zone)
            if opens < closes:
                spans.append((opens, closes))
        return spans


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours | None) -> datetime:
    """The moment, in UTC, when `duration` of business time has passed since
    `start`; counting begins at the next opening when `start` is closed.
    `hours` None means open around the clock."""
    start = _as_utc("start", start)
    if duration < timedelta(0):
        raise ValueError(f"duration: {duration!r} is negative; allowed: zero or more")
    if hours is None:
        return start + duration
    spans = hours._open_spans(start)
    remaining = duration
    while True:
        opens, closes = next(spans)
        opens = max(opens, start)
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens


def business_time_between(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """Business time from `start` to `end`; zero when `end` is not after
    `start`. `hours` None means open around the clock."""
    start = _as_utc("start", start)
    end = _as_utc("end", end)
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    return sum((min(closes, end) - max(opens, start) for opens, closes in hours._open_spans(start, end)),
               timedelta(0))


def _first_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first moment, in UTC, at which the local clock shows `wall` on
    `day` or a later time (see the module docstring)."""
    if wall == END_OF_DAY:
        day, wall = day + timedelta(days=1), time()
    local = datetime.combine(day, wall, zone)
    first = local.astimezone(UTC)
    second = local.replace(fold=1).astimezone(UTC)
    if first <= second:
        return first
    # Skipped by a forward change, which lies in (second, first]: find it.
    naive = local.replace(tzinfo=None)
    before, after = second, first
    while after - before > timedelta(microseconds=1):
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return after


def _as_utc(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name}: {value!r} is not a timezone-aware datetime")
    return value.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"timezone: {name!r} is not an IANA time zone; "
                         "allowed: names such as 'Europe/London' or 'America/New_York'") from None


def _format_interval(start: time, end: time) -> str:
    return f"{start:%H:%M}-{'24:00' if end == END_OF_DAY else format(end, '%H:%M')}"


def _parse_intervals(key: str, value: object) -> tuple[tuple[time, time], ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{key}: {value!r} is not a list of intervals such as ['09:00-17:30']")
    return tuple(sorted(_parse_interval(key, item) for item in value))


def _parse_interval(key: str, text: object) -> tuple[time, time]:
    match = _INTERVAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{key}: {text!r} is not an interval 'HH:MM-HH:MM', e.g. '09:00-17:30'")
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    if start_hour > 23 or start_minute > 59 or end_minute > 59 or end_hour > 24 or (end_hour == 24 and end_minute):
        raise ValueError(f"{key}: {text!r} has a time out of range; allowed: 00:00 to 23:59, "
                         "and 24:00 as an end")
    end = END_OF_DAY if end_hour == 24 else time(end_hour, end_minute)
    return time(start_hour, start_minute), end


def _parse_holidays(value: object) -> frozenset[date]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"holidays: {value!r} is not a list of dates (YYYY-MM-DD)")
    return frozenset(_parse_date(item) for item in value)


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"holidays: {value!r} is not a date (YYYY-MM-DD)")
