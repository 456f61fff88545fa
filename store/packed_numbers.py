"""Sorted runs of whole numbers kept compact inside a JSON document: base64
of little-endian integers, 8 bytes each ("q") or 4 ("i"), which a month of
kept figures loads in a few milliseconds where a JSON list of the same
numbers takes a fifth of a second."""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Iterable


def pack(numbers: Iterable[int], typecode: str = "q") -> str:
    packed = array(typecode, numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack(text: str, typecode: str = "q") -> array:
    numbers = array(typecode)
    numbers.frombytes(base64.b64decode(text))
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers
