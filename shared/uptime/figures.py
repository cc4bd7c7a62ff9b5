"""Exact times rounded as the CSV shows them: hundredths of a unit, half away from zero (all
values are ≥ 0), written with exactly two decimals; and the uptime percent."""

import functools
from typing import TypeVar

from shared.uptime.polls import Ints
from shared.uptime.timeline import TICKS_PER_US

N = TypeVar("N", Ints, int)  # arrays (int64: per-store figures) or Python ints (fleet sums)


def hundredths(ticks: N, unit_us: int) -> N:
    """`ticks` (half-µs, ≥ 0) in hundredths of `unit_us`, rounded half up. In int64 exact up
    to ~2.5 million hours; fleet-wide sums go beyond that: pass them as Python ints."""
    unit = unit_us * TICKS_PER_US
    return (200 * ticks + unit) // (2 * unit)


def percent_hundredths(up: N, business: N) -> N:
    """100 × up / business in hundredths, rounded half up (0 where there is no business). In
    int64 exact up to ~25,000 hours of business time: a store's, not the fleet's (Python ints)."""
    safe = business + (business == 0)  # 1 where there is no business: 0 %, not a ZeroDivision
    result: N = (20_000 * up + safe) // (2 * safe)
    return result


_LOOKUP = 1 << 17  # hundredths formatted once and looked up: 0.00 … 1310.71 (8 weeks of hours)


@functools.cache
def _texts() -> list[str]:
    # One past the end holds "": index −1 (Python counts it from the end) reads it too.
    return [f"{v // 100}.{v % 100:02d}" for v in range(_LOOKUP)] + [""]


def text(values: Ints) -> list[str]:
    """Hundredths as `1.50` (never `1.5`, never `-0.00`); −1 as an empty field."""
    if len(values) and (values.min() < -1 or values.max() >= _LOOKUP):
        return [f"{v // 100}.{v % 100:02d}" if v >= 0 else "" for v in values.tolist()]
    return list(map(_texts().__getitem__, values.tolist()))
