"""A process's copies of kept figures: good only for the counting they
were read from, and bounded, the least recently read going first."""

from __future__ import annotations

import json

from store.kept_copies import KeptCopies


def _key(n: int):
    return ("postgresql://db", "volume", n, 1)


def test_a_copy_holds_only_for_the_counting_it_was_read_from():
    copies = KeptCopies()
    assert copies.put(_key(1), 10.5, '[["x", 1]]') == [["x", 1]]
    assert copies.get(_key(1), 10.5) == [["x", 1]]
    assert copies.get(_key(1), 11.0) is None
    assert copies.get(_key(2), 10.5) is None
    copies.put(_key(1), 11.0, "[]")
    assert copies.get(_key(1), 10.5) is None and copies.get(_key(1), 11.0) == []
    assert copies.size == 2


def test_copies_stay_within_their_limit_dropping_the_least_recently_read():
    text = json.dumps(["n" * 10])
    copies = KeptCopies(limit=3 * len(text))
    for n in range(3):
        copies.put(_key(n), 1.0, text)
    assert copies.get(_key(0), 1.0) is not None
    copies.put(_key(3), 1.0, text)
    assert copies.get(_key(1), 1.0) is None
    assert all(copies.get(_key(n), 1.0) is not None for n in (0, 2, 3))
    assert copies.size == 3 * len(text)
    copies.put(_key(4), 1.0, json.dumps("x" * 4 * len(text)))
    assert copies.get(_key(4), 1.0) is None and copies.size == 3 * len(text)
