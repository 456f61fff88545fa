"""Helpers for the templates: local times, time left on a ticket, safe
links to customers' posts, platforms and handles as people read them, a
post's line of why and the activity's sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, g

from config.platforms import HANDLE_PREFIXES, LABELS
from store.errors import Refused
from store.models import Event, Mention, Reply, Ticket
from store.users import all_users
from web.activity import Reader, sentence
from web.context import db_session, now, services
from web.why import why_line

SOON_FRACTION = 0.25
ZONE_GAP = "\N{NO-BREAK SPACE}"  # a line never ends between a time and its zone


@dataclass(frozen=True)
class Due:
    """How a ticket stands against its next response-time target."""

    at: datetime
    text: str
    state: str  # "ok", "soon" (under a quarter of the target left) or "overdue"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The time in the web's zone, unnamed: a form field's value."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(services().settings.web.timezone)).strftime(fmt)


def zoned_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The time in the web's zone, named: "2026-12-03 14:05 UTC+1". Pages
    show every clock time so, for people reading them from other zones."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(services().settings.web.timezone))
    return _named(local, local.strftime(fmt))


def _named(local: datetime, shown: str) -> str:
    """`shown`, a time written from `local`, with its zone after it."""
    return f"{shown}{ZONE_GAP}{zone_label(local)}"


def zone_label(local: datetime) -> str:
    """The offset a local time is in: "UTC", "UTC+1", "UTC-3:30". One form
    for every zone, which an abbreviation is not ("CST" is three zones);
    the dashboard's script writes it the same way."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}{f':{rest:02d}' if rest else ''}"


def duration_text(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def due_of(ticket: Ticket) -> Due | None:
    due = ticket.due_at()
    if due is None:
        return None
    current = now()
    left = due - current
    if left < timedelta(0):
        return Due(due, f"{duration_text(left)} overdue", "overdue")
    window = _target_window(ticket)
    state = "soon" if window and left < window * SOON_FRACTION else "ok"
    return Due(due, f"in {duration_text(left)}", state)


def _target_window(ticket: Ticket) -> timedelta | None:
    """The full time allowed for the answer that is due now."""
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        return ticket.first_response_due_at - ticket.created_at
    minutes = services().settings.sla.next_response_minutes.for_priority(ticket.priority)
    return timedelta(minutes=minutes)


def first_line(text: str | None, width: int = 100) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 1].rstrip() + "\u2026"


def post_link(post: Mention) -> str | None:
    """Where people see the post: the page its account's settings name
    (`post_page`, the demo's emulator), else the platform's own link."""
    page = _post_page(post.platform, post.source.name if post.source else None)
    return page.replace("{id}", quote(post.external_id, safe="")) if page else external_url(post.url)


def reply_link(reply: Reply) -> str | None:
    """Where people see our posted reply, as post_link."""
    page = _post_page(reply.ticket.platform, None) if reply.platform_reply_id else None
    return page.replace("{id}", quote(reply.platform_reply_id, safe="")) if page else external_url(reply.url)


def _post_page(platform: str, source: str | None) -> str | None:
    settings = services().settings
    names = [s.account for s in settings.sources if s.name == source]
    names += [name for name, account in settings.accounts.items() if account.platform == platform]
    return next((settings.accounts[n].post_page for n in names if settings.accounts[n].post_page), None)


def external_url(url: str | None) -> str | None:
    """The url if it is a plain http(s) link, else None (never a javascript: or data: url)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


# A date-time's "+01:00" sent unencoded in a query string arrives as " 01:00".
_OFFSET_PLUS_AS_SPACE = re.compile(r"([T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def query_datetime(value: str) -> datetime:
    """An ISO 8601 date or date-time from a query string, as
    datetime.fromisoformat reads it, with an offset's '+' that the query
    string turned into a space read as the '+' it was."""
    return datetime.fromisoformat(_OFFSET_PLUS_AS_SPACE.sub(r"\1+\2", value))


def local_moment(value: str, timezone_name: str) -> datetime:
    """A date-time from a form's datetime-local field, in the web's zone, as
    UTC; refused, naming the value, when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(f"{value!r} is not a date and time", 400) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone_name))
    return moment.astimezone(timezone.utc)


NO_TOPIC = "no topic"


def topic_label(name: str | None) -> str:
    """A topic as people read it: its label in the taxonomy ("Billing or refund")."""
    return NO_TOPIC if name is None else services().settings.scoring.topic_label(name)


def short_time(value: datetime) -> str:
    """"14:02 UTC" today, "3 Dec 14:02 UTC" another day, in the web's zone."""
    zone = ZoneInfo(services().settings.web.timezone)
    local = value.astimezone(zone)
    same_day = local.date() == now().astimezone(zone).date()
    return _named(local, local.strftime("%H:%M") if same_day else f"{local.day} {local.strftime('%b %H:%M')}")


def platform_label(platform: str) -> str:
    return LABELS.get(platform, platform)


def shown_handle(platform: str, handle: str | None, beside: str | None = None) -> str:
    """"@maria_k" on X, "u/maria_k" on Reddit; "" where people go by name
    only, or when the name shown `beside` it is the handle already."""
    prefix = HANDLE_PREFIXES.get(platform)
    return f"{prefix}{handle}" if prefix is not None and handle and handle != beside else ""


def _agent_names() -> dict[str, str]:
    """Every agent's name by email, read once per request."""
    if "agent_names" not in g:
        g.agent_names = {agent.email: agent.name for agent in all_users(db_session())}
    return g.agent_names


def agent_name(email: str) -> str:
    """The name people know an agent by; the email of someone no longer on the team."""
    return _agent_names().get(email, email)


def event_sentence(event: Event) -> str:
    """The event as a sentence, naming agents by name."""
    reader = Reader(names=_agent_names(), topic=topic_label, time=short_time)
    return sentence(event.kind, event.detail, event.actor, reader)


# A short mark per platform for the inbox's platform column.
PLATFORM_MARKS = {"x": "X", "facebook": "f", "reddit": "r/", "reviews": "★", "instagram": "ig"}


def register_template_helpers(app: Flask) -> None:
    app.add_template_global(PLATFORM_MARKS, "platform_marks")
    app.add_template_global(LABELS, "platform_names")
    # Every time a page shows names its zone; a form field's value (local_time) does not.
    app.add_template_filter(zoned_time, "local_time")
    app.add_template_filter(first_line, "first_line")
    app.add_template_filter(topic_label, "topic_label")
    app.add_template_filter(short_time, "short_time")
    app.add_template_filter(platform_label, "platform_label")
    app.add_template_global(shown_handle, "shown_handle")
    app.add_template_global(why_line, "why_line")
    app.add_template_global(event_sentence, "event_sentence")
    app.add_template_global(agent_name, "agent_name")
    app.add_template_global(due_of, "due_of")
    app.add_template_global(post_link, "post_link")
    app.add_template_global(reply_link, "reply_link")
