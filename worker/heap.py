"""The worker process's heap: one glibc malloc arena for all its threads.

glibc gives each thread that allocates an arena of its own and keeps the pages freed in each
for that arena. The worker's threads (the one that pickles a job's arrays down the pipe to the
computing child, asyncio's `to_thread`) pass tens of megabytes through them, so what each
keeps adds up: after a year's monthly report the worker held 131 MB with the default arenas,
91 MB with one (docs/benchmarks.md). Its threads mostly wait, so they do not contend for it.
"""

import ctypes
import sys

_M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def one_arena() -> bool:
    """Ask glibc for one arena (before the process starts threads); whether it was set (not
    glibc: nothing to do)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):  # another C library (musl has no mallopt to speak of)
        return False
