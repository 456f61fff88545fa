"""Quiet hours and the digest hour in a person's own time zone, with a
movable clock, and the checks on what a person may choose."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from config.clock import FrozenClock
from store.alert_preferences import Preferences, parse_preferences
from store.errors import Refused

UTC = timezone.utc


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_overnight_quiet_hours_end_the_next_local_morning():
    sydney = Preferences(timezone="Australia/Sydney", quiet_from="22:00", quiet_until="07:00")
    clock = FrozenClock(at(2026, 1, 5, 10, 59))  # 21:59 in Sydney (UTC+11)
    assert sydney.quiet_until_time(clock.now(), "at_risk", "agent") is None
    clock.advance(minutes=1)
    assert sydney.quiet_until_time(clock.now(), "at_risk", "agent") == at(2026, 1, 5, 20, 0)
    clock.advance(hours=8, minutes=59)  # 06:59 in Sydney, the same window
    assert sydney.quiet_until_time(clock.now(), "at_risk", "agent") == at(2026, 1, 5, 20, 0)
    clock.advance(minutes=1)
    assert sydney.quiet_until_time(clock.now(), "at_risk", "agent") is None


def test_quiet_hours_follow_the_clocks_change():
    london = Preferences(timezone="Europe/London", quiet_from="22:00", quiet_until="07:00")
    # The clocks go forward at 01:00 UTC on 29 March 2026: 07:00 BST is 06:00 UTC.
    assert london.quiet_until_time(at(2026, 3, 28, 23, 0), "spike", "agent") == at(2026, 3, 29, 6, 0)
    assert london.quiet_until_time(at(2026, 3, 27, 23, 0), "spike", "agent") == at(2026, 3, 28, 7, 0)


def test_daytime_quiet_hours_and_urgent_alerts_for_managers():
    lunch = Preferences(timezone="America/New_York", quiet_from="12:00", quiet_until="13:00")
    noon = at(2026, 1, 5, 17, 30)  # 12:30 in New York
    assert lunch.quiet_until_time(noon, "breached", "agent") == at(2026, 1, 5, 18, 0)
    assert lunch.quiet_until_time(noon, "breached", "manager") is None
    assert lunch.quiet_until_time(noon, "escalated", "admin") is None
    assert lunch.quiet_until_time(noon, "at_risk", "manager") == at(2026, 1, 5, 18, 0)
    assert Preferences().quiet_until_time(noon, "at_risk", "agent") is None


@pytest.mark.parametrize("zone, now, expected", [
    ("Asia/Tokyo", at(2026, 1, 5, 22, 59), at(2026, 1, 4, 23, 0)),   # 07:59 on the 6th in Tokyo
    ("Asia/Tokyo", at(2026, 1, 5, 23, 0), at(2026, 1, 5, 23, 0)),    # 08:00 on the 6th
    ("America/Los_Angeles", at(2026, 1, 5, 15, 59), at(2026, 1, 4, 16, 0)),
    ("America/Los_Angeles", at(2026, 1, 5, 16, 0), at(2026, 1, 5, 16, 0)),
    ("Europe/London", at(2026, 7, 1, 7, 0), at(2026, 7, 1, 7, 0)),   # 08:00 BST
])
def test_the_digest_time_is_the_latest_local_digest_hour_passed(zone, now, expected):
    assert Preferences(timezone=zone, digest=True, digest_hour=8).digest_moment(now) == expected


def test_good_choices_are_read_from_a_form():
    chosen = parse_preferences({"channels": ["email", "web"], "kinds": ["spike"], "scope": "mine",
                                "timezone": "Europe/Berlin", "digest": "on", "digest_hour": "7",
                                "quiet_from": "21:30", "quiet_until": "06:45"})
    assert chosen == Preferences(channels=("web", "email"), kinds=("spike",), scope="mine", timezone="Europe/Berlin",
                                 digest=True, digest_hour=7, quiet_from="21:30", quiet_until="06:45")


@pytest.mark.parametrize("form, why", [
    ({"scope": "everyone"}, "scope must be one of all, team, mine"),
    ({"kinds": "at_risk"}, "kinds must be a list"),
    ({"quiet_from": "25:00", "quiet_until": "07:00"}, "quiet_from must be a time of day"),
    ({"quiet_from": "07:00", "quiet_until": "07:00"}, "must start and end at different times"),
    ({"digest_hour": True}, "digest_hour must be a whole hour"),
    ({"timezone": "../../etc/passwd"}, "is not a time zone name"),
])
def test_bad_choices_are_refused_with_why(form, why):
    with pytest.raises(Refused, match=why.replace("(", r"\(")) as refused:
        parse_preferences(form)
    assert refused.value.status == 400


def test_a_roles_default_names_no_slack_member():
    chosen = parse_preferences({"channels": ["slack"], "slack_user": "U0ADA"}, person=False)
    assert (chosen.channels, chosen.slack_user) == (("slack",), None)
