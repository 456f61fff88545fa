"""The mentions stream's filters and page position from a query string,
shared by the page and the API. A bad value is refused with the
parameter's name and what it allows."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from config.platforms import PLATFORMS
from listener.sentiment_model import LABELS
from store.mentions import MentionFilter, Position
from web.filters import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_TEXT, NO_TOPIC, bad_param, choices, whole_number
from web.formatting import local_time, query_datetime

YES, NO = ("yes", "true", "1"), ("no", "false", "0")
MOMENT_FORMS = "an ISO 8601 date or date-time such as 2026-01-05 or 2026-01-05T09:00:00Z"
# How a datetime-local field shows a time (in the web's time zone).
FIELD_TIME = "%Y-%m-%dT%H:%M"


def mention_filter(args: Mapping[str, str], *, topics: tuple[str, ...], sources: Mapping[str, int],
                   timezone_name: str) -> MentionFilter:
    """`platform`, `sentiment`, `topic` (one of `topics`, or none) and
    `source` (a name in `sources`) take one value or a comma-separated
    list; `needs_response`, `has_ticket` and `spam` take yes or no; `q` is
    text to find; `since` (from) and `until` (before) are dates or
    date-times, in `timezone_name` when they name no zone."""
    text = (args.get("q") or "").strip()
    if len(text) > MAX_TEXT:
        raise bad_param("q", f"search for at most {MAX_TEXT} characters")
    since = _moment(args, "since", timezone_name)
    until = _moment(args, "until", timezone_name)
    if since is not None and until is not None and since >= until:
        raise bad_param("since", "must be before 'until'")
    return MentionFilter(
        platforms=choices(args, "platform", PLATFORMS),
        source_ids=tuple(sources[name] for name in _source_names(args, sources)),
        sentiments=choices(args, "sentiment", LABELS),
        needs_response=_yes_or_no(args, "needs_response"),
        topics=tuple(None if t == NO_TOPIC else t for t in choices(args, "topic", topics + (NO_TOPIC,))),
        has_ticket=_yes_or_no(args, "has_ticket"),
        spam=_yes_or_no(args, "spam"),
        text=text,
        since=since,
        until=until,
    )


def left_without_ticket(since: datetime) -> dict[str, str]:
    """The query for the posts since then that a team should sweep: those
    left without a ticket, spam aside."""
    return {"has_ticket": "no", "spam": "no", "since": local_time(since, FIELD_TIME)}


def limit_of(args: Mapping[str, str]) -> int:
    """`limit`: 1 to 200, default 50."""
    return whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def cursor_of(position: Position | None) -> str | None:
    """Where the next page starts, as the opaque `cursor` to send for it."""
    if position is None:
        return None
    raw = f"{position.created_at.astimezone(timezone.utc).isoformat()}|{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def position_of(args: Mapping[str, str]) -> Position | None:
    """The page position named by `cursor`, as `cursor_of` wrote it."""
    cursor = (args.get("cursor") or "").strip()
    if not cursor:
        return None
    try:
        moment, _, number = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        position = Position(datetime.fromisoformat(moment), int(number))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        position = None
    if position is None or position.created_at.tzinfo is None or not 0 < position.id <= MAX_ID:
        raise bad_param("cursor", "is not one this listing gave; start again without it")
    return position


def _source_names(args: Mapping[str, str], sources: Mapping[str, int]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in (args.get("source") or "").split(",") if n.strip()))
    for name in names:
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none configured"
            raise bad_param("source", f"{name!r} is not a source; use one or more of {known}")
    return names


def _yes_or_no(args: Mapping[str, str], param: str) -> bool | None:
    raw = (args.get(param) or "").strip().lower()
    if not raw:
        return None
    if raw not in YES + NO:
        raise bad_param(param, f"{raw!r} is not allowed; use yes or no")
    return raw in YES


def _moment(args: Mapping[str, str], param: str, timezone_name: str) -> datetime | None:
    raw = (args.get(param) or "").strip()
    if not raw:
        return None
    try:
        moment = query_datetime(raw)
        return (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone_name))).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise bad_param(param, f"{raw[:40]!r} is not {MOMENT_FORMS}") from None
