"""Who gets which alerts: a person's own choice, else their role's
default, else everything on every channel. Quiet hours and the digest hour
are local times in the person's time zone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.models import ALERT_KINDS, ALERT_SCOPES, ROLES, Agent, AlertPreference, Ticket

# The channels a person can choose; "digest" is not one, it is `digest`.
PERSON_CHANNELS = ("web", "email", "slack")
# Alerts that still reach a manager or admin in their quiet hours: a
# missed target needs someone to act now.
URGENT_KINDS = ("breached", "escalated")
URGENT_ROLES = ("manager", "admin")
SLACK_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Preferences:
    channels: tuple[str, ...] = PERSON_CHANNELS
    kinds: tuple[str, ...] = ALERT_KINDS
    scope: str = "all"
    slack_user: str | None = None
    timezone: str = "UTC"
    digest: bool = False
    digest_hour: int = 8
    quiet_from: str | None = None
    quiet_until: str | None = None
    # Where these came from: "own", "role" or "default".
    source: str = field(default="default", compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def wants(self, kind: str, ticket: Ticket | None, agent: Agent) -> bool:
        """Whether the person hears of this occasion at all (on any channel).
        Kinds a person cannot choose (none yet beyond ALERT_KINDS) always go."""
        if kind in ALERT_KINDS and kind not in self.kinds:
            return False
        if ticket is None or self.scope == "all":
            return True
        if self.scope == "team":
            return ticket.team == agent.team
        return ticket.assignee_id == agent.id

    def quiet_until_time(self, now: datetime, kind: str, role: str) -> datetime | None:
        """When the quiet window `now` falls in ends (UTC), or None when
        `now` is not in quiet hours or this alert goes through them."""
        if self.quiet_from is None or self.quiet_until is None:
            return None
        if kind in URGENT_KINDS and role in URGENT_ROLES:
            return None
        local = now.astimezone(self.zone)
        start, end = _time(self.quiet_from), _time(self.quiet_until)
        clock = local.time().replace(tzinfo=None)
        if start == end:
            return None
        overnight = start > end
        inside = (clock >= start or clock < end) if overnight else start <= clock < end
        if not inside:
            return None
        end_day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
        return _local_moment(end_day, end, self.zone).astimezone(now.tzinfo)

    def digest_moment(self, now: datetime) -> datetime:
        """The latest digest time at or before `now` (UTC)."""
        local = now.astimezone(self.zone)
        moment = _local_moment(local.date(), time(self.digest_hour), self.zone)
        if moment > local:
            moment = _local_moment(local.date() - timedelta(days=1), time(self.digest_hour), self.zone)
        return moment.astimezone(now.tzinfo)


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _local_moment(day, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in `zone`; one the clocks skip is taken
    as the moment after the gap (what fold=0 then gives, normalised)."""
    moment = datetime.combine(day, at, tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC")).astimezone(zone)


def preferences_of(row: AlertPreference | None, source: str) -> Preferences:
    if row is None:
        return Preferences()
    return Preferences(channels=tuple(c for c in PERSON_CHANNELS if c in row.channels),
                       kinds=tuple(k for k in ALERT_KINDS if k in row.kinds), scope=row.scope,
                       slack_user=row.slack_user, timezone=row.timezone, digest=row.digest,
                       digest_hour=row.digest_hour, quiet_from=row.quiet_from, quiet_until=row.quiet_until,
                       source=source)


def preferences_for(session: Session, agents: Iterable[Agent]) -> dict[int, Preferences]:
    """Each agent's preferences in force, in two queries whatever their number."""
    agents = list(agents)
    if not agents:
        return {}
    rows = session.scalars(select(AlertPreference).where(or_(
        AlertPreference.agent_id.in_([a.id for a in agents]),
        AlertPreference.role.in_({a.role for a in agents})))).all()
    own = {r.agent_id: r for r in rows if r.agent_id is not None}
    by_role = {r.role: r for r in rows if r.role is not None}
    found = {}
    for agent in agents:
        if agent.id in own:
            found[agent.id] = preferences_of(own[agent.id], "own")
        else:
            found[agent.id] = preferences_of(by_role.get(agent.role), "role" if agent.role in by_role else "default")
    return found


def role_defaults(session: Session) -> dict[str, Preferences]:
    rows = {r.role: r for r in session.scalars(select(AlertPreference).where(AlertPreference.role.is_not(None)))}
    return {role: preferences_of(rows.get(role), "role" if role in rows else "default") for role in ROLES}


def parse_preferences(form: Mapping[str, object], *, person: bool = True) -> Preferences:
    """A form's or JSON body's choices, checked; Refused (400) names the
    first bad one. Lists come as lists; checkboxes as lists of values.
    A role's default names no Slack member: Slack reaches only the people
    who gave theirs."""
    channels = _choices(form, "channels", PERSON_CHANNELS)
    kinds = _choices(form, "kinds", ALERT_KINDS)
    scope = _text(form, "scope") or "all"
    if scope not in ALERT_SCOPES:
        raise Refused(f"scope must be one of {', '.join(ALERT_SCOPES)}", 400)
    slack_user = (_text(form, "slack_user") or None) if person else None
    if slack_user is not None and not SLACK_MEMBER_ID.match(slack_user):
        raise Refused("slack_user must be a Slack member ID such as U012AB3CD (in Slack: profile, ⋮, "
                      "Copy member ID)", 400)
    if person and "slack" in channels and slack_user is None:
        raise Refused("Slack alerts need your Slack member ID", 400)
    zone = _text(form, "timezone") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"timezone {zone!r} is not a time zone name such as Europe/London", 400) from None
    digest = _flag(form, "digest")
    digest_hour = _hour(form.get("digest_hour", 8))
    quiet_from, quiet_until = _text(form, "quiet_from") or None, _text(form, "quiet_until") or None
    for name, value in (("quiet_from", quiet_from), ("quiet_until", quiet_until)):
        if value is not None and not TIME_OF_DAY.match(value):
            raise Refused(f"{name} must be a time of day such as 22:00", 400)
    if (quiet_from is None) != (quiet_until is None):
        raise Refused("quiet hours need both a start and an end (or neither)", 400)
    if quiet_from is not None and quiet_from == quiet_until:
        raise Refused("quiet hours must start and end at different times", 400)
    return Preferences(channels=channels, kinds=kinds, scope=scope, slack_user=slack_user, timezone=zone,
                       digest=digest, digest_hour=digest_hour, quiet_from=quiet_from, quiet_until=quiet_until)


