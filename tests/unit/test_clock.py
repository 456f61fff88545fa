from datetime import datetime, timedelta, timezone

import pytest

from config.clock import FrozenClock, parse_utc


def test_an_iso_time_with_a_zone_becomes_utc():
    assert parse_utc("2026-03-06T18:30:00+01:00") == datetime(2026, 3, 6, 17, 30, tzinfo=timezone.utc)
    assert parse_utc("2026-03-06T18:30:00.000Z") == datetime(2026, 3, 6, 18, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ["2026-03-06T18:30:00", "yesterday", "", None, 1767600000])
def test_anything_else_is_none(value):
    assert parse_utc(value) is None


def test_a_time_without_a_zone_can_be_read_as_utc():
    assert parse_utc("2026-03-06T18:30:00", naive_is_utc=True) == datetime(2026, 3, 6, 18, 30, tzinfo=timezone.utc)


def test_a_frozen_clock_moves_only_when_told():
    clock = FrozenClock()
    start = clock.now()
    assert clock.now() == start
    assert clock.advance(minutes=5) == start + timedelta(minutes=5)
