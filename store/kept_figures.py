"""Figures of whole past days and hours, counted once and kept, so that a
report over a month reads a few kept rows and counts live only what has
not settled.

A report splits its period into the whole UTC days that ended by now, the
whole hours that ended around them, and the windows left over (less than
an hour at either end). Spans are kept on PostgreSQL. A kept span is good
while no write could have changed it: the database's triggers leave a
mark on every write to a ticket, an event, a post or a correction, naming
the first moment it can change (the creation of its ticket or post: every
moment their figures count at comes after it). A span is counted again
when a mark of a moment before its end was made after it was counted, less
a grace for transactions still open then, or when it was counted longer
ago than the marks are kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, Text, cast, delete, func, insert, literal, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from store.db import Database
from store.epoch import EPOCH, quarter_hour
from store.kept_copies import copies
from store.models import FigureMark, KeptFigures

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
# A write's mark carries the moment of its statement, not of its commit: a
# span counted up to this long after a mark may have missed its write.
GRACE_SECONDS = 120.0
# Marks are dropped after this long, so a span counted longer ago is counted
# again. Folded into one an hour (tidy_marks), a month of them stays small.
KEPT_SECONDS = 30 * 86400.0
# The most spans one report counts and keeps; the rest wait for the next.
SPANS_COUNTED_AT_ONCE = 48
# Days further back are counted with the rest of a period, not kept.
KEPT_DAYS = timedelta(days=400)


class database_clock(FunctionElement):  # noqa: N801 - used as an SQL function
    """The database's own clock, in seconds since 1970: the clock the
    triggers' marks are made by (a test's frozen clock moves neither)."""

    type = Float()
    inherit_cache = True


@compiles(database_clock, "postgresql")
def _clock_postgresql(element, compiler, **kw) -> str:
    return "extract(epoch FROM clock_timestamp())"


@dataclass(frozen=True)
class Span:
    """A whole UTC day or hour."""

    start: datetime
    hours: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)


def split_period(start: datetime, end: datetime, now: datetime) -> tuple[list[Span], list[tuple[datetime, datetime]]]:
    """The whole UTC days, then hours, inside [start, end) that ended by
    `now` (of the last KEPT_DAYS only), and the windows of [start, end)
    outside them."""
    windows, recent = [], start
    if start < now - KEPT_DAYS:
        recent = min(end, now - KEPT_DAYS)
        windows.append((start, recent))
    spans: list[Span] = []
    rest = [(recent, end)] if recent < end else []
    for size in (DAY, HOUR):
        left = []
        for window_start, window_end in rest:
            found, parts = _whole(window_start, window_end, min(window_end, now), size)
            spans += found
            left += parts
        rest = left
    return sorted(spans, key=lambda span: span.start), sorted(windows + rest)


def _whole(start: datetime, end: datetime, limit: datetime, size: timedelta):
    """The spans of `size` inside [start, limit), and what of [start, end) is left."""
    first = EPOCH + -(-(start - EPOCH) // size) * size
    spans, moment = [], first
    while moment + size <= limit:
        spans.append(Span(moment, size // HOUR))
        moment += size
    if not spans:
        return [], [(start, end)]
    rest = [(start, first)] if start < first else []
    return spans, rest + ([(moment, end)] if moment < end else [])


def over_period(session: Session, report: str, start: datetime, end: datetime, now: datetime,
                count: Callable[[datetime, datetime], Any]) -> list[Any]:
    """What `count(window_start, window_end)` gives for each part of
    [start, end): kept for its whole past days and hours, counted for the
    rest. SQLite, for small stores, keeps nothing and counts the period
    at once."""
    if session.get_bind().dialect.name != "postgresql":
        return [count(start, end)] if start < end else []
    spans, windows = split_period(start, end, now)
    return kept_figures(session, report, spans, count) + [count(*window) for window in windows]


def kept_figures(session: Session, report: str, spans: list[Span],
                 count: Callable[[datetime, datetime], Any]) -> list[Any]:
    """The figures of the spans: kept ones while still good; of the others
    the first SPANS_COUNTED_AT_ONCE are counted with `count(span_start,
    span_end)` and kept, and the rest counted in runs of neighbouring spans,
    so that a long period is not a thousand counts at once."""
    if not spans:
        return []
    clock = session.scalar(select(database_clock()))
    chosen = (KeptFigures.report == report,
              tuple_(KeptFigures.starts_at, KeptFigures.hours).in_([(span.start, span.hours) for span in spans]))
    kept = {(row.starts_at, row.hours): row.computed_at for row in session.execute(
        select(KeptFigures.starts_at, KeptFigures.hours, KeptFigures.computed_at).where(*chosen))}
    changed = _last_changes(session, min(kept.values(), default=clock))
    good = {(span.start, span.hours) for span in spans
            if (span.start, span.hours) in kept and _still_good(kept[span.start, span.hours], span, changed, clock)}
    found = _read_kept(session, report, {place: kept[place] for place in good})
    figures, runs, budget = [], [], SPANS_COUNTED_AT_ONCE
    for span in spans:
        if (span.start, span.hours) in found:
            figures.append(found[span.start, span.hours])
        elif budget:
            budget -= 1
            figures.append(count(span.start, span.end))
            _keep(session, {"report": report, "starts_at": span.start, "hours": span.hours, "computed_at": clock,
                            "figures": figures[-1]})
        elif runs and runs[-1][1] == span.start:
            runs[-1][1] = span.end
        else:
            runs.append([span.start, span.end])
    return figures + [count(run_start, run_end) for run_start, run_end in runs]


def _read_kept(session: Session, report: str, good: dict[tuple[datetime, int], float]
               ) -> dict[tuple[datetime, int], Any]:
    """The figures of the good kept spans, from this process's copies where
    they hold, else read and copied (store.kept_copies)."""
    database = session.get_bind().url.render_as_string(hide_password=True)
    found = {}
    for (start, hours), computed_at in good.items():
        copy = copies.get((database, report, start, hours), computed_at)
        if copy is not None:
            found[start, hours] = copy
    missing = [place for place in good if place not in found]
    if missing:
        for start, hours, computed_at, text in session.execute(
                select(KeptFigures.starts_at, KeptFigures.hours, KeptFigures.computed_at,
                       cast(KeptFigures.figures, Text))
                .where(KeptFigures.report == report, tuple_(KeptFigures.starts_at, KeptFigures.hours).in_(missing))):
            found[start, hours] = copies.put((database, report, start, hours), computed_at, text)
    return found


def _last_changes(session: Session, since: float) -> list[tuple[int, float]]:
    """(UTC hour number, latest mark) for each hour marked since `since`
    less the grace."""
    hour = quarter_hour(FigureMark.since) // literal(4)
    rows = session.execute(select(hour, func.max(FigureMark.marked_at))
                           .where(FigureMark.marked_at >= since - GRACE_SECONDS).group_by(hour))
    return [(int(number), marked_at) for number, marked_at in rows]


def _still_good(computed_at: float, span: Span, changed: list[tuple[int, float]], clock: float) -> bool:
    if computed_at < clock - KEPT_SECONDS:
        return False
    ends = (span.end - EPOCH) // HOUR
    return all(marked_at < computed_at - GRACE_SECONDS for hour, marked_at in changed if hour < ends)


def _keep(session: Session, row: dict[str, Any]) -> None:
    """Keeps a counted span at once, in a transaction of its own: reports
    are read in requests that write nothing, and a request cut short keeps
    what it counted."""
    upsert = postgresql.insert(KeptFigures)
    statement = upsert.on_conflict_do_update(
        index_elements=[KeptFigures.report, KeptFigures.starts_at, KeptFigures.hours],
        set_={"computed_at": upsert.excluded.computed_at, "figures": upsert.excluded.figures})
    with Session(session.get_bind()) as writer, writer.begin():
        writer.execute(statement, [row])


def tidy_marks(db: Database) -> int:
    """Drops the marks no kept span needs any more and folds the rest into
    one a UTC hour (its start, and the latest moment it was marked at),
    which is all that judging a kept span reads of them; how many marks
    there are left. A job of the worker's, so that marks do not pile up
    under a stream of writes, nor while no report is read."""
    if not db.is_postgresql:
        return 0
    with db.transaction() as session:
        clock = session.scalar(select(database_clock()))
        session.execute(delete(FigureMark).where(FigureMark.marked_at < clock - KEPT_SECONDS - GRACE_SECONDS))
        last = session.scalar(select(func.max(FigureMark.id)))
        if last is None:
            return 0
        folded = delete(FigureMark).where(FigureMark.id <= last).returning(FigureMark.since, FigureMark.marked_at).cte()
        hour = func.date_trunc("hour", folded.c.since)
        session.execute(insert(FigureMark).from_select(
            ["since", "marked_at"], select(hour, func.max(folded.c.marked_at)).group_by(hour)))
        return session.scalar(select(func.count()).select_from(FigureMark))
