"""Business hours of a store as merged UTC intervals over a report's span."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from shared.report.localtime import local_date, local_to_utc_us, zone
from shared.report.model import DEFAULT_TIMEZONE, HoursRow, StoreMeta

_DAY = timedelta(days=1)


def weekly_intervals(
    tz: ZoneInfo, hours: tuple[HoursRow, ...], first: date, last: date
) -> list[tuple[int, int]]:
    """UTC intervals [start, end) in microseconds for local dates `first`..`last`, merged.

    A row whose end is not after its start (as local times) ends on the next local date.
    """
    spans: list[tuple[int, int]] = []
    d = first
    while d <= last:
        weekday = d.weekday()
        for day, start, end in hours:
            if day != weekday:
                continue
            begin = local_to_utc_us(tz, d, start)
            finish = local_to_utc_us(tz, d if end > start else d + _DAY, end)
            if finish > begin:
                spans.append((begin, finish))
        d += _DAY
    return merge(spans)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint union of half-open intervals; touching ones are joined."""
    merged: list[tuple[int, int]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            if finish > merged[-1][1]:
                merged[-1] = (merged[-1][0], finish)
        else:
            merged.append((begin, finish))
    return merged


class BusinessHours:
    """Business intervals of stores over one span, computed once per (zone, weekly hours).

    Intervals are clipped to [span_start, span_end + 1 µs) and returned as an (k, 2) int64
    array of microseconds relative to span_start.
    """

    def __init__(self, span_start_us: int, span_end_us: int) -> None:
        self.span_start = span_start_us
        self.span_end = span_end_us
        self._cache: dict[tuple[str, tuple[HoursRow, ...]], np.ndarray] = {}

    def of(self, meta: StoreMeta) -> np.ndarray:
        """The store's business intervals over the span."""
        key = (meta.timezone or DEFAULT_TIMEZONE, meta.hours)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._compute(*key)
        return found

    def _compute(self, zone_name: str, hours: tuple[HoursRow, ...]) -> np.ndarray:
        limit = self.span_end + 1 - self.span_start
        if not hours:
            return np.array([[0, limit]], dtype=np.int64)
        tz = zone(zone_name)
        # The date before the span's first local date: its overnight shifts run into the span.
        first = local_date(tz, self.span_start) - _DAY
        last = local_date(tz, self.span_end)
        spans = np.array(weekly_intervals(tz, hours, first, last), dtype=np.int64).reshape(-1, 2)
        spans = np.clip(spans - self.span_start, 0, limit)
        return spans[spans[:, 1] > spans[:, 0]]
