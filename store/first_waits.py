"""The first-response waits of a group of tickets, kept as sorted runs
(store.packed_numbers), and the wait at a percentile's nearest rank, found
by bisecting the runs rather than by merging every wait into one list: a
month's runs hold hundreds of thousands of waits, and the search unpacks
only the runs the rank falls inside.

Waits are ordered by (tenths of a minute, still waiting): as the number
tenths * 2, plus 1 while the customer still waits, since a wait that still
runs is at least that long. Answered waits and those of paused tickets are
kept in tenths of a minute, the answered ones as distinct values with the
running count of waits up to each. A ticket still waiting on a running
clock is kept as the moment it was raised (microseconds since 1970), so
that its wait is counted against the moment the figures are asked for.

The wait at a percentile of several groups together lies between the least
and the greatest of the groups' own (each group has at least its share of
waits up to its own, and fewer than its share below it), so the figures of
all tickets bisect only between those: by agent, the total's runs are
every agent's, and bisecting them over the whole range of waits took half
the time the percentiles of a month took."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.packed_numbers import Run

# Microseconds in a tenth of a minute, the precision waits are counted in.
TENTH_OF_A_MINUTE = 6_000_000


def tenths_waited(since_us: int, until_us: int) -> int:
    """Tenths of a minute from one moment to another, rounded half up."""
    return (until_us - since_us + TENTH_OF_A_MINUTE // 2) // TENTH_OF_A_MINUTE


@dataclass
class FirstWaits:
    now_us: int
    # (distinct tenths, how many waits up to each) run pairs
    answered: list[tuple[Run, Run]] = field(default_factory=list)
    # tenths
    paused: list[Run] = field(default_factory=list)
    # moments raised, microseconds
    raised: list[Run] = field(default_factory=list)

    def waiting(self) -> int:
        return sum(map(len, self.paused)) + sum(map(len, self.raised))

    def size(self) -> int:
        return sum(counts.last for _, counts in self.answered) + self.waiting()

    @classmethod
    def together(cls, now_us: int, groups: list[FirstWaits]) -> FirstWaits:
        return cls(now_us, *([run for waits in groups for run in getattr(waits, kind)]
                             for kind in ("answered", "paused", "raised")))

    def at_ranks(self, percents: list[int], parts: list[list[int | None]] = ()) -> list[int | None]:
        """The ordered wait at each percent's nearest rank (None: no waits).
        `parts`: the ranks found the same way in groups whose waits together
        are these (FirstWaits.together), to bisect between the least and
        the greatest of them only."""
        size = self.size()
        if not size:
            return [None] * len(percents)
        low, high = self._bounds()
        ranked = []
        for number, percent in enumerate(percents):
            found = [ranks[number] for ranks in parts if ranks[number] is not None]
            ranked.append(self._smallest_with(max(1, (size * percent + 99) // 100),
                                              *((min(found), max(found)) if found else (low, high))))
        return ranked

    def _smallest_with(self, rank: int, low: int, high: int) -> int:
        while low < high:
            middle = (low + high) // 2
            if self._at_most(middle) >= rank:
                high = middle
            else:
                low = middle + 1
        return low

    def _at_most(self, ordered: int) -> int:
        """How many waits are at most `ordered` (tenths * 2 + still waiting)."""
        tenths, still = divmod(ordered, 2)
        waiting_tenths = tenths if still else tenths - 1
        # A running wait is at most that many tenths when raised after this moment.
        raised_after = self.now_us + TENTH_OF_A_MINUTE // 2 - (waiting_tenths + 1) * TENTH_OF_A_MINUTE
        answered = 0
        for values, counts in self.answered:
            found = values.at_most(tenths)
            answered += counts.last if found == values.size else counts.numbers[found - 1] if found else 0
        return (answered + sum(run.at_most(waiting_tenths) for run in self.paused)
                + sum(run.size - run.at_most(raised_after) for run in self.raised))

    def _bounds(self) -> tuple[int, int]:
        ends = [value * 2 for values, _ in self.answered if values.size for value in (values.first, values.last)]
        ends += [value * 2 + 1 for run in self.paused if run.size for value in (run.first, run.last)]
        ends += [tenths_waited(value, self.now_us) * 2 + 1 for run in self.raised if run.size
                 for value in (run.first, run.last)]
        return min(ends), max(ends)


def not_yet_due(due_times: Run, now_us: int) -> int:
    """How many of the due times are not before now."""
    return due_times.size - due_times.below(now_us)
