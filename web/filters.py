"""Ticket filters from a query string, shared by the inbox and the API.
A bad value is refused with the parameter's name and what it allows."""

from __future__ import annotations

from collections.abc import Mapping

from config.settings import PLATFORMS
from store.models import OPEN_STATUSES, PRIORITIES, TICKET_STATUSES
from store.queries import TicketFilter

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadFilter(ValueError):
    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = f"{param}: {message}"


def ticket_filter(args: Mapping[str, str], *, me: int) -> TicketFilter:
    """`status`, `priority` and `platform` take one value or a comma-separated
    list; `assignee` takes an agent id, `me` or `none`. Empty means any."""
    assignee = (args.get("assignee") or "").strip().lower()
    assignee_id, unassigned = None, False
    if assignee == "none":
        unassigned = True
    elif assignee == "me":
        assignee_id = me
    elif assignee:
        if not (assignee.isascii() and assignee.isdigit()):
            raise BadFilter("assignee", f"{assignee!r} is not allowed; use an agent id, 'me' or 'none'")
        assignee_id = int(assignee)
    return TicketFilter(
        statuses=_choices(args, "status", TICKET_STATUSES) or OPEN_STATUSES,
        priorities=_choices(args, "priority", PRIORITIES),
        platforms=_choices(args, "platform", PLATFORMS),
        assignee_id=assignee_id,
        unassigned=unassigned,
    )


def page_of(args: Mapping[str, str]) -> tuple[int, int]:
    """`limit` (1 to 200, default 50) and `offset` (0 or more)."""
    limit = _whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _whole_number(args, "offset", 0, 0, None)
    return limit, offset


def _choices(args: Mapping[str, str], param: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    raw = args.get(param) or ""
    values = tuple(dict.fromkeys(v.strip().lower() for v in raw.split(",") if v.strip()))
    for value in values:
        if value not in allowed:
            raise BadFilter(param, f"{value!r} is not allowed; use one or more of {', '.join(allowed)}")
    return values


def _whole_number(args: Mapping[str, str], param: str, default: int, low: int, high: int | None) -> int:
    raw = (args.get(param) or "").strip()
    if not raw:
        return default
    allowed = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")
    if not (raw.isascii() and raw.isdigit()):
        raise BadFilter(param, f"{raw!r} is not allowed; use {allowed}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise BadFilter(param, f"{value} is not allowed; use {allowed}")
    return value
