"""Giving memory back: after a large job a long-running process keeps the heap it grew, freed
but resident, unless the C allocator is asked to return it (glibc's malloc_trim). A job's peak
is then the job's own, not the sum of every earlier job's leftovers."""

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)
    return trim  # None where the C library has none (not glibc)


def give_back() -> None:
    """Return the heap's free memory to the system, where the C library can."""
    trim = _trim()
    if trim is not None:
        trim(0)
