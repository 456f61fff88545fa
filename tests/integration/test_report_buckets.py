"""Reports count per quarter hour in the database and fold the counts into
local hours and days: a post a minute either side of local midnight in a
half-hour time zone lands on its own local day, on SQLite and PostgreSQL."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from store.reports import volume_by_platform
from store.trends import trends

KOLKATA = ZoneInfo("Asia/Kolkata")


def test_day_buckets_split_at_local_midnight_in_a_half_hour_zone(world):
    # The clock reads 2026-01-05 09:00 UTC: 871 and 869 minutes before are
    # 23:59 on the 4th and 00:01 on the 5th in Kolkata (UTC+5:30).
    world.ticket("just before midnight", opened_minutes_ago=871)
    world.ticket("just after midnight", opened_minutes_ago=869)
    world.ticket("this morning", opened_minutes_ago=30)
    end = world.clock.now()
    start = end - timedelta(days=3)

    with world.db.sessions() as session:
        by_platform = trends(session, start, end, "platform", KOLKATA, now=end)
        volume = volume_by_platform(session, start, end, KOLKATA, now=end)

    assert by_platform["bucket"] == "day"
    assert by_platform["buckets"][-2:] == ["2026-01-04", "2026-01-05"]
    assert by_platform["groups"][0]["mentions"][-2:] == [1, 2]
    assert volume["platforms"][0]["tickets"][-2:] == [1, 2]


def test_hour_buckets_split_at_the_local_hour_which_is_half_past_in_utc(world):
    # 14:30 local now: 91 and 89 minutes before are 12:59 and 13:01 local.
    world.ticket("at 12:59 local", opened_minutes_ago=91)
    world.ticket("at 13:01 local", opened_minutes_ago=89)
    end = world.clock.now()

    with world.db.sessions() as session:
        by_platform = trends(session, end - timedelta(hours=20), end, "platform", KOLKATA, now=end)

    assert by_platform["bucket"] == "hour"
    assert by_platform["buckets"][-3:] == ["01-05 12:00", "01-05 13:00", "01-05 14:00"]
    assert by_platform["groups"][0]["mentions"][-3:] == [1, 1, 0]
