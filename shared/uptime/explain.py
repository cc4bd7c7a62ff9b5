"""Why a store's row of a report is what it is: its polls (which are observations), and its
business time over the report's longest window (the week, or a period report's whole range)
cut into segments, each inside one business interval and decided by one observation — the
pieces the report's figures are sums of (shared/uptime/timeline.py), so the two agree by
construction. Pure: plain values in, JSON-ready values out.

Instants are ISO 8601 in UTC with a `Z`. The status switches halfway between two observations,
which may fall on half a microsecond: such an instant is written with a seventh fraction digit
(`…:30.0000005Z`), so that sums of segments are exact.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from shared.instants import US_PER_HOUR, from_us, to_us
from shared.uptime.compute import SPAN_US, WINDOWS_US, standard_timeline
from shared.uptime.figures import hundredths
from shared.uptime.hours import StoreHours
from shared.uptime.localtime import zone
from shared.uptime.periods import Range, local_midnights, period_timeline, spans
from shared.uptime.polls import Polls
from shared.uptime.timeline import TICKS_PER_US, Timeline


@dataclass(frozen=True)
class Store:
    """What the report knew of one store: its zone (None: none given, the default applies)
    and its hours (one store, index 0) in the report's snapshots."""

    zone: str | None
    hours: StoreHours


def explain(as_of_us: int, store: Store, polls: Polls, periods: Range | None) -> dict[str, Any]:
    """The store's polls, segments, outages and local days (`polls.store` all 0, sorted by
    time, one per instant)."""
    if periods is None:
        timeline = standard_timeline(as_of_us, store.hours, polls)
        span = (as_of_us - SPAN_US, as_of_us)
        window = (as_of_us - WINDOWS_US[-1], as_of_us)
    else:
        bounds = local_midnights(store.hours, periods.bounds())
        timeline = period_timeline(as_of_us, store.hours, polls, bounds)
        lo, hi = spans(bounds, as_of_us)
        span = (int(lo[0]), int(hi[0]))
        window = (int(bounds[0, 0]), min(int(bounds[0, -1]), as_of_us))
    zone_name = str(store.hours.zone[0])
    segments = _segments(timeline, window)
    return {
        "timezone": zone_name,
        "timezone_default": store.zone is None,
        "span": {"from": _instant(span[0] * TICKS_PER_US), "to": _instant(span[1] * TICKS_PER_US)},
        "window": {
            "from": _instant(window[0] * TICKS_PER_US),
            "to": _instant(window[1] * TICKS_PER_US),
        },
        "observations": "business_hours" if timeline.inside.any() else "all_polls",
        "polls": [
            {"at": _instant(t * TICKS_PER_US), "status": _poll_status(a), "observation": bool(o)}
            for t, a, o in zip(
                timeline.polls.ts.tolist(),
                timeline.polls.active.tolist(),
                timeline.observed.tolist(),
                strict=True,
            )
        ],
        "segments": segments,
        "outages": _outages(segments, zone_name),
        "days": _days(store.hours, window),
    }


def _segments(timeline: Timeline, window: tuple[int, int]) -> list[dict[str, str]]:
    """The pieces of store 0 clipped to the window (ticks since the epoch from here on)."""
    origin = timeline.origin_us * TICKS_PER_US
    lo, hi = window[0] * TICKS_PER_US - origin, window[1] * TICKS_PER_US - origin
    start = np.clip(timeline.piece_start, lo, hi)  # store 0: the axis starts at the origin
    end = np.clip(timeline.piece_end, lo, hi)
    kept = np.flatnonzero(end > start)
    decided_by = timeline.polls.ts[timeline.piece_poll[kept]]
    return [
        {
            "from": _instant(origin + s),
            "to": _instant(origin + e),
            "status": _status(a),
            "poll": _instant(p * TICKS_PER_US),
        }
        for s, e, a, p in zip(
            start[kept].tolist(),
            end[kept].tolist(),
            timeline.piece_active[kept].tolist(),
            decided_by.tolist(),
            strict=True,
        )
    ]


def _outages(segments: list[dict[str, str]], zone_name: str) -> list[dict[str, Any]]:
    """Down stretches, those that touch merged, longest first, with local times."""
    merged: list[list[int]] = []
    for segment in segments:
        if segment["status"] != "down":
            continue
        start, end = ticks(segment["from"]), ticks(segment["to"])
        if merged and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    merged.sort(key=lambda stretch: (stretch[0] - stretch[1], stretch[0]))
    tz = zone(zone_name)
    return [
        {
            "from": _instant(start),
            "to": _instant(end),
            "local_from": _local(start, tz),
            "local_to": _local(end, tz),
            "hours": hundredths(end - start, US_PER_HOUR) / 100,
        }
        for start, end in merged
    ]


def _days(hours: StoreHours, window: tuple[int, int]) -> list[dict[str, str]]:
    """The local dates the window touches, each with the UTC instants of its midnights (a day
    lasts 23 or 25 hours across a DST change)."""
    tz = zone(str(hours.zone[0]))
    first = from_us(window[0]).astimezone(tz).date()
    last = from_us(max(window[1] - 1, window[0])).astimezone(tz).date()
    dates = [first + timedelta(n) for n in range((last - first).days + 2)]
    midnights = local_midnights(hours, dates)[0].tolist()
    return [
        {
            "date": d.isoformat(),
            "from": _instant(midnights[i] * TICKS_PER_US),
            "to": _instant(midnights[i + 1] * TICKS_PER_US),
        }
        for i, d in enumerate(dates[:-1])
    ]


def _status(active: bool) -> str:
    """A segment's status: the store was up or down through it."""
    return "up" if active else "down"


def _poll_status(active: bool) -> str:
    """A poll's status as the polls file says it (the spec's `active` / `inactive`)."""
    return "active" if active else "inactive"


def _instant(ticks_since_epoch: int) -> str:
    """An instant given in half-microseconds since the epoch."""
    us, half = divmod(ticks_since_epoch, TICKS_PER_US)
    text = from_us(us).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"{text}{'5' if half else ''}Z"


def ticks(instant: str) -> int:
    """Half-microseconds since the epoch of an instant as `_instant` writes it."""
    seconds, _, fraction = instant.removesuffix("Z").partition(".")
    whole = datetime.fromisoformat(seconds).replace(tzinfo=UTC)
    us = to_us(whole)
    digits = fraction.ljust(7, "0")
    return (us + int(digits[:6])) * TICKS_PER_US + (digits[6] == "5")


def _local(ticks_since_epoch: int, tz: Any) -> str:
    """Local wall-clock time, to the second, with its UTC offset."""
    moment = from_us(ticks_since_epoch // TICKS_PER_US).astimezone(tz)
    return moment.isoformat(timespec="seconds")
