import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.business_hours import END_OF_DAY, BusinessHours, add_business_time, business_time_between

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = WEEKDAYS + ("sat", "sun")


def team(zone, days, *intervals, holidays=()):
    return BusinessHours.from_spec({"timezone": zone, **{day: list(intervals) for day in days},
                                    "holidays": list(holidays)})


def local(zone, *fields):
    return datetime(*fields, tzinfo=ZoneInfo(zone))


def utc(*fields):
    return datetime(*fields, tzinfo=UTC)


def london(*fields):
    return local("Europe/London", *fields)


def new_york(*fields):
    return local("America/New_York", *fields)


# January 2026 in London is on GMT (UTC+0); 5 January is a Monday.
OFFICE = team("Europe/London", WEEKDAYS, "09:00-17:30")
LUNCH = team("Europe/London", WEEKDAYS, "09:00-12:00", "13:00-17:30")
LONDON_DAILY = team("Europe/London", ALL_DAYS, "08:00-18:00")
NEW_YORK_DAILY = team("America/New_York", ALL_DAYS, "08:00-18:00")


def test_it_adds_elapsed_time_around_the_clock_when_there_are_no_business_hours():
    start = london(2026, 1, 10, 23, 0)
    due = add_business_time(start, timedelta(hours=30), None)
    assert due == utc(2026, 1, 12, 5, 0)
    assert due.tzinfo is UTC
    assert business_time_between(start, due, None) == timedelta(hours=30)


def test_it_counts_within_one_interval():
    assert add_business_time(london(2026, 1, 5, 10, 0), timedelta(hours=2), OFFICE) == utc(2026, 1, 5, 12, 0)
    assert business_time_between(london(2026, 1, 5, 10, 0), london(2026, 1, 5, 12, 0), OFFICE) == timedelta(hours=2)


def test_it_returns_the_due_moment_in_utc_whatever_zone_the_start_is_in():
    start = new_york(2026, 1, 5, 5, 0)  # 10:00 in London
    due = add_business_time(start, timedelta(hours=1), OFFICE)
    assert due == utc(2026, 1, 5, 11, 0)
    assert due.tzinfo is UTC


def test_it_skips_the_lunch_gap():
    assert add_business_time(london(2026, 1, 5, 11, 30), timedelta(hours=1), LUNCH) == utc(2026, 1, 5, 13, 30)
    assert business_time_between(london(2026, 1, 5, 11, 0), london(2026, 1, 5, 14, 0), LUNCH) == timedelta(hours=2)


def test_it_carries_the_remainder_over_night():
    assert add_business_time(london(2026, 1, 8, 17, 0), timedelta(hours=1), OFFICE) == utc(2026, 1, 9, 9, 30)
    assert business_time_between(london(2026, 1, 8, 17, 0), london(2026, 1, 9, 9, 30), OFFICE) == timedelta(hours=1)


def test_it_carries_the_remainder_over_the_weekend():
    assert add_business_time(london(2026, 1, 9, 17, 0), timedelta(hours=1), OFFICE) == utc(2026, 1, 12, 9, 30)
    assert business_time_between(london(2026, 1, 9, 12, 0), london(2026, 1, 12, 12, 0), OFFICE) == \
        timedelta(hours=8.5)


def test_it_lands_a_30_minute_target_set_on_friday_at_1715_on_monday_at_0915():
    assert add_business_time(london(2026, 1, 9, 17, 15), timedelta(minutes=30), OFFICE) == utc(2026, 1, 12, 9, 15)


def test_it_is_due_at_closing_time_when_the_target_ends_exactly_then():
    assert add_business_time(london(2026, 1, 9, 17, 0), timedelta(minutes=30), OFFICE) == utc(2026, 1, 9, 17, 30)


def test_it_skips_holidays():
    # Christmas 2026 is a Friday, Boxing Day is observed on Monday 28 December.
    christmas = team("Europe/London", WEEKDAYS, "09:00-17:30", holidays=["2026-12-25", "2026-12-28"])
    start = london(2026, 12, 24, 17, 0)
    assert add_business_time(start, timedelta(hours=1), christmas) == utc(2026, 12, 29, 9, 30)
    assert business_time_between(start, london(2026, 12, 29, 9, 30), christmas) == timedelta(hours=1)
    assert business_time_between(london(2026, 12, 25, 9, 0), london(2026, 12, 25, 17, 0), christmas) == timedelta(0)


