"""Business hours of a batch of stores as merged UTC intervals over a report's span.

All stores of a batch are done at once with NumPy: each weekly row is laid on the local dates
that touch the span, and each local wall-clock boundary is converted to UTC by the zone's
offset table for the span (see `ZoneOffsets`), so no per-store, per-day Python work is done.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shared.instants import MICROSECOND, US_PER_DAY, US_PER_HOUR, from_us
from shared.uptime.localtime import zone
from shared.uptime.model import DEFAULT_TIMEZONE, StoreMeta
from shared.uptime.polls import Ints

_SAMPLE_US = US_PER_HOUR  # zone offsets are sampled hourly, transitions then bisected
_MONDAY_OFFSET = 3  # 1970-01-01, day 0 of the epoch, was a Thursday (Monday = 0)


def _offset_us(tz: ZoneInfo, utc_us: int) -> int:
    offset = from_us(utc_us).astimezone(tz).utcoffset()
    assert offset is not None
    return offset // MICROSECOND


class ZoneOffsets:
    """A zone's UTC offsets between two instants, as a piecewise-constant table.

    For local wall-clock times the table applies the spec's rule: a time in a spring-forward
    gap reads with the offset before the jump, a repeated time as its later occurrence. Around
    a transition at UTC instant T from offset a to b, local times below T + min(a, b) read a,
    those from T + max(a, b) on read b, and those between (the gap or the repeated hour) read
    min(a, b) — the offset before a jump forward, the offset after a jump back.
    """

    def __init__(self, tz: ZoneInfo, first_us: int, last_us: int) -> None:
        # At least the offset at first_us, however the bounds come: the table is never empty.
        samples = list(range(first_us, max(first_us, last_us) + _SAMPLE_US, _SAMPLE_US))
        offsets = [_offset_us(tz, u) for u in samples]
        utc_breaks: list[int] = []
        local_breaks: list[int] = []
        utc_values = [offsets[0]]
        local_values = [offsets[0]]
        for i in range(1, len(samples)):
            before, after = offsets[i - 1], offsets[i]
            if before == after:
                continue
            lo, hi = samples[i - 1], samples[i]  # the transition lies in (lo, hi]
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_us(tz, mid) == before:
                    lo = mid
                else:
                    hi = mid
            utc_breaks.append(hi)
            utc_values.append(after)
            local_breaks += [hi + min(before, after), hi + max(before, after)]
            local_values += [min(before, after), after]
        self._utc_breaks = np.array(utc_breaks, np.int64)
        self._utc_values = np.array(utc_values, np.int64)
        self._local_breaks = np.array(local_breaks, np.int64)
        self._local_values = np.array(local_values, np.int64)

    def at_utc(self, utc_us: np.ndarray) -> np.ndarray:
        """The offset in force at each UTC instant."""
        result: np.ndarray = self._utc_values[np.searchsorted(self._utc_breaks, utc_us, "right")]
        return result

    def to_utc(self, local_us: np.ndarray) -> np.ndarray:
        """UTC instants of local wall-clock times (µs since the epoch as if local were UTC)."""
        at = np.searchsorted(self._local_breaks, local_us, "right")
        result: np.ndarray = local_us - self._local_values[at]
        return result


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@dataclass(frozen=True)
class StoreHours:
    """The business hours of a batch of stores: each store's zone (the default where it has
    none), and its weekly rows as columns: the store's index in the batch, the day
    (0 = Monday), local start and end in microseconds after midnight. A store without rows is
    open 24x7."""

    zone: npt.NDArray[np.str_]
    owner: Ints
    day: Ints
    start_us: Ints
    end_us: Ints

    @classmethod
    def from_metas(cls, metas: Sequence[StoreMeta]) -> "StoreHours":
        rows = [
            (i, day, _time_us(start), _time_us(end))
            for i, meta in enumerate(metas)
            for day, start, end in meta.hours
        ]
        owner, day, start, end = zip(*rows, strict=True) if rows else ((),) * 4
        return cls(
            np.array([meta.timezone or DEFAULT_TIMEZONE for meta in metas], dtype=str),
            np.array(owner, dtype=np.int64),
            np.array(day, dtype=np.int64),
            np.array(start, dtype=np.int64),
            np.array(end, dtype=np.int64),
        )

    def take(self, stores: Ints) -> "StoreHours":
        """The hours of `stores` (indexes, repeats allowed), as a batch in that order."""
        order = np.argsort(self.owner, kind="stable")
        counts = np.bincount(self.owner, minlength=len(self.zone))
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        taken = counts[stores]
        owner = np.repeat(np.arange(len(stores)), taken)
        rows = order[np.repeat(starts[stores] - np.r_[0, np.cumsum(taken)[:-1]], taken)
                     + np.arange(int(taken.sum()))]  # fmt: skip
        return StoreHours(
            self.zone[stores], owner, self.day[rows], self.start_us[rows], self.end_us[rows]
        )


@dataclass(frozen=True)
class Intervals:
    """Business intervals of a batch of stores, [start, end) in µs since the epoch, disjoint
    and not touching, sorted by (owner, start)."""

    owner: Ints
    start: Ints
    end: Ints


def business_intervals(hours: StoreHours, span_lo: Ints, span_hi: Ints) -> Intervals:
    """Every store's business intervals over its span [lo, hi] (µs since the epoch, one per
    store): each weekly row laid on every local date that touches the span and on the date
    before (its overnight shifts run into the span), then clipped to the span and merged. The
    span holds its last instant, so intervals reach hi + 1 µs (an instant t is in business
    hours when start ≤ t < end)."""
    n = len(hours.zone)
    has_rows = np.zeros(n, dtype=bool)
    has_rows[hours.owner] = True
    always = np.flatnonzero(~has_rows)
    parts = [(always, span_lo[always], span_hi[always] + 1)]
    # Zones are compared as small integer codes: a batch has few zones but many rows.
    names, store_zone = np.unique(hours.zone, return_inverse=True)
    row_zone = store_zone[hours.owner]
    for code, name in enumerate(names):
        mine = row_zone == code
        if not mine.any():  # the zone of stores open 24x7 only
            continue
        parts.append(
            _zone_intervals(
                str(name),
                hours.owner[mine],
                hours.day[mine],
                hours.start_us[mine],
                hours.end_us[mine],
                span_lo,
                span_hi,
            )
        )
    owner = np.concatenate([part[0] for part in parts])
    start = np.maximum(np.concatenate([part[1] for part in parts]), span_lo[owner])
    end = np.minimum(np.concatenate([part[2] for part in parts]), span_hi[owner] + 1)
    return _merge(owner, start, end)


@lru_cache(maxsize=512)
def _offsets(zone_name: str, first_us: int, last_us: int) -> ZoneOffsets:
    """A zone's table around a span, made once per process for all the shards of a report."""
    return ZoneOffsets(zone(zone_name), first_us - 3 * US_PER_DAY, last_us + 3 * US_PER_DAY)


