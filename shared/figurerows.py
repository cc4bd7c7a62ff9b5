"""Daily figures packed for storage: the figures of one block of store keys on one local date,
a fixed-width record per store key (so that the figures of a run of keys are one slice of the
row), little-endian. Pure: arrays in, bytes out, and back; no database.

A record: business and active ticks (int64), polls (int32), the first and last observation
(µs, int64), and flags: observed, first active, last active, complete (uint8 bits).
"""

from collections.abc import Sequence

import numpy as np

from shared.uptime.daily import DailyFigures, combined

RECORD = np.dtype(
    [
        ("business", "<i8"),
        ("active", "<i8"),
        ("polls", "<i4"),
        ("first", "<i8"),
        ("last", "<i8"),
        ("flags", "u1"),
    ]
)
_OBSERVED, _FIRST_ACTIVE, _LAST_ACTIVE, _COMPLETE = 1, 2, 4, 8


def encode(figures: DailyFigures, day: int) -> bytes:
    """The records of column `day` of `figures` (one row per store key of the block)."""
    out = np.zeros(len(figures.business), RECORD)
    for name in ("business", "active", "polls", "first", "last"):
        out[name] = getattr(figures, name)[:, day]
    out["flags"] = (
        figures.observed[:, day] * _OBSERVED
        | figures.first_active[:, day] * _FIRST_ACTIVE
        | figures.last_active[:, day] * _LAST_ACTIVE
        | figures.complete[:, day] * _COMPLETE
    )
    return out.tobytes()


def decode_into(target: DailyFigures, day: int, data: bytes) -> None:
    """Put the records `data` in row `day` of `target` (dates × stores): its first entries,
    one per record."""
    records = np.frombuffer(data, RECORD)
    count = len(records)
    for name in ("business", "active", "polls", "first", "last"):
        getattr(target, name)[day, :count] = records[name]
    flags = records["flags"]
    target.observed[day, :count] = (flags & _OBSERVED) > 0
    target.first_active[day, :count] = (flags & _FIRST_ACTIVE) > 0
    target.last_active[day, :count] = (flags & _LAST_ACTIVE) > 0
    target.complete[day, :count] = (flags & _COMPLETE) > 0


def combined_rows(rows: Sequence[tuple[int, bytes]]) -> DailyFigures:
    """The figures (stores × 1) of consecutive dates' rows (stores, records) taken as one unit
    (`combined`), of the stores every row has."""
    stores = min(n for n, _ in rows)
    by_date = DailyFigures.unknown(len(rows), stores)
    for day, (_, data) in enumerate(rows):
        decode_into(by_date, day, data[: stores * RECORD.itemsize])
    figures = DailyFigures(*(getattr(by_date, name).T for name in DailyFigures.__annotations__))
    return combined(figures, np.zeros(1, np.int64))