def test_it_starts_counting_at_opening_when_started_before_it():
    assert add_business_time(london(2026, 1, 5, 7, 0), timedelta(minutes=30), OFFICE) == utc(2026, 1, 5, 9, 30)
    assert business_time_between(london(2026, 1, 5, 7, 0), london(2026, 1, 5, 9, 30), OFFICE) == \
        timedelta(minutes=30)


def test_it_starts_counting_at_the_next_opening_when_started_after_closing():
    assert add_business_time(london(2026, 1, 5, 18, 0), timedelta(minutes=30), OFFICE) == utc(2026, 1, 6, 9, 30)
    assert business_time_between(london(2026, 1, 5, 17, 0), london(2026, 1, 6, 8, 0), OFFICE) == \
        timedelta(minutes=30)


def test_it_returns_an_open_start_unchanged_for_a_zero_duration():
    assert add_business_time(london(2026, 1, 5, 10, 7), timedelta(0), OFFICE) == utc(2026, 1, 5, 10, 7)
    assert add_business_time(london(2026, 1, 5, 9, 0), timedelta(0), OFFICE) == utc(2026, 1, 5, 9, 0)


def test_it_moves_a_closed_start_to_the_next_opening_for_a_zero_duration():
    assert add_business_time(london(2026, 1, 10, 12, 0), timedelta(0), OFFICE) == utc(2026, 1, 12, 9, 0)
    assert add_business_time(london(2026, 1, 5, 17, 30), timedelta(0), OFFICE) == utc(2026, 1, 6, 9, 0)


def test_it_counts_nothing_when_the_end_is_not_after_the_start():
    start = london(2026, 1, 5, 12, 0)
    assert business_time_between(start, start, OFFICE) == timedelta(0)
    assert business_time_between(start, start - timedelta(hours=1), OFFICE) == timedelta(0)
    assert business_time_between(start, start - timedelta(hours=1), None) == timedelta(0)


def test_it_runs_an_interval_ending_at_2400_up_to_midnight():
    late = team("Europe/London", ["mon"], "20:00-24:00")
    assert late.hours[0] == ((time(20), END_OF_DAY),)
    assert business_time_between(london(2026, 1, 5, 19, 0), london(2026, 1, 6, 1, 0), late) == timedelta(hours=4)
    assert add_business_time(london(2026, 1, 5, 23, 30), timedelta(hours=1), late) == utc(2026, 1, 12, 20, 30)
    assert add_business_time(london(2026, 1, 5, 23, 0), timedelta(hours=1), late) == utc(2026, 1, 6, 0, 0)


def test_it_counts_straight_through_midnight_between_an_interval_ending_at_2400_and_one_starting_at_0000():
    nights = BusinessHours.from_spec({"timezone": "Europe/London", "fri": ["18:00-24:00"], "sat": ["00:00-06:00"]})
    assert add_business_time(london(2026, 1, 9, 23, 0), timedelta(hours=2), nights) == utc(2026, 1, 10, 1, 0)
    assert business_time_between(london(2026, 1, 9, 12, 0), london(2026, 1, 10, 12, 0), nights) == \
        timedelta(hours=12)


def test_it_covers_weeks_of_business_time():
    # Ten weeks of 42.5 hours from a Monday opening end at closing on the tenth Friday.
    start = london(2026, 1, 5, 9, 0)
    due = add_business_time(start, timedelta(hours=425), OFFICE)
    assert due == utc(2026, 3, 13, 17, 30)
    assert business_time_between(start, due, OFFICE) == timedelta(hours=425)


def test_it_gives_up_with_a_clear_error_when_no_opening_comes_within_a_year():
    every_day = [date(2026, 1, 1) + timedelta(days=n) for n in range(400)]
    closed = team("Europe/London", WEEKDAYS, "09:00-17:30", holidays=[d.isoformat() for d in every_day])
    with pytest.raises(ValueError, match="no business hours within 366 days"):
        add_business_time(london(2026, 1, 5, 9, 0), timedelta(minutes=1), closed)
    assert business_time_between(london(2026, 1, 5), london(2026, 2, 5), closed) == timedelta(0)


