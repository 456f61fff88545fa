"""Sorted runs of whole numbers kept compact inside a JSON document: base64
of little-endian integers, 8 bytes each ("q") or 4 ("i"), with the run's
first and last number and its size beside them. A month of kept figures
holds hundreds of thousands of numbers; a count that falls before or after
a whole run reads those three alone, and only the runs a count falls
inside are unpacked."""

from __future__ import annotations

import base64
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable


def pack(numbers: Iterable[int], typecode: str = "q") -> list:
    """A sorted run as kept: [first, last, size, packed], or [] when empty."""
    packed = array(typecode, numbers)
    if not packed:
        return []
    first, last = packed[0], packed[-1]
    if sys.byteorder == "big":
        packed.byteswap()
    return [first, last, len(packed), base64.b64encode(packed.tobytes()).decode("ascii")]


class Run:
    """A kept sorted run, unpacked the first time a count needs its inside."""

    __slots__ = ("first", "last", "size", "_packed", "_typecode", "_numbers")

    def __init__(self, kept: list, typecode: str = "q") -> None:
        self.first, self.last, self.size, self._packed = kept if kept else (0, 0, 0, "")
        self._typecode = typecode
        self._numbers: array | None = None

    @classmethod
    def of(cls, numbers: Iterable[int], typecode: str = "q") -> Run:
        return cls(pack(sorted(numbers), typecode), typecode)

    @property
    def numbers(self) -> array:
        if self._numbers is None:
            self._numbers = array(self._typecode)
            self._numbers.frombytes(base64.b64decode(self._packed))
            if sys.byteorder == "big":
                self._numbers.byteswap()
        return self._numbers

    def __len__(self) -> int:
        return self.size

    def at_most(self, value: int) -> int:
        """How many numbers are at most `value`."""
        if not self.size or value < self.first:
            return 0
        if value >= self.last:
            return self.size
        return bisect_right(self.numbers, value)

    def below(self, value: int) -> int:
        """How many numbers are below `value`."""
        if not self.size or value <= self.first:
            return 0
        if value > self.last:
            return self.size
        return bisect_left(self.numbers, value)
