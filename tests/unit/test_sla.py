from datetime import datetime, timedelta, timezone

import pytest

from config import load_settings
from store.models import Ticket
from store.sla import SlaClock, asked_at

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def sla():
    return SlaClock(load_settings(env={}))


def ticket(sla, priority="high", platform="x", tier="standard", team="care"):
    t = Ticket(id=1, status="new", priority=priority, platform=platform, team=team, created_at=NOW, updated_at=NOW)
    sla.start(t, NOW, tier)
    return t


@pytest.mark.parametrize("priority, minutes", [("urgent", 30), ("high", 60), ("normal", 240), ("low", 1440)])
def test_first_response_is_due_after_the_priority_target(sla, priority, minutes):
    assert ticket(sla, priority).first_response_due_at == NOW + timedelta(minutes=minutes)


def test_urgent_and_high_tickets_are_due_resolved_within_a_day(sla):
    assert ticket(sla, "urgent").resolution_due_at == NOW + timedelta(hours=24)
    assert ticket(sla, "high").resolution_due_at == NOW + timedelta(hours=24)


def test_time_left_counts_down_and_turns_into_a_breach(sla):
    t = ticket(sla)
    assert t.time_left(NOW + timedelta(minutes=20)) == timedelta(minutes=40)
    assert not t.is_breached(NOW + timedelta(minutes=60))
    assert t.is_breached(NOW + timedelta(minutes=61))


def test_a_response_in_time_meets_the_target(sla):
    t = ticket(sla)
    sla.answered(t, NOW + timedelta(minutes=45))
    assert t.first_response_at == NOW + timedelta(minutes=45)
    assert not t.first_response_breached
    assert t.due_at() is None


def test_a_late_response_is_recorded_as_a_breach(sla):
    t = ticket(sla, "urgent")
    sla.answered(t, NOW + timedelta(minutes=31))
    assert t.first_response_breached


def test_a_new_customer_post_restarts_the_clock_for_the_next_answer(sla):
    t = ticket(sla)
    sla.answered(t, NOW + timedelta(minutes=10))
    later = NOW + timedelta(hours=2)
    sla.customer_wrote(t, later, "standard")
    assert t.due_at() == later + timedelta(minutes=60)


OFFICE = {"timezone": "Europe/London", "monday": ["09:00-17:30"], "tuesday": ["09:00-17:30"],
          "wednesday": ["09:00-17:30"], "thursday": ["09:00-17:30"], "friday": ["09:00-17:30"],
          "holidays": ["2026-12-25", "2026-12-28"]}


def office_clock():
    return SlaClock(load_settings(env={}, overrides={"teams": {"care": {"hours": OFFICE}}}))


def test_a_target_counts_only_the_teams_business_hours():
    friday_evening = datetime(2026, 3, 6, 17, 15, tzinfo=timezone.utc)
    t = Ticket(id=1, status="new", priority="high", platform="x", team="care", created_at=friday_evening,
               updated_at=friday_evening)
    office_clock().start(t, friday_evening, "standard")
    assert t.first_response_due_at == datetime(2026, 3, 9, 9, 45, tzinfo=timezone.utc)


def test_a_holiday_does_not_count():
    christmas_eve = datetime(2026, 12, 24, 17, 0, tzinfo=timezone.utc)
    t = Ticket(id=1, status="new", priority="normal", platform="x", team="care", created_at=christmas_eve,
               updated_at=christmas_eve)
    office_clock().start(t, christmas_eve, "standard")
    assert t.first_response_due_at == datetime(2026, 12, 29, 12, 30, tzinfo=timezone.utc)


def test_time_waiting_on_the_customer_outside_hours_is_not_added_twice():
    sla = office_clock()
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)
    t = Ticket(id=1, status="new", priority="low", platform="x", team="care", created_at=monday, updated_at=monday)
    sla.start(t, monday, "standard")
    due = t.first_response_due_at
    sla.pause(t, monday + timedelta(hours=1))
    sla.customer_wrote(t, monday + timedelta(days=1), "standard")
    assert t.first_response_due_at == sla.due(due, timedelta(hours=7, minutes=30), "care")


def test_a_policy_for_vip_customers_overrides_the_default_targets():
    sla = SlaClock(load_settings(env={}, overrides={"sla": {"policies": [
        {"name": "vip", "tiers": ["vip"], "first_response_minutes": {"urgent": 10, "high": 20, "normal": 30, "low": 60}}]}}))
    assert sla.targets("high", "x", "vip").first_response == timedelta(minutes=20)
    assert sla.targets("high", "x", "vip").policy == "vip"
    assert sla.targets("high", "x", "vip").resolution == timedelta(hours=24)
    assert sla.targets("high", "x", "standard").first_response == timedelta(minutes=60)


def test_changing_the_priority_recomputes_the_due_times(sla):
    t = ticket(sla, "low")
    sla.reprioritize(t, "urgent", "standard")
    assert t.first_response_due_at == NOW + timedelta(minutes=30)
    assert t.resolution_due_at == NOW + timedelta(hours=24)


def test_a_first_response_already_given_keeps_its_due_time_through_a_pause(sla):
    t = ticket(sla)
    due = t.first_response_due_at
    sla.answered(t, NOW + timedelta(minutes=70))
    sla.pause(t, NOW + timedelta(minutes=80))
    sla.customer_wrote(t, NOW + timedelta(hours=5), "standard")
    assert t.first_response_due_at == due
    assert t.first_response_breached


HOUR = timedelta(hours=1)


def test_a_post_fetched_late_is_waited_on_since_it_was_posted():
    assert asked_at(NOW - HOUR, listening_since=NOW - 2 * HOUR, now=NOW) == NOW - HOUR


def test_a_post_from_before_closeloop_listened_is_waited_on_since_it_listened():
    assert asked_at(NOW - 3 * HOUR, listening_since=NOW - 2 * HOUR, now=NOW) == NOW - 2 * HOUR


def test_a_post_from_a_source_of_unknown_start_or_dated_ahead_is_waited_on_from_now():
    assert asked_at(NOW - HOUR, listening_since=None, now=NOW) == NOW
    assert asked_at(NOW + HOUR, listening_since=NOW - HOUR, now=NOW) == NOW
