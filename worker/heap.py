"""The worker's heaps: one glibc malloc arena for all the worker's threads, and a computing
child that keeps what it frees.

glibc gives each thread that allocates an arena of its own and keeps the pages freed in each
for that arena. The worker's threads (the one that pickles a job's arrays down the pipe to the
computing child, asyncio's `to_thread`) pass tens of megabytes through them, so what each
keeps adds up: after a year's monthly report the worker held 131 MB with the default arenas,
91 MB with one (docs/benchmarks.md). Its threads mostly wait, so they do not contend for it.

The child's arrays are megabytes each. glibc maps such blocks afresh and unmaps them when freed
(and trims the heap's free top), so every job faulted its pages in again: 17,000–20,000 page
faults a 1× standard report. The child keeps them instead: its resident memory stays near the
peak its jobs reach anyway, and the 1× standard report took 0.18–0.20 s instead of
0.22–0.24 s (docs/benchmarks.md).
"""

import ctypes
import sys

# mallopt's parameters, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def one_arena() -> bool:
    """Ask glibc for one arena (before the process starts threads); whether it was set (not
    glibc: nothing to do)."""
    return _mallopt((_M_ARENA_MAX, 1))


def keep_freed() -> bool:
    """Ask glibc to serve every block from the heap and never give its free top back (before
    the process allocates much); whether it was set."""
    return _mallopt((_M_MMAP_THRESHOLD, 1 << 30), (_M_TRIM_THRESHOLD, (1 << 31) - 1))


def _mallopt(*settings: tuple[int, int]) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return all(libc.mallopt(parameter, value) for parameter, value in settings)
    except (OSError, AttributeError):  # another C library (musl has no mallopt to speak of)
        return False
