"""How a period is split into whole past days and hours, kept once
counted, and the windows counted live."""

from datetime import datetime, timedelta, timezone

from store.kept_figures import KEPT_DAYS, Span, split_period


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=timezone.utc)


def test_a_month_ending_now_is_whole_days_whole_hours_and_two_part_hours():
    now = at(31, 12, 40)
    spans, windows = split_period(now - timedelta(days=30), now, now)
    days = [span for span in spans if span.hours == 24]
    hours = [span for span in spans if span.hours == 1]
    assert days[0] == Span(at(2, 0), 24) and days[-1] == Span(at(30, 0), 24) and len(days) == 29
    assert hours[0] == Span(at(1, 13), 1) and hours[-1] == Span(at(31, 11), 1) and len(hours) == 11 + 12
    assert windows == [(at(1, 12, 40), at(1, 13)), (at(31, 12), now)]
    covered = sorted([(span.start, span.end) for span in spans] + windows)
    assert all(left[1] == right[0] for left, right in zip(covered, covered[1:]))
    assert covered[0][0] == now - timedelta(days=30) and covered[-1][1] == now


def test_nothing_after_now_is_kept():
    now = at(10, 9, 30)
    spans, windows = split_period(at(10, 0), at(11, 0), now)
    assert spans == [Span(at(10, hour), 1) for hour in range(9)]
    assert windows == [(at(10, 9), at(11, 0))]


def test_a_short_period_is_one_window():
    now = at(10, 9, 30)
    assert split_period(at(10, 8, 10), at(10, 8, 50), now) == ([], [(at(10, 8, 10), at(10, 8, 50))])
    assert split_period(now, now, now) == ([], [])


def test_only_the_last_days_are_split_and_what_is_older_is_one_window():
    now = at(31, 12)
    spans, windows = split_period(now - timedelta(days=3650), now, now)
    assert windows[0] == (now - timedelta(days=3650), now - KEPT_DAYS)
    assert spans[0] == Span(now - KEPT_DAYS, 1) and len(spans) == 12 + (KEPT_DAYS.days - 1) + 12
