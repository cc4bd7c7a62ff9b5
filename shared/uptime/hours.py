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

from shared.instants import MICROSECOND, US_PER_DAY, US_PER_HOUR, from_us
from shared.uptime.localtime import zone
from shared.uptime.model import DEFAULT_TIMEZONE, StoreMeta

_STRIDE = 1 << 41  # µs; more than a span holds, so (store, µs) packs into one int64
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
        samples = list(range(first_us, last_us + _SAMPLE_US, _SAMPLE_US))
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
class WeeklyRows:
    """The business-hours rows of a batch of stores, as columns: the store's index in the
    batch, the day (0 = Monday), local start and end in microseconds after midnight, and the
    store's zone name. A store without rows is open 24x7."""

    owner: np.ndarray
    day: np.ndarray
    start_us: np.ndarray
    end_us: np.ndarray
    zone: np.ndarray

    @classmethod
    def from_metas(cls, metas: Sequence[StoreMeta]) -> "WeeklyRows":
        rows = [
            (i, day, _time_us(start), _time_us(end), meta.timezone or DEFAULT_TIMEZONE)
            for i, meta in enumerate(metas)
            for day, start, end in meta.hours
        ]
        owner, day, start, end, zones = zip(*rows, strict=True) if rows else ((),) * 5
        return cls(
            np.array(owner, dtype=np.int64),
            np.array(day, dtype=np.int64),
            np.array(start, dtype=np.int64),
            np.array(end, dtype=np.int64),
            np.array(zones, dtype=str),
        )


def business_intervals(
    n_stores: int, weekly: WeeklyRows, span_start_us: int, span_end_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every store's business intervals over the span, merged (overlapping or touching ones
    joined), clipped to [span_start, span_end + 1 µs) and relative to span_start.

    Returns (owner, spans): the store index of each interval and a (k, 2) array of
    [start, end) microseconds, sorted by (owner, start).
    """
    limit = span_end_us + 1 - span_start_us
    has_rows = np.zeros(n_stores, dtype=bool)
    has_rows[weekly.owner] = True
    open_always = np.flatnonzero(~has_rows)
    parts_owner = [open_always]
    parts = [np.tile(np.array([[0, limit]], dtype=np.int64), (len(open_always), 1))]
    rows = np.stack([weekly.day, weekly.start_us, weekly.end_us], 1)
    for name in np.unique(weekly.zone):
        mine = weekly.zone == name
        owner, spans = _zone_intervals(
            str(name), weekly.owner[mine], rows[mine], span_start_us, span_end_us
        )
        parts_owner.append(owner)
        parts.append(np.clip(spans - span_start_us, 0, limit))
    return _merge(np.concatenate(parts_owner), np.concatenate(parts))


@lru_cache(maxsize=512)
def _offsets(zone_name: str, span_start_us: int, span_end_us: int) -> "ZoneOffsets":
    """A zone's table around a span, made once per process for all the shards of a report."""
    return ZoneOffsets(
        zone(zone_name), span_start_us - 3 * US_PER_DAY, span_end_us + 3 * US_PER_DAY
    )


def _zone_intervals(
    zone_name: str, owner: np.ndarray, rows: np.ndarray, span_start_us: int, span_end_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """UTC [start, end) of each (day, start, end) row on every local date that touches the
    span, from the date before its first through the date of its end."""
    offsets = _offsets(zone_name, span_start_us, span_end_us)
    ends = np.array([span_start_us, span_end_us], dtype=np.int64)
    first, last = (ends + offsets.at_utc(ends)) // US_PER_DAY
    first -= 1  # the date before: its overnight shifts run into the span
    day, start, end = rows[:, 0], rows[:, 1], rows[:, 2]
    date = first + (day - (first + _MONDAY_OFFSET)) % 7  # the first date with that weekday
    out_owner, out_spans = [], []
    while True:
        on = date <= last
        if not on.any():
            break
        local_start = date[on] * US_PER_DAY + start[on]
        # An end not after the start (as local times) is on the next local date.
        local_end = (date[on] + (end[on] <= start[on])) * US_PER_DAY + end[on]
        out_owner.append(owner[on])
        out_spans.append(np.stack([offsets.to_utc(local_start), offsets.to_utc(local_end)], 1))
        date = date + 7
    return np.concatenate(out_owner), np.concatenate(out_spans).reshape(-1, 2)


def _merge(owner: np.ndarray, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop empty intervals, then join overlapping or touching ones of the same store."""
    keep = spans[:, 1] > spans[:, 0]
    owner, spans = owner[keep], spans[keep]
    begin, end = owner * _STRIDE + spans[:, 0], owner * _STRIDE + spans[:, 1]
    order = np.argsort(begin, kind="stable")
    begin, end = begin[order], end[order]
    reach = np.maximum.accumulate(end)  # the furthest end so far (stores never overlap)
    starts_group = np.ones(len(begin), dtype=bool)
    starts_group[1:] = begin[1:] > reach[:-1]
    first = np.flatnonzero(starts_group)
    last = np.append(first[1:], len(begin))[: len(first)] - 1
    merged_owner = begin[first] // _STRIDE
    base = merged_owner * _STRIDE
    return merged_owner, np.stack([begin[first] - base, reach[last] - base], 1).reshape(-1, 2)