def _choices(form: Mapping[str, object], name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Refused(f"{name} must be a list of {', '.join(allowed)}", 400)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise Refused(f"{name}: {unknown[0]!r} is not one of {', '.join(allowed)}", 400)
    return tuple(v for v in allowed if v in values)


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(f"{name} must be text", 400)
    return value.strip()


def _flag(form: Mapping[str, object], name: str) -> bool:
    value = form.get(name, False)
    if isinstance(value, bool):
        return value
    return value in ("on", "1", "true", "yes")


def _hour(value: object) -> int:
    try:
        hour = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
        raise Refused("digest_hour must be a whole hour from 0 to 23", 400)
    return hour


def save_preferences(session: Session, preferences: Preferences, now: datetime, *, agent: Agent | None = None,
                     role: str | None = None) -> AlertPreference:
    """Store a person's (agent) or a role's (role) choices, replacing any before."""
    if (agent is None) == (role is None):
        raise ValueError("preferences belong to one person or one role")
    if role is not None and role not in ROLES:
        raise Refused(f"there is no role {role!r}", 404)
    owner = AlertPreference.agent_id == agent.id if agent is not None else AlertPreference.role == role
    row = session.scalar(select(AlertPreference).where(owner))
    if row is None:
        row = AlertPreference(agent_id=agent.id if agent is not None else None, role=role)
        session.add(row)
    row.channels, row.kinds, row.scope = list(preferences.channels), list(preferences.kinds), preferences.scope
    row.slack_user = preferences.slack_user if agent is not None else None
    row.timezone, row.digest, row.digest_hour = preferences.timezone, preferences.digest, preferences.digest_hour
    row.quiet_from, row.quiet_until, row.updated_at = preferences.quiet_from, preferences.quiet_until, now
    session.flush()
    return row


def forget_preferences(session: Session, agent: Agent) -> bool:
    """A person goes back to their role's default; True when they had their own."""
    row = session.scalar(select(AlertPreference).where(AlertPreference.agent_id == agent.id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
