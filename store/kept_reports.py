"""Counts what the reports keep for the last month ahead of time, so that
the first manager to open the dashboard after a quiet night, a deploy or a
burst of changes does not wait for it. A job of the worker's; cheap when
nothing changed, since kept days and hours are read back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store.db import Database
from store.kept_figures import tidy_marks
from store.outcomes import OUTCOME_GROUPINGS, outcomes_report
from store.reports import corrections_report, volume_by_platform
from store.sla_figures import GROUPINGS, sla_figures
from store.trends import TREND_GROUPINGS, trends

# The longest period the dashboard offers.
KEPT_AHEAD = timedelta(days=30)


def keep_recent_figures(db: Database, now: datetime) -> None:
    """Counts and keeps the figures of the last KEPT_AHEAD that are not
    kept or no longer hold, for every report and grouping, then tidies the
    marks (store.kept_figures.tidy_marks)."""
    if not db.is_postgresql:
        return
    start = now - KEPT_AHEAD
    with db.sessions() as session:
        for group_by in GROUPINGS:
            sla_figures(session, start, now, now, group_by)
        for group_by in TREND_GROUPINGS:
            trends(session, start, now, group_by, timezone.utc, now=now)
        for group_by in OUTCOME_GROUPINGS:
            outcomes_report(session, start, now, group_by, now=now)
        volume_by_platform(session, start, now, timezone.utc, now=now)
        corrections_report(session, start, now, now)
    tidy_marks(db)
