"""The managers' dashboard: response times over a period, what is at risk
right now, load per agent, volume per hour and what customers complain
about day by day; and the same figures as JSON under /api/v1/reports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, jsonify, render_template, request, url_for
from flask_login import current_user

from store.reports import agent_load, agent_names, at_risk_and_breached, corrections_report, volume_by_platform
from store.live import live_by_team
from store.queries import count_text
from store.sla_figures import GROUPINGS, TARGETS, sla_figures
from store.errors import Refused
from store.models import Agent
from store.sla import SlaClock
from store.outcomes import OUTCOME_GROUPINGS, outcomes_report
from store.trends import TREND_GROUPINGS, trends
from web.access import hidden_teams
from web.api import authenticate_token, token_agent
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, services
from web.filters import SOON
from web.exports import csv_response
from web.formatting import NO_TOPIC, duration_text, platform_label, query_datetime, topic_label
from web.serialize import iso

bp = Blueprint("dashboard", __name__)
bp.before_request(require_login)
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")

LEAD_ROLES = ("senior", "manager", "admin")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
PERIOD_NAMES = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
API_PERIOD = timedelta(days=7)
REFRESH_SECONDS = 15
NO_KEY = {"agent": "unassigned", "topic": NO_TOPIC}
BUCKET_NAMES = {"5min": "5 minutes", "hour": "hour", "day": "day"}
TARGET_NAMES = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}
SLA_CSV_FIGURES = ("due", "met", "missed", "achievement", "not_yet_due", "median_min", "median_at_least", "p90_min",
                   "p90_at_least", "waiting")
TREND_CSV_FIGURES = ("mentions", "negative", "needed_response", "needed_response_share")
MOMENT_FORMS = "an ISO 8601 date or date-time, such as 2026-01-05 or 2026-01-05T09:00:00Z"


def grouping_of(args: Mapping[str, str], allowed: tuple[str, ...] = GROUPINGS, default: str = "platform") -> str:
    group_by = args.get("group_by") or default
    if group_by not in allowed:
        raise Refused(f"'group_by' must be one of {', '.join(allowed)}", 400)
    return group_by


def period_of(args: Mapping[str, str], current: datetime, tz: tzinfo, default: timedelta) -> tuple[datetime, datetime]:
    """[start, end) in UTC from `from` and `to`, else the `default` span up to now.

    Dates and date-times without an offset are local time; a `to` date
    includes that whole day."""
    raw_from, raw_to = args.get("from") or None, args.get("to") or None
    end = current if raw_to is None else _moment("to", raw_to, tz, end_of_day=True)
    try:
        start = end - default if raw_from is None else _moment("from", raw_from, tz, end_of_day=False)
    except OverflowError:
        raise Refused(f"'to' must be {MOMENT_FORMS}", 400) from None
    if start >= end:
        raise Refused("'from' must be before 'to'", 400)
    return start, end


def page_period(args: Mapping[str, str], current: datetime, tz: tzinfo) -> tuple[datetime, datetime, str | None]:
    """The page's period: `from`/`to` when given (and the period's name is
    None), else one of PERIODS, by default the last 24 hours."""
    period = args.get("period") or "24h"
    if period not in PERIODS:
        raise Refused(f"'period' must be one of {', '.join(PERIODS)}", 400)
    start, end = period_of(args, current, tz, PERIODS[period])
    custom = bool(args.get("from") or args.get("to"))
    return start, end, None if custom else period


def _moment(name: str, value: str, tz: tzinfo, *, end_of_day: bool) -> datetime:
    try:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            moment = query_datetime(value)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        else:
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), tz)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise Refused(f"'{name}' must be {MOMENT_FORMS}", 400) from None


def _zone() -> ZoneInfo:
    return ZoneInfo(services().settings.web.timezone)


def _require_lead(role: str) -> None:
    if role not in LEAD_ROLES:
        abort(403, description="The dashboard is for senior agents, managers and admins.")


def _now_figures(current: datetime, reader: Agent) -> dict[str, Any]:
    """What `reader` may see of the teams' live figures and the tickets at
    risk or breached, and each agent's load."""
    session = db_session()
    settings = services().settings
    hidden = hidden_teams(reader, settings)
    at_risk = at_risk_and_breached(session, current, settings.sla.at_risk_share, SlaClock(settings),
                                   hidden_teams=hidden)
    return {
        "at": current,
        "teams": live_by_team(session, current, SOON, hidden),
        "at_risk_and_breached": at_risk.items,
        "at_risk_and_breached_total": at_risk.total,
        "at_risk_and_breached_total_exact": at_risk.total_exact,
        "agent_load": agent_load(session),
    }


