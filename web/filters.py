"""Ticket filters from a query string, shared by the inbox and the API,
and the checks every query string and form passes. A bad value is refused
with the parameter's name and what it allows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import request

from config.platforms import PLATFORMS
from store.models import OPEN_STATUSES, PRIORITIES, TICKET_STATUSES
from store.errors import Refused
from store.queries import Cursor, TicketFilter

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Tickets deeper than this are paged by cursor: an offset reads every
# ticket it skips.
MAX_TICKET_OFFSET = 1000
MAX_TEXT = 200
# The largest id and offset the database's integers hold.
MAX_ID = 2**31 - 1
MIN_INT = -(2**31)
NO_TOPIC = "none"
# `due=soon`: the running target comes due within this long.
SOON = timedelta(minutes=15)
DUE_CHOICES = ("breached", "soon")


def bad_param(param: str, message: str) -> Refused:
    return Refused(f"{param}: {message}", 400)


def ticket_filter(args: Mapping[str, str], *, me: int, topics: tuple[str, ...] = (),
                  now: datetime | None = None) -> TicketFilter:
    """`status`, `priority`, `platform` and `topic` (one of `topics`) take one
    value or a comma-separated list; `assignee` takes an agent id, `me` or
    `none`; `q` is text to find; `team` takes team names; `due` is breached
    (the running target is past due) or soon (due within SOON). Empty means
    any. With `now`, snoozed tickets are left out, or only they are listed
    with `snoozed=1`."""
    assignee = (args.get("assignee") or "").strip().lower()
    assignee_id, unassigned = None, False
    if assignee == "none":
        unassigned = True
    elif assignee == "me":
        assignee_id = me
    elif assignee:
        if not (assignee.isascii() and assignee.isdigit()) or int(assignee) > MAX_ID:
            raise bad_param("assignee", f"{assignee!r} is not allowed; use an agent id, 'me' or 'none'")
        assignee_id = int(assignee)
    text = (args.get("q") or "").strip()
    if len(text) > MAX_TEXT:
        raise bad_param("q", f"search for at most {MAX_TEXT} characters")
    teams = tuple(dict.fromkeys(t.strip() for t in (args.get("team") or "").split(",") if t.strip()))
    if any(len(team) > MAX_TEXT for team in teams):
        raise bad_param("team", f"a team's name has at most {MAX_TEXT} characters")
    due = choices(args, "due", DUE_CHOICES) if now is not None else ()
    return TicketFilter(
        teams=teams,
        due_from=now if due == ("soon",) else None,
        due_until=(now + SOON if "soon" in due else now) if due else None,
        statuses=choices(args, "status", TICKET_STATUSES) or OPEN_STATUSES,
        priorities=choices(args, "priority", PRIORITIES),
        platforms=choices(args, "platform", PLATFORMS),
        topics=tuple(None if t == NO_TOPIC else t for t in choices(args, "topic", topics + (NO_TOPIC,))),
        assignee_id=assignee_id,
        unassigned=unassigned,
        text=text,
        now=now,
        snoozed=args.get("snoozed") in ("1", "true"),
    )


def refuse_nul_characters() -> None:
    """A before_request hook: no query or form value may hold a NUL
    character, which the databases' text columns cannot store. Webhooks
    are left to their own parsers."""
    if request.path.startswith("/webhooks/"):
        return
    for name, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        if "\x00" in name or "\x00" in value:
            raise bad_param(name.replace("\x00", ""), "a NUL character is not allowed")


def unstorable(value: object, where: str = "body") -> str | None:
    """Why a parsed JSON value cannot reach the database (a NUL character
    in a string, a whole number beyond its integers), or None."""
    if isinstance(value, str):
        return f"{where}: a NUL character is not allowed" if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{where}: use a whole number from {MIN_INT} to {MAX_ID}" if not MIN_INT <= value <= MAX_ID else None
    if isinstance(value, dict):
        found = (unstorable(key, where) or unstorable(item, f"{where}.{key}") for key, item in value.items())
    elif isinstance(value, list):
        found = (unstorable(item, f"{where}[{n}]") for n, item in enumerate(value))
    else:
        return None
    return next((why for why in found if why), None)


def page_of(args: Mapping[str, str]) -> tuple[int, int]:
    """`limit` (1 to 200, default 50) and `offset` (0 or more)."""
    limit = whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = whole_number(args, "offset", 0, 0, MAX_ID)
    return limit, offset


def ticket_page_of(args: Mapping[str, str]) -> tuple[int, int, Cursor | None]:
    """`limit` as in page_of, and where the page starts: `offset` (0 to
    MAX_TICKET_OFFSET) or `cursor` (a page's `next_cursor`), not both."""
    limit = whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    raw_offset = (args.get("offset") or "").strip()
    if raw_offset.isascii() and raw_offset.isdigit() and int(raw_offset) > MAX_TICKET_OFFSET:
        raise bad_param("offset", f"at most {MAX_TICKET_OFFSET}; page on with the 'cursor' each page gives "
                                  "as 'next_cursor'")
    offset = whole_number(args, "offset", 0, 0, MAX_TICKET_OFFSET)
    return limit, offset, cursor_of(args, offset)


def cursor_of(args: Mapping[str, str], offset: int = 0) -> Cursor | None:
    """`cursor`: where the page before ended, as that page gave it."""
    raw = (args.get("cursor") or "").strip()
    if not raw:
        return None
    if offset:
        raise bad_param("cursor", "give 'cursor' or 'offset', not both")
    try:
        return Cursor.decode(raw)
    except ValueError as bad:
        raise bad_param("cursor", f"{bad}; use the 'next_cursor' of a page") from None


def choices(args: Mapping[str, str], param: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """`param`'s comma-separated values, each one of `allowed`, the
    parameter given once or repeated; empty means any."""
    raw = ",".join(args.getlist(param)) if hasattr(args, "getlist") else args.get(param) or ""
    values = tuple(dict.fromkeys(v.strip().lower() for v in raw.split(",") if v.strip()))
    for value in values:
        if value not in allowed:
            raise bad_param(param, f"{value!r} is not allowed; use one or more of {', '.join(allowed)}")
    return values


def whole_number(args: Mapping[str, str], param: str, default: int, low: int, high: int) -> int:
    raw = (args.get(param) or "").strip()
    if not raw:
        return default
    allowed = f"a whole number from {low} to {high}"
    if not (raw.isascii() and raw.isdigit()):
        raise bad_param(param, f"{raw!r} is not allowed; use {allowed}")
    value = int(raw)
    if value < low or value > high:
        raise bad_param(param, f"{value} is not allowed; use {allowed}")
    return value
