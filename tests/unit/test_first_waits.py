"""The wait at a nearest rank, found by bisecting kept runs, against every
wait listed and sorted."""

from __future__ import annotations

from itertools import accumulate
from operator import sub

from hypothesis import given, settings
from hypothesis import strategies as st

from store.first_waits import TENTH_OF_A_MINUTE, FirstWaits, not_yet_due, tenths_waited
from store.packed_numbers import pack, unpack

NOW_US = 1_780_000_000 * 1_000_000
runs = st.lists(st.lists(st.integers(0, 20_000), max_size=30).map(sorted), max_size=4)
counted_runs = st.lists(st.dictionaries(st.integers(0, 20_000), st.integers(1, 5), max_size=30), max_size=4)
raised_runs = st.lists(st.lists(st.integers(NOW_US - 40 * 86_400_000_000, NOW_US), max_size=30).map(sorted),
                       max_size=4)


def _listed(waits: FirstWaits) -> list[int]:
    ordered = [tenths * 2 for values, counts in waits.answered
               for tenths, count in zip(values, [*counts[:1], *map(sub, counts[1:], counts)]) for _ in range(count)]
    ordered += [tenths * 2 + 1 for run in waits.paused for tenths in run]
    ordered += [tenths_waited(raised, waits.now_us) * 2 + 1 for run in waits.raised for raised in run]
    return sorted(ordered)


@settings(max_examples=300, deadline=None)
@given(counted_runs, runs, raised_runs, st.lists(st.integers(1, 100), min_size=1, max_size=3))
def test_the_rank_found_in_the_runs_is_the_listed_one(answered, paused, raised, percents):
    waits = FirstWaits(NOW_US, [(sorted(run), list(accumulate(run[value] for value in sorted(run))))
                                for run in answered], paused, raised)
    listed = _listed(waits)
    expected = [listed[max(1, (len(listed) * percent + 99) // 100) - 1] if listed else None for percent in percents]
    assert waits.at_ranks(percents) == expected
    halves = [FirstWaits(NOW_US, waits.answered[:1], paused[:1], raised[:1]),
              FirstWaits(NOW_US, waits.answered[1:], paused[1:], raised[1:])]
    assert FirstWaits.together(NOW_US, halves).at_ranks(percents) == expected
    assert waits.size() == len(listed)
    assert waits.waiting() == sum(map(len, paused)) + sum(map(len, raised))


def test_a_wait_still_running_ranks_after_an_answered_one_of_the_same_tenths():
    raised = NOW_US - 7 * TENTH_OF_A_MINUTE
    waits = FirstWaits(NOW_US, answered=[([7], [1])], raised=[[raised]])
    assert waits.at_ranks([50, 100]) == [14, 15]


def test_a_wait_is_rounded_half_up_to_the_tenth():
    assert tenths_waited(0, TENTH_OF_A_MINUTE // 2) == 1
    assert tenths_waited(0, TENTH_OF_A_MINUTE // 2 - 1) == 0


def test_due_times_not_before_now_are_not_yet_due():
    assert not_yet_due([[NOW_US - 1, NOW_US, NOW_US + 5], [NOW_US + 1]], NOW_US) == 3


@given(st.lists(st.integers(-2 ** 63, 2 ** 63 - 1)), st.lists(st.integers(-2 ** 31, 2 ** 31 - 1)))
def test_packed_numbers_come_back_as_they_went(wide, narrow):
    assert list(unpack(pack(wide))) == wide
    assert list(unpack(pack(narrow, "i"), "i")) == narrow
