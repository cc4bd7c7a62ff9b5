"""Each store over a whole report, for ranking the stores: its business and active time over
the report's longest window (or all its periods), its polls there, and for a period report its
worst period; and the histogram bucket its uptime percent falls in."""

from dataclasses import dataclass

import numpy as np

from shared.uptime.polls import Ints

BUCKETS = 10  # of ten points of uptime percent each: [0, 10) … [90, 100]


def buckets(up: Ints, business: Ints) -> Ints:
    """Each store's bucket from its exact active and business ticks (−1: no business time)."""
    safe = np.maximum(business, 1)
    found: Ints = np.where(business > 0, np.minimum((BUCKETS * up) // safe, BUCKETS - 1), -1)
    return found


@dataclass(frozen=True)
class StoreTotals:
    """Per store of a batch that has rows (in batch order): exact ticks, polls, and the worst
    period (of those with business time and a poll, the lowest uptime percent as the CSV shows
    it, the earliest of equals; an index into the report's periods, −1 for none or a standard
    report) with that percent in hundredths (−1: none)."""

    store: Ints
    business: Ints
    up: Ints
    polls: Ints
    worst_period: Ints
    worst_percent: Ints

    @classmethod
    def without_periods(cls, store: Ints, business: Ints, up: Ints, polls: Ints) -> "StoreTotals":
        none = np.full(len(store), -1, np.int64)
        return cls(store, business, up, polls, none, none)
