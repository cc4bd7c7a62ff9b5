"""The summary of a report: how many stores, business and active time per window (or per
period), and how the stores' uptime percent over the longest window (or the whole range) is
spread, in ten buckets of ten points. Kept in exact ticks, so that the summaries of a report's
shards add up to the report's."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.instants import US_PER_HOUR
from shared.uptime.figures import hundredths, percent_hundredths
from shared.uptime.polls import Ints

BUCKETS = 10


@dataclass
class Summary:
    """`totals`: window name or period start → [active, business] ticks, in order."""

    kind: str  # "standard" or "period"
    stores: int = 0
    totals: dict[str, list[int]] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    no_business_time: int = 0

    def add_totals(self, names: list[str], up: Ints, business: Ints) -> None:
        """Add the active and business ticks `up[i]`, `business[i]` of window or period
        `names[i]`."""
        for name, u, b in zip(names, up.tolist(), business.tolist(), strict=True):
            kept = self.totals.setdefault(name, [0, 0])
            kept[0] += u
            kept[1] += b

    def add_stores(self, up: Ints, business: Ints) -> None:
        """Count stores by their uptime percent over the longest window (their active and
        business ticks there)."""
        self.stores += len(up)
        has = business > 0
        self.no_business_time += int((~has).sum())
        bucket = np.minimum((BUCKETS * up[has]) // business[has], BUCKETS - 1)
        counts = np.bincount(bucket, minlength=BUCKETS)
        self.histogram = [a + int(b) for a, b in zip(self.histogram, counts, strict=True)]

    def merge(self, other: "Summary") -> None:
        self.stores += other.stores
        for name, (up, business) in other.totals.items():
            kept = self.totals.setdefault(name, [0, 0])
            kept[0] += up
            kept[1] += business
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        self.no_business_time += other.no_business_time

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stores": self.stores,
            "totals": self.totals,
            "histogram": self.histogram,
            "no_business_time": self.no_business_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Summary":
        return cls(
            data["kind"],
            data["stores"],
            {k: list(v) for k, v in data["totals"].items()},
            list(data["histogram"]),
            data["no_business_time"],
        )

    def answer(self) -> dict[str, Any]:
        """What the API shows: hours with 2 decimals, percents too (the CSV's rounding)."""
        names = list(self.totals)
        rows = [
            {
                "uptime_hours": _hours(u),
                "downtime_hours": _hours(b - u),
                "business_hours": _hours(b),
                "uptime_percent": _percent(u, b),
            }
            for u, b in self.totals.values()
        ]
        key = "window" if self.kind == "standard" else "period_start"
        figures = [{key: name, **row} for name, row in zip(names, rows, strict=True)]
        # The longest window is the week; a period report's whole range is all its periods.
        longest = names[-1:] if self.kind == "standard" else names
        fleet_up = sum(self.totals[name][0] for name in longest)
        fleet_business = sum(self.totals[name][1] for name in longest)
        return {
            "stores": self.stores,
            "business_hours": _hours(fleet_business),
            "uptime_percent": _percent(fleet_up, fleet_business),
            ("windows" if self.kind == "standard" else "periods"): figures,
            "histogram": {
                "buckets": [
                    {"from": 10 * i, "to": 10 * (i + 1), "stores": n}
                    for i, n in enumerate(self.histogram)
                ],
                "no_business_time": self.no_business_time,
            },
        }


def _hours(ticks: int) -> float:
    return hundredths(ticks, US_PER_HOUR) / 100


def _percent(up: int, business: int) -> float | None:
    return percent_hundredths(up, business) / 100 if business else None
