"""The spike detector on synthetic series of hourly counts."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from listener.spikes import SpikeVerdict, same_time_windows, spike_verdict

DEFAULTS = {"sensitivity": 4.0, "min_count": 10}
MORNING = range(8, 12)
MONDAY = 0


def baseline_of(series: list[list[int]], day: int, hour: int, days: int) -> list[int]:
    """The counts at `hour` on each of the `days` days before `day`, yesterday first."""
    return [series[day - back][hour] for back in range(1, days + 1)]


def gaussian_days(level: float, days: int, seed: int) -> list[int]:
    """Counts around `level` with the noise of posts arriving at random."""
    rng = random.Random(seed)
    return [max(0, round(rng.gauss(level, math.sqrt(level)))) for _ in range(days)]


def weekly_series(weeks: int, seed: int) -> list[list[int]]:
    """Hourly counts, day 0 a Monday: 2 an hour at night, 8 in the day,
    mornings three times busier and Mondays twice as busy, give or take 15 %."""
    rng = random.Random(seed)
    series = []
    for day in range(weeks * 7):
        hours = []
        for hour in range(24):
            level = 2 if hour < 7 else 24 if hour in MORNING else 8
            level *= 2 if day % 7 == MONDAY else 1
            hours.append(round(level * rng.uniform(0.85, 1.15)))
        series.append(hours)
    return series


def alerts_over(series: list[list[int]], days: int) -> list[tuple[int, int]]:
    """(day, hour) of every alert once `days` of history exist."""
    return [(day, hour) for day in range(days, len(series)) for hour in range(24)
            if spike_verdict(series[day][hour], baseline_of(series, day, hour, days), **DEFAULTS).is_spike]


def test_a_clear_spike_alerts():
    baseline = [3, 2, 4, 3, 3, 2, 5, 3, 4, 2, 3, 3, 4, 2]

    assert spike_verdict(25, baseline, **DEFAULTS) == SpikeVerdict(count=25, usual=3.0, threshold=10.0, is_spike=True)


def test_a_busy_topic_alerts_when_it_rises_well_above_its_noise():
    baseline = gaussian_days(40, 14, seed=1)

    verdict = spike_verdict(90, baseline, **DEFAULTS)

    assert verdict.is_spike
    assert 35 <= verdict.usual <= 45
    assert 60 < verdict.threshold < 90


def test_normal_noise_never_alerts():
    history = gaussian_days(20, 70, seed=7)

    alerts = [day for day in range(14, 70) if spike_verdict(history[day], history[day - 14:day][::-1],
                                                           **DEFAULTS).is_spike]

    assert alerts == []


def test_busy_mornings_and_busier_mondays_never_alert_against_the_same_hour_of_past_days():
    series = weekly_series(weeks=5, seed=3)

    assert alerts_over(series, days=14) == []


def test_with_less_than_two_weeks_of_history_a_busier_monday_does_alert():
    """The same series as above: without past Mondays to compare with, the
    weekly rhythm looks like a spike, which is what same-weekday windows are for."""
    series = weekly_series(weeks=5, seed=3)

    alerts = alerts_over(series, days=7)

    assert alerts
    assert {day % 7 for day, _ in alerts} == {MONDAY}


def test_one_past_spike_on_the_same_weekday_does_not_hide_the_next():
    baseline = [20] * 14
    baseline[6] = 100

    verdict = spike_verdict(60, baseline, **DEFAULTS)

    assert verdict.usual == 20
    assert verdict.is_spike


def test_a_quiet_topic_does_not_alert_on_a_handful_of_posts():
    zeros = [0] * 14

    assert not spike_verdict(6, zeros, **DEFAULTS).is_spike
    assert spike_verdict(10, zeros, **DEFAULTS).is_spike


def test_the_spread_of_a_quiet_topic_is_floored_so_three_posts_are_not_a_spike():
    verdict = spike_verdict(3, [0] * 14, sensitivity=4.0, min_count=1)

    assert verdict.threshold == 4.0
    assert not verdict.is_spike


def test_sensitivity_changes_the_outcome():
    baseline = [16] * 14

    assert spike_verdict(28, baseline, sensitivity=2.0, min_count=1).is_spike
    assert not spike_verdict(28, baseline, sensitivity=4.0, min_count=1).is_spike


def test_a_spike_calms_only_below_halfway_between_usual_and_threshold():
    baseline = [2] * 14

    assert spike_verdict(9, baseline, **DEFAULTS) == SpikeVerdict(9, 2.0, 10.0, False)
    assert not spike_verdict(6, baseline, **DEFAULTS).calm
    assert spike_verdict(5, baseline, **DEFAULTS).calm


def test_no_history_reads_as_a_usual_level_of_zero():
    assert spike_verdict(10, [], **DEFAULTS) == SpikeVerdict(10, 0.0, 10.0, True)


def test_the_windows_keep_the_local_time_across_a_change_to_summer_time():
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)

    windows = same_time_windows(now, 60, 2, london)

    utc = timezone.utc
    assert windows == [
        (datetime(2026, 3, 30, 7, 0, tzinfo=utc), now),
        (datetime(2026, 3, 29, 7, 0, tzinfo=utc), datetime(2026, 3, 29, 8, 0, tzinfo=utc)),
        (datetime(2026, 3, 28, 8, 0, tzinfo=utc), datetime(2026, 3, 28, 9, 0, tzinfo=utc)),
    ]
    assert all(end - start == timedelta(minutes=60) for start, end in windows)
