"""What customers write about over time: mentions per time bucket (5
minutes, hour or local day, as fits the period) and topic (or platform),
how many were negative and how many needed an answer. Counted per quarter
hour in the database, folded into the buckets in Python so that it reads
the same on SQLite and PostgreSQL; the counts of whole past days and hours
are kept (store.kept_figures)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from store.buckets import buckets_for
from store.epoch import quarter_hour, quarter_start
from store.kept_figures import over_period
from store.models import Mention

TREND_GROUPINGS = ("topic", "platform")
FIGURES = ("mentions", "negative", "needed_response")


def trends(session: Session, start: datetime, end: datetime, group_by: str, tz: tzinfo, *,
           now: datetime) -> dict[str, Any]:
    """The mentions written in [start, end), per bucket (see
    store.buckets) and per topic or platform (mentions with no topic share
    the key None).

    `bucket` is the buckets' size and `buckets` their local labels; the
    first and last may be partial. Each group carries one figure per
    bucket, in that order, and its totals; `needed_response_share` is the
    share of the mentions that needed an answer (None in a bucket without
    mentions). Groups are in key order, None last."""
    if group_by not in TREND_GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(TREND_GROUPINGS)}, not {group_by!r}")
    buckets = buckets_for(start, end, tz)
    counts: dict[str | None, dict[str, list[int]]] = defaultdict(
        lambda: {figure: [0] * len(buckets.starts) for figure in FIGURES})
    for key, at, mentions, negative, needed in _counted(session, start, end, now, group_by, buckets.size == "5min"):
        figures, n = counts[key], buckets.index(at)
        figures["mentions"][n] += mentions
        figures["negative"][n] += negative
        figures["needed_response"][n] += needed
    ordered = sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return {
        "bucket": buckets.size,
        "buckets": buckets.labels(),
        "groups": [_group(key, figures) for key, figures in ordered],
    }


def _counted(session: Session, start: datetime, end: datetime, now: datetime, group_by: str, by_row: bool):
    """(key, moment, mentions, negative, needed a response) per key and
    quarter hour; or per mention when the buckets are finer than a quarter
    hour (a period of a few hours)."""
    key = getattr(Mention, group_by)
    if by_row:
        for group, at, sentiment, needs_response in session.execute(
                select(key, Mention.created_at, Mention.sentiment, Mention.needs_response)
                .where(Mention.created_at >= start, Mention.created_at < end)):
            yield group, at, 1, int(sentiment == "negative"), int(bool(needs_response))
        return
    for part in over_period(session, f"trends:{group_by}", start, end, now,
                            lambda part_start, part_end: _quarters(session, part_start, part_end, key)):
        for group, number, mentions, negative, needed in part:
            yield group, quarter_start(number), mentions, negative, needed


def _quarters(session: Session, start: datetime, end: datetime, key) -> list[list]:
    """[key, quarter hour, mentions, negative, needed a response] of the
    mentions written in [start, end), counted in the database."""
    quarter = quarter_hour(Mention.created_at)
    return [[group, number, mentions, int(negative or 0), int(needed or 0)]
            for group, number, mentions, negative, needed in session.execute(
                select(key, quarter, func.count(), func.sum(case((Mention.sentiment == "negative", 1), else_=0)),
                       func.sum(case((Mention.needs_response.is_(True), 1), else_=0)))
                .where(Mention.created_at >= start, Mention.created_at < end).group_by(key, quarter))]


def _group(key: str | None, figures: dict[str, list[int]]) -> dict[str, Any]:
    totals = {figure: sum(values) for figure, values in figures.items()}
    return {
        "key": key,
        **figures,
        "needed_response_share": [_share(needed, mentions)
                                  for needed, mentions in zip(figures["needed_response"], figures["mentions"])],
        "total": {**totals, "needed_response_share": _share(totals["needed_response"], totals["mentions"])},
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
