"""A shown time names its zone as an offset from UTC, one form for every zone."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from web.formatting import zone_label

WINTER = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 5, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("zone, moment, label", [
    ("UTC", WINTER, "UTC"),
    ("Europe/London", WINTER, "UTC"),
    ("Europe/London", SUMMER, "UTC+1"),
    ("Europe/Paris", WINTER, "UTC+1"),
    ("Europe/Paris", SUMMER, "UTC+2"),
    ("America/New_York", WINTER, "UTC-5"),
    ("Asia/Kolkata", WINTER, "UTC+5:30"),
    ("America/St_Johns", WINTER, "UTC-3:30"),
    ("Asia/Kathmandu", WINTER, "UTC+5:45"),
])
def test_it_names_the_offset_the_local_time_is_in(zone, moment, label):
    assert zone_label(moment.astimezone(ZoneInfo(zone))) == label
