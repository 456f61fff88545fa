from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from store.buckets import buckets_for

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
END = datetime(2026, 1, 5, 9, 2, tzinfo=UTC)


def test_a_period_of_a_few_hours_is_bucketed_by_five_minutes():
    buckets = buckets_for(END - timedelta(hours=1), END, PARIS)

    assert buckets.size == "5min"
    assert buckets.labels()[0] == "09:00" and buckets.labels()[-1] == "10:00" and len(buckets.starts) == 13
    assert buckets.index(datetime(2026, 1, 5, 8, 14, tzinfo=UTC)) == 2


def test_a_day_is_bucketed_by_the_hour_with_dates_in_the_labels():
    buckets = buckets_for(END - timedelta(hours=24), END, PARIS)

    assert buckets.size == "hour"
    assert buckets.labels()[0] == "01-04 10:00" and buckets.labels()[-1] == "01-05 10:00"
    assert buckets.index(datetime(2026, 1, 4, 23, 59, tzinfo=UTC)) == 14


def test_a_week_is_bucketed_by_local_day():
    buckets = buckets_for(END - timedelta(days=7), END, PARIS)

    assert buckets.size == "day"
    assert buckets.labels() == ["2025-12-29", "2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02",
                                "2026-01-03", "2026-01-04", "2026-01-05"]
    assert buckets.index(datetime(2026, 1, 4, 23, 30, tzinfo=UTC)) == 7
