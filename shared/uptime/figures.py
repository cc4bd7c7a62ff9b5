"""Exact times rounded as the CSV shows them: hundredths of a unit, half away from zero (all
values are ≥ 0), written with exactly two decimals; and the uptime percent."""

import numpy as np

from shared.pollchunks import Ints
from shared.uptime.timeline import TICKS_PER_US


def hundredths(ticks: Ints, unit_us: int) -> Ints:
    """`ticks` (half-µs, ≥ 0) in hundredths of `unit_us`, rounded half up."""
    unit = unit_us * TICKS_PER_US
    result: Ints = (200 * ticks + unit) // (2 * unit)
    return result


def percent_hundredths(up: Ints, business: Ints) -> Ints:
    """100 × up / business in hundredths, rounded half up (0 where there is no business)."""
    safe = np.maximum(business, 1)
    result: Ints = (20_000 * up + safe) // (2 * safe)
    return result


def text(values: Ints) -> list[str]:
    """Hundredths as `1.50`: never `1.5`, never `-0.00`."""
    return [f"{v // 100}.{v % 100:02d}" for v in values.tolist()]