def _team_json(row: dict[str, Any], current: datetime) -> dict[str, Any]:
    """A team's live figures with the inbox links that list them."""
    oldest = row["oldest"]
    return {
        **row,
        "oldest": oldest and {"ticket_id": oldest["ticket_id"], "since": iso(oldest["since"]),
                              "waiting_min": int((current - oldest["since"]).total_seconds() // 60),
                              "url": url_for("tickets.show", ticket_id=oldest["ticket_id"])},
        "links": {"open": url_for("inbox.inbox", team=row["team"]),
                  "breaching": url_for("inbox.inbox", team=row["team"], due="breached"),
                  "at_risk": url_for("inbox.inbox", team=row["team"], due="soon")},
    }


def _now_json(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": iso(figures["at"]),
        "teams": [_team_json(row, figures["at"]) for row in figures["teams"]],
        "at_risk_and_breached": [
            {**item, "due_at": iso(item["due_at"]), "url": url_for("tickets.show", ticket_id=item["ticket_id"])}
            for item in figures["at_risk_and_breached"]
        ],
        "at_risk_and_breached_total": figures["at_risk_and_breached_total"],
        "at_risk_and_breached_total_exact": figures["at_risk_and_breached_total_exact"],
        "agent_load": figures["agent_load"],
    }


@bp.get("/dashboard")
def dashboard():
    """`period` or `from`/`to` choose the period, `group_by` the tab."""
    reader = signed_in_agent()
    _require_lead(reader.role)
    current, tz = now(), _zone()
    error = None
    try:
        group_by = grouping_of(request.args)
        target = target_of(request.args)
        start, end, period = page_period(request.args, current, tz)
    except Refused as bad:
        error, group_by, target, period = bad.message, "platform", TARGETS[0], "24h"
        start, end = current - PERIODS[period], current
    session = db_session()
    figures = sla_figures(session, start, end, current, group_by)
    groups = figures["groups"]
    outcomes_by = request.args.get("outcomes_by") if request.args.get("outcomes_by") in OUTCOME_GROUPINGS else "agent"
    names = agent_names(session) if "agent" in (group_by, outcomes_by) else {}
    labels = {group["key"]: _label(group["key"], group_by, names) for group in groups}
    volume = volume_by_platform(session, start, end, tz, now=current)
    by_topic = trends(session, start, end, "topic", tz, now=current)
    page = render_template(
        "dashboard.html",
        error=error,
        group_by=group_by,
        groupings=GROUPINGS,
        target=target,
        targets=TARGET_NAMES,
        total=figures["total"],
        export_period={"from": iso(start), "to": iso(end)},
        bucket_names=BUCKET_NAMES,
        period=period,
        periods=PERIOD_NAMES,
        chosen={key: request.args.get(key, "") for key in ("from", "to")} if period is None else {},
        start=start,
        end=end,
        timezone=tz.key,
        groups=groups,
        labels=labels,
        volume=volume,
        trends=by_topic,
        outcomes=outcomes_report(session, start, end, outcomes_by, now=current),
        corrections=corrections_report(session, start, end, current),
        outcomes_by=outcomes_by,
        outcome_groupings=OUTCOME_GROUPINGS,
        names=names,
        charts=_charts(groups, labels, target, volume, by_topic),
        live=_now_json(_now_figures(current, reader)),
        live_at=current,
        refresh_seconds=REFRESH_SECONDS,
    )
    return page, 400 if error else 200


def target_of(args: Mapping[str, str]) -> str:
    target = args.get("target") or TARGETS[0]
    if target not in TARGETS:
        raise Refused(f"'target' must be one of {', '.join(TARGETS)}", 400)
    return target


def _label(key: str | None, group_by: str, names: dict[str, str]) -> str:
    if key is None:
        return NO_KEY.get(group_by, "none")
    if group_by == "agent":
        return names.get(key, key)
    return platform_label(key) if group_by == "platform" else key


def _charts(groups: list[dict[str, Any]], labels: dict[str | None, str], target: str, volume: dict[str, Any],
            by_topic: dict[str, Any]) -> dict[str, Any]:
    """What the page's script draws, from the same figures as the tables
    (the trends table adds up the buckets the chart shows)."""
    shares = [group[target]["achievement"] for group in groups]
    return {
        "within_target": {
            "labels": [labels[group["key"]] for group in groups],
            "values": [None if share is None else round(share * 100, 1) for share in shares],
        },
        "volume": {
            "labels": volume["buckets"],
            "datasets": [{"label": platform_label(row["platform"]), "data": row["tickets"]}
                         for row in volume["platforms"]],
        },
        "negative_by_topic": {
            "labels": by_topic["buckets"],
            "datasets": [{"label": topic_label(group["key"]), "data": group["negative"]}
                         for group in by_topic["groups"]],
        },
    }


@bp.app_template_filter("count_text")
def count_text_filter(total: int, exact: bool = True) -> str:
    return count_text(total, exact)


@bp.app_template_filter("minutes_text")
def minutes_text(minutes: float) -> str:
    return duration_text(timedelta(minutes=minutes))


@api_bp.before_request
def authenticate() -> None:
    """A token, as for the rest of the API; the dashboard's own script sends
    its sign-in cookie instead. Either way, reports are for leads only."""
    if "Authorization" not in request.headers and current_user.is_authenticated:
        g.api_agent = signed_in_agent()
    else:
        authenticate_token()
    if token_agent().role not in LEAD_ROLES:
        abort(403, description="reports are for senior agents, managers and admins")


@api_bp.get("/sla")
def sla():
    """Each target's figures per group and in total; see store.sla_figures.
    `from` and `to` as in period_of (default: the last 7 days), `group_by`
    one of GROUPINGS (default: platform)."""
    group_by = grouping_of(request.args)
    current = now()
    start, end = period_of(request.args, current, _zone(), API_PERIOD)
    figures = sla_figures(db_session(), start, end, current, group_by)
    return jsonify({"from": iso(start), "to": iso(end), "group_by": group_by, **figures})


@api_bp.get("/sla.csv")
def sla_csv():
    """The figures of /sla as CSV: one line per group and target, then the totals."""
    group_by = grouping_of(request.args)
    current = now()
    start, end = period_of(request.args, current, _zone(), API_PERIOD)
    figures = sla_figures(db_session(), start, end, current, group_by)
    rows = [(group_by, group["key"], target, *(group[target].get(column) for column in SLA_CSV_FIGURES))
            for group in figures["groups"] for target in TARGETS]
    rows += [("all", None, target, *(figures["total"][target].get(column) for column in SLA_CSV_FIGURES))
             for target in TARGETS]
    return csv_response(f"sla-{start:%Y%m%d%H%M}-{end:%Y%m%d%H%M}.csv",
                        ("group_by", "key", "target", *SLA_CSV_FIGURES), rows)


@api_bp.get("/volume.csv")
def volume_csv():
    """Tickets raised and mentions written per platform and time bucket, as CSV."""
    tz = _zone()
    current = now()
    start, end = period_of(request.args, current, tz, API_PERIOD)
    volume = volume_by_platform(db_session(), start, end, tz, now=current)
    rows = ((label, row["platform"], row["tickets"][n], row["mentions"][n])
            for n, label in enumerate(volume["buckets"]) for row in volume["platforms"])
    return csv_response(f"volume-{start:%Y%m%d%H%M}-{end:%Y%m%d%H%M}.csv",
                        (f"{volume['bucket']} ({tz.key})", "platform", "tickets", "mentions"), rows)


@api_bp.get("/trends")
def trends_report():
    """Mentions, negative mentions and mentions that needed a response per
    time bucket and group; see store.trends.trends. `from` and `to` as in
    period_of (default: the last 7 days), `group_by` topic (the default) or
    platform."""
    tz = _zone()
    group_by = grouping_of(request.args, TREND_GROUPINGS, "topic")
    current = now()
    start, end = period_of(request.args, current, tz, API_PERIOD)
    report = trends(db_session(), start, end, group_by, tz, now=current)
    return jsonify({"from": iso(start), "to": iso(end), "group_by": group_by, "timezone": tz.key, **report})


@api_bp.get("/trends.csv")
def trends_csv():
    """The trends of /trends as CSV, bucketed as the dashboard shows them:
    one line per time bucket and group, streamed as it is written."""
    tz = _zone()
    group_by = grouping_of(request.args, TREND_GROUPINGS, "topic")
    current = now()
    start, end = period_of(request.args, current, tz, API_PERIOD)
    report = trends(db_session(), start, end, group_by, tz, now=current)
    return csv_response(f"trends-{start:%Y%m%d%H%M}-{end:%Y%m%d%H%M}.csv",
                        (f"{report['bucket']} ({tz.key})", group_by, *TREND_CSV_FIGURES), trend_rows(report))


def trend_rows(report: dict) -> Iterator[tuple]:
    """One row per bucket and group, in time order, made as they are written."""
    for n, label in enumerate(report["buckets"]):
        for group in report["groups"]:
            yield (label, group["key"], *(group[figure][n] for figure in TREND_CSV_FIGURES))


@api_bp.get("/outcomes")
def outcomes():
    """Follow-up answer rate, satisfied and unsatisfied answers, reopen rate
    and customers turned from negative to positive; see
    store.outcomes.outcomes_report. `from` and `to` as in period_of
    (default: the last 7 days), `group_by` agent (the default), team,
    platform or topic."""
    group_by = grouping_of(request.args, OUTCOME_GROUPINGS, "agent")
    current = now()
    start, end = period_of(request.args, current, _zone(), API_PERIOD)
    groups = outcomes_report(db_session(), start, end, group_by, now=current)
    return jsonify({"from": iso(start), "to": iso(end), "group_by": group_by, "groups": groups})


@api_bp.get("/corrections")
def corrections():
    """How often agents overruled the scorer, per platform and per topic;
    see store.reports.corrections_report. `from` and `to` as in period_of
    (default: the last 7 days)."""
    current = now()
    start, end = period_of(request.args, current, _zone(), API_PERIOD)
    return jsonify({"from": iso(start), "to": iso(end), **corrections_report(db_session(), start, end, current)})


@api_bp.get("/now")
def now_report():
    """Per team: open, breaching and soon-due counts and the longest wait
    with inbox links; the tickets at risk or breached now, the most overdue
    first (AT_RISK_SHOWN at most, with their total); each agent's load."""
    return jsonify(_now_json(_now_figures(now(), token_agent())))
