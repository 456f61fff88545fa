"""Keeping a long-running process's memory flat where the C library is
glibc. Every thread that allocates may get a malloc arena of its own (up to
eight per core), and memory freed inside an arena stays with the process:
with the web server's and the scheduler's threads, a closeloop process grew
by a megabyte or two a minute while the memory in use stayed level. Two
arenas are enough for threads that take turns holding the interpreter's
lock, and a regular trim gives freed pages back to the system. Elsewhere
(musl, macOS) both do nothing. A web process also leaves what it made
at start-up out of later garbage collections."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

ARENAS = 2
TRIM_SECONDS = 60
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


def leave_start_up_out_of_collections() -> None:
    """Keep what start-up made (modules, the app, its settings) out of
    every later garbage collection: a full collection then walks only what
    was made since, instead of stopping a request for a tenth of a second
    once every few dozen pages. Call it once the app is built."""
    gc.collect()
    gc.freeze()
