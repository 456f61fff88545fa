"""The wait at a nearest rank, found by bisecting kept runs, against every
wait listed and sorted; kept runs and the counts read from them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from store.first_waits import TENTH_OF_A_MINUTE, FirstWaits, not_yet_due, tenths_waited
from store.packed_numbers import Run

NOW_US = 1_780_000_000 * 1_000_000
runs = st.lists(st.lists(st.integers(0, 20_000), max_size=30), max_size=4)
counted_runs = st.lists(st.dictionaries(st.integers(0, 20_000), st.integers(1, 5), max_size=30), max_size=4)
raised_runs = st.lists(st.lists(st.integers(NOW_US - 40 * 86_400_000_000, NOW_US), max_size=30), max_size=4)


def _answered(counted: dict[int, int]) -> tuple[Run, Run]:
    values = sorted(counted)
    return Run.of(values, "i"), Run.of(accumulate(counted[value] for value in values), "i")


def _listed(answered: list[dict[int, int]], paused: list[list[int]], raised: list[list[int]]) -> list[int]:
    ordered = [tenths * 2 for counted in answered for tenths, count in counted.items() for _ in range(count)]
    ordered += [tenths * 2 + 1 for run in paused for tenths in run]
    ordered += [tenths_waited(moment, NOW_US) * 2 + 1 for run in raised for moment in run]
    return sorted(ordered)


@settings(max_examples=300, deadline=None)
@given(counted_runs, runs, raised_runs, st.lists(st.integers(1, 100), min_size=1, max_size=3))
def test_the_rank_found_in_the_runs_is_the_listed_one(answered, paused, raised, percents):
    def waits(part: slice) -> FirstWaits:
        return FirstWaits(NOW_US, [_answered(counted) for counted in answered[part]],
                          [Run.of(run, "i") for run in paused[part]], [Run.of(run) for run in raised[part]])

    listed = _listed(answered, paused, raised)
    expected = [listed[max(1, (len(listed) * percent + 99) // 100) - 1] if listed else None for percent in percents]
    whole = waits(slice(None))
    assert whole.at_ranks(percents) == expected
    parts = [waits(slice(None, 1)), waits(slice(1, 3)), waits(slice(3, None))]
    together = FirstWaits.together(NOW_US, parts)
    assert together.at_ranks(percents) == expected
    assert together.at_ranks(percents, [part.at_ranks(percents) for part in parts]) == expected
    assert whole.size() == len(listed)
    assert whole.waiting() == sum(map(len, paused)) + sum(map(len, raised))


def test_a_wait_still_running_ranks_after_an_answered_one_of_the_same_tenths():
    raised = NOW_US - 7 * TENTH_OF_A_MINUTE
    waits = FirstWaits(NOW_US, answered=[_answered({7: 1})], raised=[Run.of([raised])])
    assert waits.at_ranks([50, 100]) == [14, 15]


def test_a_wait_is_rounded_half_up_to_the_tenth():
    assert tenths_waited(0, TENTH_OF_A_MINUTE // 2) == 1
    assert tenths_waited(0, TENTH_OF_A_MINUTE // 2 - 1) == 0


def test_due_times_not_before_now_are_not_yet_due():
    assert not_yet_due(Run.of([NOW_US - 1, NOW_US, NOW_US + 5, NOW_US + 1]), NOW_US) == 3
    assert not_yet_due(Run([]), NOW_US) == 0


@given(st.lists(st.integers(-2 ** 63, 2 ** 63 - 1)), st.lists(st.integers(-2 ** 31, 2 ** 31 - 1)),
       st.integers(-2 ** 63, 2 ** 63 - 1))
def test_a_kept_run_counts_as_its_numbers_do(wide, narrow, value):
    for numbers, typecode in ((sorted(wide), "q"), (sorted(narrow), "i")):
        run = Run.of(numbers, typecode)
        assert list(run.numbers) == numbers and len(run) == len(numbers)
        assert run.at_most(value) == bisect_right(numbers, value)
        assert run.below(value) == bisect_left(numbers, value)
        if numbers:
            assert run.at_most(numbers[len(numbers) // 2]) == bisect_right(numbers, numbers[len(numbers) // 2])