@pytest.mark.parametrize("start, due", [
    # London: clocks go forward at 01:00 GMT on Sunday 29 March 2026, back at 01:00 GMT on 25 October.
    (london(2026, 3, 29, 8, 30), utc(2026, 3, 29, 8, 30)),
    (london(2026, 10, 25, 8, 30), utc(2026, 10, 25, 9, 30)),
])
def test_it_keeps_wall_clock_opening_times_on_london_change_days(start, due):
    assert add_business_time(start, timedelta(minutes=60), LONDON_DAILY) == due


@pytest.mark.parametrize("start, due", [
    # New York: clocks go forward at 02:00 EST on Sunday 8 March 2026, back at 02:00 EDT on 1 November.
    (new_york(2026, 3, 8, 8, 30), utc(2026, 3, 8, 13, 30)),
    (new_york(2026, 11, 1, 8, 30), utc(2026, 11, 1, 14, 30)),
])
def test_it_keeps_wall_clock_opening_times_on_new_york_change_days(start, due):
    assert add_business_time(start, timedelta(minutes=60), NEW_YORK_DAILY) == due


@pytest.mark.parametrize("business_hours, start, due", [
    (LONDON_DAILY, london(2026, 3, 28, 17, 30), utc(2026, 3, 29, 7, 30)),
    (LONDON_DAILY, london(2026, 10, 24, 17, 30), utc(2026, 10, 25, 8, 30)),
    (NEW_YORK_DAILY, new_york(2026, 3, 7, 17, 30), utc(2026, 3, 8, 12, 30)),
    (NEW_YORK_DAILY, new_york(2026, 10, 31, 17, 30), utc(2026, 11, 1, 13, 30)),
])
def test_it_counts_across_the_change_night_in_business_time_not_elapsed_time(business_hours, start, due):
    assert add_business_time(start, timedelta(minutes=60), business_hours) == due
    assert business_time_between(start, due, business_hours) == timedelta(minutes=60)


@pytest.mark.parametrize("day, length", [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 30), 24)])
def test_it_gives_a_change_day_open_around_the_clock_23_or_25_hours(day, length):
    always = team("Europe/London", ALL_DAYS, "00:00-24:00")
    midnight = datetime.combine(day, time(), ZoneInfo("Europe/London"))
    next_midnight = datetime.combine(day + timedelta(days=1), time(), ZoneInfo("Europe/London"))
    assert business_time_between(midnight, next_midnight, always) == timedelta(hours=length)
    assert add_business_time(midnight, timedelta(hours=length), always) == next_midnight


def test_it_opens_a_night_shift_at_the_change_when_clocks_skip_its_opening_time():
    # 02:30 does not exist in New York on 8 March 2026; the shift opens at 03:00 EDT.
    night = team("America/New_York", ["sun"], "02:30-04:00")
    assert add_business_time(new_york(2026, 3, 8, 0, 0), timedelta(0), night) == utc(2026, 3, 8, 7, 0)
    assert business_time_between(new_york(2026, 3, 8, 0, 0), new_york(2026, 3, 8, 6, 0), night) == \
        timedelta(hours=1)


def test_it_closes_an_interval_lying_wholly_in_the_skipped_hour():
    gap = BusinessHours.from_spec({"timezone": "Europe/London", "sun": ["01:15-01:45"], "mon": ["09:00-10:00"]})
    assert add_business_time(london(2026, 3, 29, 0, 0), timedelta(0), gap) == utc(2026, 3, 30, 8, 0)
    assert business_time_between(london(2026, 3, 29, 0, 0), london(2026, 3, 30, 0, 0), gap) == timedelta(0)


def test_it_shortens_an_interval_spanning_the_skipped_hour_and_lengthens_one_spanning_the_repeated_hour():
    night = team("Europe/London", ["sun"], "00:00-03:00")
    assert business_time_between(london(2026, 3, 28, 12), london(2026, 3, 29, 12), night) == timedelta(hours=2)
    assert business_time_between(london(2026, 10, 24, 12), london(2026, 10, 25, 12), night) == timedelta(hours=4)


