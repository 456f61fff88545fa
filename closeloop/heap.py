"""Keeping a long-running process's memory flat where the C library is
glibc. Every thread that allocates may get a malloc arena of its own (up to
eight per core), and memory freed inside an arena stays with the process:
with the web server's and the scheduler's threads, a closeloop process grew
by a megabyte or two a minute while the memory in use stayed level. Two
arenas are enough for threads that take turns holding the interpreter's
lock, and a regular trim gives freed pages back to the system. Elsewhere
(musl, macOS) both do nothing. A service process also tunes Python's
garbage collection once it has started (`tune_collections`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

ARENAS = 2
TRIM_SECONDS = 60
YOUNG_OBJECTS = 50_000
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def limit_arenas(count: int = ARENAS) -> bool:
    """At most `count` malloc arenas from now on; call it before threads
    start. False where the C library has no such setting."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_ARENA_MAX, count))


def give_back_freed_memory() -> bool:
    """Return the free pages of every arena to the system; True when some
    were returned."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(0))


def tune_collections() -> None:
    """Keep what start-up made (modules, the app, its settings, the
    scorer's model) out of every later garbage collection, and collect the
    youngest generation once `YOUNG_OBJECTS` more objects are alive than
    at its last collection, instead of Python's 700.
    A full collection then walks only what was made since, instead of
    stopping a request for a tenth of a second once every few dozen pages;
    and intake, which makes and drops tens of thousands of records a page,
    no longer runs a collection dozens of times a page. Call it once
    start-up is done."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, oldest)