_TABLE_DAYS = 64 * US_PER_DAY  # tables cover whole 64-day periods: reports reuse them


def zone_table(zone_name: str, lo: Ints, hi: Ints) -> ZoneOffsets:
    """The zone's offset table covering every span [lo, hi] given."""
    first = int(lo.min()) // _TABLE_DAYS * _TABLE_DAYS
    last = (int(hi.max()) // _TABLE_DAYS + 1) * _TABLE_DAYS
    return _offsets(zone_name, first, last)


def _zone_intervals(
    zone_name: str,
    owner: Ints,
    day: Ints,
    start: Ints,
    end: Ints,
    span_lo: Ints,
    span_hi: Ints,
) -> tuple[Ints, Ints, Ints]:
    """(owner, UTC start, UTC end) of each row on every local date from the one before its
    owner's span through the last date of that span; rows of one zone."""
    lo, hi = span_lo[owner], span_hi[owner]
    offsets = zone_table(zone_name, lo, hi)
    first = (lo + offsets.at_utc(lo)) // US_PER_DAY - 1
    last = (hi + offsets.at_utc(hi)) // US_PER_DAY
    date = first + (day - (first + _MONDAY_OFFSET)) % 7  # the first date with that weekday
    none = np.empty(0, np.int64)
    out_owner, out_start, out_end = [none], [none], [none]
    while True:
        on = date <= last
        if not on.any():
            break
        local_start = date[on] * US_PER_DAY + start[on]
        # An end not after the start (as local times) is on the next local date.
        local_end = (date[on] + (end[on] <= start[on])) * US_PER_DAY + end[on]
        out_owner.append(owner[on])
        out_start.append(offsets.to_utc(local_start))
        out_end.append(offsets.to_utc(local_end))
        date = date + 7
    return np.concatenate(out_owner), np.concatenate(out_start), np.concatenate(out_end)


def time_within(intervals: Intervals, owner: Ints, lo: Ints, hi: Ints) -> Ints:
    """The business time (µs) of each store `owner[i]` within [lo[i], hi[i])."""
    if len(intervals.owner) == 0:
        return np.zeros(len(owner), np.int64)
    origin = int(min(intervals.start.min(), lo.min())) if len(lo) else 0
    start = intervals.owner * _STRIDE_US + (intervals.start - origin)
    length = intervals.end - intervals.start
    before = np.r_[0, np.cumsum(length)]

    def integral(at: Ints) -> Ints:
        """Business time of the store before `at`, all stores laid end to end."""
        key = owner * _STRIDE_US + (at - origin)
        k = np.searchsorted(start, key, side="right") - 1  # the last interval begun by then
        safe = np.maximum(k, 0)
        part = np.where(k >= 0, np.clip(key - start[safe], 0, length[safe]), 0)
        found: Ints = np.where(k >= 0, before[safe], 0) + part
        return found

    return integral(hi) - integral(lo)


_STRIDE_US = 1 << 46  # µs per store on one axis (over 800 days), to merge all at once


def _merge(owner: Ints, start: Ints, end: Ints) -> Intervals:
    """Drop empty intervals, then join overlapping or touching ones of the same store."""
    keep = end > start
    owner, start, end = owner[keep], start[keep], end[keep]
    if len(owner) == 0:
        return Intervals(owner, start, end)
    origin = int(start.min())
    begin = owner * _STRIDE_US + (start - origin)
    order = np.argsort(begin, kind="stable")
    begin, finish = begin[order], (owner * _STRIDE_US + (end - origin))[order]
    reach = np.maximum.accumulate(finish)  # the furthest end so far (stores never overlap)
    opens = np.ones(len(begin), dtype=bool)
    opens[1:] = begin[1:] > reach[:-1]
    first = np.flatnonzero(opens)
    last = np.append(first[1:], len(begin)) - 1
    merged_owner = owner[order][first]
    base = merged_owner * _STRIDE_US - origin
    return Intervals(merged_owner, begin[first] - base, reach[last] - base)