def test_it_ends_an_interval_at_the_first_occurrence_of_a_repeated_closing_time():
    # 01:30 happens twice in London on 25 October 2026: at 00:30 and 01:30 UTC.
    night = team("Europe/London", ["sun"], "00:00-01:30")
    assert add_business_time(london(2026, 10, 25, 0, 0), timedelta(minutes=90), night) == utc(2026, 10, 25, 0, 30)
    assert business_time_between(london(2026, 10, 24, 12), london(2026, 10, 25, 12), night) == \
        timedelta(minutes=90)


def test_it_uses_the_local_weekday_in_kolkata_where_utc_is_still_on_sunday():
    # Sunday 23:00 UTC is Monday 04:30 in Kolkata (UTC+05:30).
    kolkata = team("Asia/Kolkata", WEEKDAYS, "04:00-12:00")
    assert add_business_time(utc(2026, 1, 4, 23, 0), timedelta(hours=1), kolkata) == utc(2026, 1, 5, 0, 0)
    assert business_time_between(utc(2026, 1, 4, 12, 0), utc(2026, 1, 5, 0, 0), kolkata) == timedelta(hours=1.5)


def test_it_uses_the_local_weekday_in_auckland_where_utc_is_still_on_sunday():
    # Auckland is on UTC+13 in January: Monday 09:00 there is Sunday 20:00 UTC,
    # and Friday 05:00 UTC is already 18:00 on Friday, after closing.
    auckland = team("Pacific/Auckland", WEEKDAYS, "09:00-17:00")
    assert add_business_time(utc(2026, 1, 9, 5, 0), timedelta(minutes=30), auckland) == utc(2026, 1, 11, 20, 30)
    assert business_time_between(utc(2026, 1, 11, 0, 0), utc(2026, 1, 11, 23, 0), auckland) == timedelta(hours=3)


ROUND_TRIP_TEAMS = {
    "london office": OFFICE,
    "london lunch": LUNCH,
    "new york daily": NEW_YORK_DAILY,
    "auckland split": team("Pacific/Auckland", ["sun", "wed", "sat"], "00:00-02:30", "08:00-12:00", "22:00-24:00"),
    "london nights": team("Europe/London", ["sat", "sun"], "00:00-03:00", "23:00-24:00"),
}
ROUND_TRIP_DURATIONS = [timedelta(0), timedelta(minutes=1), timedelta(minutes=45), timedelta(hours=4),
                        timedelta(hours=9, minutes=13), timedelta(days=3), timedelta(weeks=1)]
# Starts every 331 minutes through weeks that hold a change in London, New York or Auckland.
ROUND_TRIP_WEEKS = [utc(2026, 3, 5), utc(2026, 3, 26), utc(2026, 4, 2), utc(2026, 9, 24), utc(2026, 10, 22),
                    utc(2026, 10, 29)]


@pytest.mark.parametrize("name", ROUND_TRIP_TEAMS)
def test_it_counts_back_exactly_the_business_time_it_added(name):
    business_hours = ROUND_TRIP_TEAMS[name]
    for week in ROUND_TRIP_WEEKS:
        for step in range(0, 7 * 24 * 60, 331):
            start = week + timedelta(minutes=step)
            for duration in ROUND_TRIP_DURATIONS:
                due = add_business_time(start, duration, business_hours)
                assert due >= start
                assert business_time_between(start, due, business_hours) == duration, (start, duration)


@pytest.mark.parametrize("name", ROUND_TRIP_TEAMS)
def test_it_reaches_no_later_than_the_end_when_adding_the_nonzero_time_counted_up_to_it(name):
    business_hours = ROUND_TRIP_TEAMS[name]
    for week in ROUND_TRIP_WEEKS:
        for step in range(0, 7 * 24 * 60, 211):
            start = week + timedelta(minutes=step)
            for gap in (timedelta(minutes=50), timedelta(hours=20), timedelta(days=9)):
                counted = business_time_between(start, start + gap, business_hours)
                if counted:
                    assert add_business_time(start, counted, business_hours) <= start + gap


def test_it_refuses_naive_datetimes():
    naive = datetime(2026, 1, 5, 10, 0)
    with pytest.raises(ValueError, match="start: .* is not a timezone-aware datetime"):
        add_business_time(naive, timedelta(hours=1), OFFICE)
    with pytest.raises(ValueError, match="start: .* is not a timezone-aware datetime"):
        add_business_time(naive, timedelta(hours=1), None)
    with pytest.raises(ValueError, match="end: .* is not a timezone-aware datetime"):
        business_time_between(london(2026, 1, 5, 9, 0), naive, OFFICE)


