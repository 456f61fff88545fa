"""Is a topic's count of negative posts in the recent window a spike? It is
compared with the same window at the same local time on each of the past
days, so a busy morning is measured against past mornings and the normal
rhythm of the day never alerts.

The usual level is the median of those past counts and the spread a robust
estimate of their noise (the median absolute deviation scaled by 1.4826,
which equals the standard deviation for normal noise): a past spike or two
moves neither. The spread is at least the square root of the usual level
(the noise of counts that arrive at random), so a topic that is always
quiet does not alert on its first few posts. A spike is a count at or above
usual + sensitivity * spread, and never fewer than min_count posts.

Weekly rhythm: with two weeks of history or more, the same weekday's past
counts (7, 14, ... days ago) can raise the usual level, never lower it, so a
Monday that is always busier is compared with past Mondays while the other
days keep the all-days median. Of those few counts the lower middle one is
taken (the smaller of two), so one past Monday's spike does not hide the
next one: a weekday counts as busier only when most of its past occurrences
were."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from statistics import median, median_low

MAD_TO_SIGMA = 1.4826
WEEK = 7


@dataclass(frozen=True)
class SpikeVerdict:
    count: int
    usual: float
    threshold: float
    is_spike: bool

    @property
    def calm(self) -> bool:
        """Back below halfway from the usual level to the threshold. An
        open spike ends only then, not as soon as it dips under the
        threshold: a count hovering around the threshold would otherwise
        end and start again (and alert again) every few checks."""
        return self.count < (self.usual + self.threshold) / 2


def spike_verdict(count: int, baseline: list[int], *, sensitivity: float, min_count: int) -> SpikeVerdict:
    """`baseline` holds the counts of the same window on each past day,
    yesterday first; no history at all reads as a usual level of 0."""
    usual = float(median(baseline)) if baseline else 0.0
    spread = MAD_TO_SIGMA * median(abs(past - usual) for past in baseline) if baseline else 0.0
    same_weekday = baseline[WEEK - 1::WEEK]
    if len(same_weekday) >= 2:
        usual = max(usual, float(median_low(same_weekday)))
    spread = max(spread, math.sqrt(max(usual, 1.0)))
    threshold = max(float(min_count), usual + sensitivity * spread)
    return SpikeVerdict(count, usual, threshold, count >= threshold)


def same_time_windows(now: datetime, minutes: int, days: int, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """(start, end] in UTC: the recent window ending `now`, then the window
    ending at the same local time on each of the past `days` days, so that a
    change to or from summer time does not shift it by an hour."""
    local = now.astimezone(tz)
    length = timedelta(minutes=minutes)
    windows = []
    for back in range(days + 1):
        end = (local - timedelta(days=back)).astimezone(timezone.utc)
        windows.append((end - length, end))
    return windows
