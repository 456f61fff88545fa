"""A long-running process gives the memory it freed back to the system
(where the C library is glibc)."""

import threading
from pathlib import Path

import pytest

from closeloop import heap

pytestmark = pytest.mark.skipif(heap._LIBC is None, reason="the C library is not glibc")


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_freed_memory_goes_back_to_the_system():
    kept = []

    def allocate_and_free_most():
        blocks = [bytearray(100_000) for _ in range(1500)]
        kept.extend(blocks[::50])

    worker = threading.Thread(target=allocate_and_free_most)
    worker.start()
    worker.join()
    before = resident_mb()
    assert heap.give_back_freed_memory() is True
    assert resident_mb() < before - 50
    assert len(kept) == 30


def test_the_arena_limit_is_accepted():
    assert heap.limit_arenas() is True