def test_it_refuses_a_negative_duration():
    with pytest.raises(ValueError, match="duration: .* is negative"):
        add_business_time(london(2026, 1, 5, 9, 0), timedelta(minutes=-1), OFFICE)


def test_it_reads_short_and_full_day_names_sorts_intervals_and_parses_holidays():
    spec = BusinessHours.from_spec({
        "timezone": "Europe/London",
        "monday": ["13:00-17:30", "09:00-12:00"],
        "fri": ["9:00-24:00"],
        "holidays": ["2026-12-25", date(2026, 12, 28)],
    })
    assert spec == BusinessHours(
        timezone="Europe/London",
        hours={0: ((time(9), time(12)), (time(13), time(17, 30))), 4: ((time(9), END_OF_DAY),)},
        holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
    )


@pytest.mark.parametrize("spec, message", [
    ({"timezone": "Mars/Base", "mon": ["09:00-17:00"]}, "timezone: 'Mars/Base' is not an IANA time zone"),
    ({"timezone": "", "mon": ["09:00-17:00"]}, "timezone: '' is not an IANA time zone"),
    ({"mon": ["09:00-17:00"]}, "timezone: missing"),
    ({"timezone": "Europe/London", "tuesday": ["13:00-12:00"]}, "tuesday: '13:00-12:00' ends before it starts"),
    ({"timezone": "Europe/London", "tuesday": ["22:00-00:00"]}, "write 24:00 for midnight"),
    ({"timezone": "Europe/London", "wed": ["09:00-09:00"]}, "wednesday: '09:00-09:00' is empty"),
    ({"timezone": "Europe/London", "mon": ["09:00-13:00", "12:00-17:00"]},
     "monday: '12:00-17:00' overlaps '09:00-13:00'"),
    ({"timezone": "Europe/London", "mon": ["9-17"]}, "mon: '9-17' is not an interval 'HH:MM-HH:MM'"),
    ({"timezone": "Europe/London", "mon": ["09:00-24:30"]}, "mon: '09:00-24:30' has a time out of range"),
    ({"timezone": "Europe/London", "mon": ["24:00-24:00"]}, "mon: '24:00-24:00' has a time out of range"),
    ({"timezone": "Europe/London", "mon": "09:00-17:00"}, "mon: '09:00-17:00' is not a list of intervals"),
    ({"timezone": "Europe/London", "mon": ["09:00-17:00"], "monday": ["10:00-11:00"]},
     "monday: given twice, as 'mon' and 'monday'"),
    ({"timezone": "Europe/London", "funday": ["09:00-17:00"]}, "'funday' is not a business-hours field; allowed:"),
    ({"timezone": "Europe/London", "mon": ["09:00-17:00"], "holidays": ["2026-13-01"]},
     "holidays: '2026-13-01' is not a date (YYYY-MM-DD)"),
    ({"timezone": "Europe/London", "mon": ["09:00-17:00"], "holidays": ["20261225"]},
     "holidays: '20261225' is not a date (YYYY-MM-DD)"),
    ({"timezone": "Europe/London", "mon": ["09:00-17:00"], "holidays": "2026-12-25"},
     "holidays: '2026-12-25' is not a list of dates"),
    ({"timezone": "Europe/London"}, "no open hours on any day of the week"),
    ({"timezone": "Europe/London", "mon": [], "sun": []}, "no open hours on any day of the week"),
])
def test_it_refuses_a_bad_spec_naming_the_field_and_value(spec, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        BusinessHours.from_spec(spec)


def test_it_checks_hours_built_without_a_spec():
    with pytest.raises(ValueError, match=re.escape("hours: 7 is not a weekday")):
        BusinessHours("Europe/London", {7: ((time(9), time(17)),)})
    with pytest.raises(ValueError, match=re.escape("monday: '12:00-17:00' overlaps '09:00-13:00'")):
        BusinessHours("Europe/London", {0: ((time(9), time(13)), (time(12), time(17)))})
