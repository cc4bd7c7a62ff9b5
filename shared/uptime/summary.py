"""The summary of a report: how many stores, business and active time per window (or per
period) and how many stores had no poll in it, the fleet in the window before each of the last
hour and day (a trend), and how the stores' uptime percent over the longest window (or the whole
range) is spread, in ten buckets of ten points. Kept in exact ticks, so that the summaries of a
report's shards add up to the report's."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.instants import US_PER_HOUR
from shared.uptime.figures import hundredths, percent_hundredths
from shared.uptime.polls import Ints
from shared.uptime.stores import BUCKETS, buckets


@dataclass
class Summary:
    """`totals`: window name or period start → [active, business] ticks, in order;
    `no_polls`: the same names → stores without a poll there; `previous`: window name → the
    [active, business] ticks of the window of the same length just before it; `partial`:
    whether as_of cut a period short."""

    kind: str  # "standard" or "period"
    stores: int = 0
    totals: dict[str, list[int]] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    no_business_time: int = 0
    no_polls: dict[str, int] = field(default_factory=dict)
    previous: dict[str, list[int]] = field(default_factory=dict)
    partial: bool = False
    rows: dict[str, int] = field(default_factory=dict)

    def add_totals(
        self, names: list[str], up: Ints, business: Ints, no_polls: Ints, stores: Ints
    ) -> None:
        """Add the active and business ticks `up[i]`, `business[i]` of window or period
        `names[i]`, `no_polls[i]` stores without a poll in it and `stores[i]` with a row."""
        _add(self.totals, names, up, business)
        for counts, added in ((self.no_polls, no_polls), (self.rows, stores)):
            for name, n in zip(names, added.tolist(), strict=True):
                counts[name] = counts.get(name, 0) + n

    def add_previous(self, names: list[str], up: Ints, business: Ints) -> None:
        """Add the ticks of the window before window `names[i]`."""
        _add(self.previous, names, up, business)

    def add_stores(self, up: Ints, business: Ints) -> None:
        """Count stores by their uptime percent over the longest window (their active and
        business ticks there)."""
        self.stores += len(up)
        bucket = buckets(up, business)
        self.no_business_time += int((bucket < 0).sum())
        counts = np.bincount(bucket[bucket >= 0], minlength=BUCKETS)
        self.histogram = [a + int(b) for a, b in zip(self.histogram, counts, strict=True)]

    def merge(self, other: "Summary") -> None:
        self.stores += other.stores
        for kept, pairs in ((self.totals, other.totals), (self.previous, other.previous)):
            for name, (up, business) in pairs.items():
                pair = kept.setdefault(name, [0, 0])
                pair[0] += up
                pair[1] += business
        for counts, added in ((self.no_polls, other.no_polls), (self.rows, other.rows)):
            for name, n in added.items():
                counts[name] = counts.get(name, 0) + n
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        self.no_business_time += other.no_business_time
        self.partial |= other.partial

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stores": self.stores,
            "totals": self.totals,
            "histogram": self.histogram,
            "no_business_time": self.no_business_time,
            "no_polls": self.no_polls,
            "previous": self.previous,
            "partial": self.partial,
            "rows": self.rows,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Summary":
        return cls(
            data["kind"],
            data["stores"],
            {k: list(v) for k, v in data["totals"].items()},
            list(data["histogram"]),
            data["no_business_time"],
            dict(data.get("no_polls", {})),  # indexes written before coverage have none
            {k: list(v) for k, v in data.get("previous", {}).items()},
            bool(data.get("partial", False)),
            dict(data.get("rows", {})),
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
        figures = [
            {
                key: name,
                **row,
                "stores": self.rows.get(name, 0),
                "stores_without_polls": self.no_polls.get(name, 0),
                "previous_uptime_percent": self._previous_percent(names, n),
            }
            for n, (name, row) in enumerate(zip(names, rows, strict=True))
        ]
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
            "stores_without_business_time": self.no_business_time,
            **({} if self.kind == "standard" else {"partial_last_period": self.partial}),
        }

    def _previous_percent(self, names: list[str], n: int) -> float | None:
        """The fleet's uptime percent in the window before window `names[n]` (standard: where
        the report holds it) or in the period before period `n`; None without one."""
        if self.kind == "standard":
            before = self.previous.get(names[n])
        else:
            before = self.totals[names[n - 1]] if n else None
        return None if before is None else _percent(*before)


def _add(kept: dict[str, list[int]], names: list[str], up: Ints, business: Ints) -> None:
    for name, u, b in zip(names, up.tolist(), business.tolist(), strict=True):
        pair = kept.setdefault(name, [0, 0])
        pair[0] += u
        pair[1] += b


def _hours(ticks: int) -> float:
    return hundredths(ticks, US_PER_HOUR) / 100


def _percent(up: int, business: int) -> float | None:
    return percent_hundredths(up, business) / 100 if business else None
