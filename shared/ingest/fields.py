"""The fields of the store metadata files, checked and converted alike by every reader (row by
row, or once per distinct value): a store_id as written, a day of the week, a local time.
ValueError says what is wrong with one."""

import functools
import re
from datetime import time

from shared.ingest.source import quoted
from shared.storeids import MAX_STORE_ID_BYTES, WHITESPACE, fits

HOURS_COLUMNS = [["store_id"], ["day", "dayofweek"], ["start_time_local"], ["end_time_local"]]
_DAYS = frozenset("0123456")
_LOCAL_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")


def store_id(raw: str) -> str:
    """The store_id as stored: trimmed, 1 to MAX_STORE_ID_BYTES bytes."""
    value = raw.strip(WHITESPACE)
    if not value:
        raise ValueError("empty store_id")
    if not fits(value):
        raise ValueError(f"store_id longer than {MAX_STORE_ID_BYTES} bytes: {quoted(value)}")
    return value


def day_of_week(raw: str) -> int:
    """0 = Monday … 6 = Sunday."""
    day = raw.strip()
    if day not in _DAYS:
        raise ValueError(f"bad day {quoted(raw)} (expected 0=Monday … 6=Sunday)")
    return int(day)


@functools.lru_cache(maxsize=65_536)  # a file repeats the same few thousand times
def parse_local_time(text: str) -> time:
    """`HH:MM[:SS[.ffffff]]` from 00:00:00 to 23:59:59.999999."""
    match = _LOCAL_TIME.fullmatch(text.strip())
    if not match:
        raise ValueError(f"bad local time {quoted(text)} (expected HH:MM:SS)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"local time {quoted(text)} out of range 00:00:00-23:59:59")
    return time(hour, minute, second, int((match[4] or "0").ljust(6, "0")))
