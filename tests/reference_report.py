"""An independent, deliberately simple reference implementation of the report definition.

Written from SPEC.md ("The report" and "Period reports") only, without looking at
``shared/uptime``'s code, so that the randomized comparisons in ``test_report_reference.py`` can
catch mistakes on either side. ``reference_report`` is the standard report,
``reference_period_report`` the period report (same business intervals, observations and
interpolation, with the store's span [S - 24 h, min(E, as_of)] and local periods in place of
the windows).
Clarity over speed:

* every instant is an integer number of *half*-microseconds since the Unix epoch, so the
  midpoint between two observations (which may fall on half a microsecond) is still an exact
  integer, and all the arithmetic is exact integer arithmetic;
* local -> UTC goes through ``pendulum.datetime(..., tz=zone)`` date by date (a time in a
  spring-forward gap is read with the offset before the jump, a repeated time as its later
  occurrence);
* the final conversion to minutes / hours and the rounding (half away from zero, 2 decimals)
  use ``fractions.Fraction``.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

import pendulum

from shared.uptime.model import DEFAULT_TIMEZONE, StoreMeta

# ---------------------------------------------------------------------------------------------
# Time units: one "tick" is half a microsecond.
# ---------------------------------------------------------------------------------------------
TICKS_PER_MICROSECOND = 2
TICKS_PER_SECOND = 1_000_000 * TICKS_PER_MICROSECOND
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE
TICKS_PER_DAY = 24 * TICKS_PER_HOUR

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

Interval = tuple[int, int]  # [start, end) in ticks


def to_ticks(moment: datetime) -> int:
    """An aware datetime as whole ticks (half-microseconds) since 1970-01-01T00:00:00Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime: {moment!r}")
    utc = moment.astimezone(UTC)
    days = utc.toordinal() - _EPOCH_ORDINAL
    seconds = ((days * 24 + utc.hour) * 60 + utc.minute) * 60 + utc.second
    microseconds = seconds * 1_000_000 + utc.microsecond
    return microseconds * TICKS_PER_MICROSECOND


def from_ticks(ticks: int) -> datetime:
    """Ticks (must be a whole number of microseconds) back to an aware UTC datetime."""
    microseconds, half = divmod(ticks, TICKS_PER_MICROSECOND)
    assert half == 0, ticks
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)


@functools.cache
def pendulum_zone(zone: str) -> pendulum.Timezone | pendulum.FixedTimezone:
    """The zone, loaded once (pendulum reads the tz file again for every ``tz=str``)."""
    return pendulum.timezone(zone)


def local_to_ticks(day: date, clock: time, zone: str) -> int:
    """Local wall-clock ``day`` + ``clock`` in ``zone`` as UTC ticks (PostgreSQL's AT TIME ZONE)."""
    moment = pendulum.datetime(
        day.year,
        day.month,
        day.day,
        clock.hour,
        clock.minute,
        clock.second,
        clock.microsecond,
        tz=pendulum_zone(zone),
    )
    return to_ticks(moment)


def local_date_of(ticks: int, zone: str) -> date:
    """The local calendar date in ``zone`` of the instant ``ticks``."""
    return pendulum.instance(from_ticks(ticks)).in_tz(pendulum_zone(zone)).date()


# ---------------------------------------------------------------------------------------------
# Business hours
# ---------------------------------------------------------------------------------------------
def business_intervals(meta: StoreMeta, span_start: int, span_end: int) -> list[Interval]:
    """Merged business intervals of the store relevant to [span_start, span_end]."""
    zone = meta.timezone or DEFAULT_TIMEZONE
    if not meta.hours:
        # Open 24x7: one interval comfortably covering the span (and the instant ``now``).
        return [(span_start - 2 * TICKS_PER_DAY, span_end + 2 * TICKS_PER_DAY)]

    # Every local date that touches the span, including the date before it.
    first_date = local_date_of(span_start, zone) - timedelta(days=1)
    last_date = local_date_of(span_end, zone)

    raw: list[Interval] = []
    day = first_date
    while day <= last_date:
        for weekday, start, end in meta.hours:
            if weekday != day.weekday():
                continue
            end_day = day if end > start else day + timedelta(days=1)
            start_ticks = local_to_ticks(day, start, zone)
            end_ticks = local_to_ticks(end_day, end, zone)
            if end_ticks > start_ticks:  # otherwise the interval is empty
                raw.append((start_ticks, end_ticks))
        day += timedelta(days=1)
    return merge(raw)


def merge(intervals: list[Interval]) -> list[Interval]:
    """Union of half-open intervals as sorted, disjoint, non-touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def inside(moment: int, intervals: list[Interval]) -> bool:
    """Whether ``start <= moment < end`` for some interval."""
    return any(start <= moment < end for start, end in intervals)


def overlap(a: Interval, b: Interval) -> int:
    """Length of the intersection of two intervals."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def up_and_down(
    intervals: list[Interval], cells: list[tuple[int, int, bool]], window: Interval
) -> tuple[int, int]:
    """Active and inactive ticks of the business intervals within `window`."""
    up = down = 0
    for interval in intervals:
        business = (max(interval[0], window[0]), min(interval[1], window[1]))
        if business[1] <= business[0]:
            continue
        for lo, hi, active in cells:
            length = overlap(business, (lo, hi))
            if active:
                up += length
            else:
                down += length
    return up, down


# ---------------------------------------------------------------------------------------------
# Nearest-observation interpolation
# ---------------------------------------------------------------------------------------------
def status_cells(observations: list[tuple[int, bool]]) -> list[tuple[int, int, bool]]:
    """The time line cut at the midpoints between consecutive observations.

    Cell i covers the instants whose nearest observation is observation i (the first cell runs
    from minus "infinity", the last one to plus "infinity"); returned as (start, end, active).
    """
    observations = sorted(observations)
    far = 10**30
    cells = []
    for i, (moment, active) in enumerate(observations):
        lo = -far if i == 0 else (observations[i - 1][0] + moment) // 2
        hi = far if i == len(observations) - 1 else (moment + observations[i + 1][0]) // 2
        cells.append((lo, hi, active))
    return cells


# ---------------------------------------------------------------------------------------------
# Rounding / formatting
# ---------------------------------------------------------------------------------------------
def format_2dp(value: Fraction) -> str:
    """Round a non-negative exact value half away from zero (= half up) to 2 decimals."""
    assert value >= 0, value
    hundredths = (value * 100 + Fraction(1, 2)).__floor__()
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def store_row(
    store_id: str, now: int, store_polls: dict[int, bool], meta: StoreMeta
) -> tuple[str, str, str, str, str, str, str]:
    span_start = now - 8 * TICKS_PER_DAY
    intervals = business_intervals(meta, span_start, now)

    in_span = sorted((t, a) for t, a in store_polls.items() if span_start <= t <= now)
    assert in_span
    observations = [(t, a) for t, a in in_span if inside(t, intervals)]
    if not observations:
        observations = in_span
    cells = status_cells(observations)

    windows = [
        (now - TICKS_PER_HOUR, TICKS_PER_MINUTE),  # last hour, in minutes
        (now - TICKS_PER_DAY, TICKS_PER_HOUR),  # last day, in hours
        (now - 7 * TICKS_PER_DAY, TICKS_PER_HOUR),  # last week, in hours
    ]
    uptimes: list[str] = []
    downtimes: list[str] = []
    for window_start, unit in windows:
        up, down = up_and_down(intervals, cells, (window_start, now))
        uptimes.append(format_2dp(Fraction(up, unit)))
        downtimes.append(format_2dp(Fraction(down, unit)))
    return (store_id, *uptimes, *downtimes)  # type: ignore[return-value]


def reference_report(
    as_of: datetime,
    polls: list[tuple[str, datetime, bool]],
    stores: dict[str, StoreMeta],
) -> list[tuple[str, str, str, str, str, str, str]]:
    """The report rows per SPEC.md, one per store with at least one poll in the span."""
    now = to_ticks(as_of)
    span_start = now - 8 * TICKS_PER_DAY

    # Same store and instant twice: the later item wins.
    by_store: dict[str, dict[int, bool]] = {}
    for store_id, moment, active in polls:
        by_store.setdefault(store_id, {})[to_ticks(moment)] = bool(active)

    rows = []
    for store_id in sorted(by_store):
        store_polls = by_store[store_id]
        if not any(span_start <= t <= now for t in store_polls):
            continue
        meta = stores.get(store_id, StoreMeta())
        rows.append(store_row(store_id, now, store_polls, meta))
    return rows


# ---------------------------------------------------------------------------------------------
# Period reports ("Period reports" in SPEC.md)
# ---------------------------------------------------------------------------------------------
PERIOD_INTERVALS = ("day", "week", "month", "total")


def local_periods(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """The local calendar periods of the range first..last (both included), clipped to it, as
    (first date, last date) pairs in order."""
    assert interval in PERIOD_INTERVALS, interval
    assert first <= last, (first, last)
    periods: list[tuple[date, date]] = []
    day = first
    while day <= last:
        if interval == "day":
            end = day
        elif interval == "week":
            end = day + timedelta(days=6 - day.weekday())  # the Sunday of day's week
        elif interval == "month":
            next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            end = next_month - timedelta(days=1)
        else:
            end = last
        end = min(end, last)
        periods.append((day, end))
        day = end + timedelta(days=1)
    return periods


def store_period_rows(
    store_id: str,
    now: int,
    store_polls: dict[int, bool],
    meta: StoreMeta,
    first: date,
    last: date,
    interval: str,
) -> list[tuple[str, str, str, str, str, str]]:
    zone = meta.timezone or DEFAULT_TIMEZONE
    midnight = time(0, 0)
    range_start = local_to_ticks(first, midnight, zone)  # S
    range_end = local_to_ticks(last + timedelta(days=1), midnight, zone)  # E

    # Span [S - 24 h, min(E, as_of)], both ends included.
    span_start = range_start - TICKS_PER_DAY
    span_end = min(range_end, now)
    in_span = sorted((t, a) for t, a in store_polls.items() if span_start <= t <= span_end)
    if not in_span:
        return []  # no poll in the span: no rows at all

    intervals = business_intervals(meta, span_start, span_end)
    observations = [(t, a) for t, a in in_span if inside(t, intervals)]
    if not observations:
        observations = in_span
    cells = status_cells(observations)

    rows = []
    for period_first, period_last in local_periods(first, last, interval):
        period_start = local_to_ticks(period_first, midnight, zone)
        period_end = local_to_ticks(period_last + timedelta(days=1), midnight, zone)
        if period_start >= now:
            continue  # a period starting at or after as_of has no row
        period = (period_start, min(period_end, now))  # business time only up to as_of
        up, down = up_and_down(intervals, cells, period)
        percent = "" if up + down == 0 else format_2dp(Fraction(100 * up, up + down))
        polls = sum(1 for t in store_polls if period_start <= t < period_end and t <= now)
        rows.append(
            (
                store_id,
                period_first.isoformat(),
                format_2dp(Fraction(up, TICKS_PER_HOUR)),
                format_2dp(Fraction(down, TICKS_PER_HOUR)),
                percent,
                str(polls),
            )
        )
    return rows


def reference_period_report(
    as_of: datetime,
    polls: list[tuple[str, datetime, bool]],
    stores: dict[str, StoreMeta],
    first: date,
    last: date,
    interval: str,
) -> list[tuple[str, str, str, str, str, str]]:
    """The period report rows per SPEC.md: for every store with at least one poll in its span,
    one row per period of the range that starts before ``as_of``."""
    now = to_ticks(as_of)

    # Same store and instant twice: the later item wins.
    by_store: dict[str, dict[int, bool]] = {}
    for store_id, moment, active in polls:
        by_store.setdefault(store_id, {})[to_ticks(moment)] = bool(active)

    rows = []
    for store_id in sorted(by_store):
        meta = stores.get(store_id, StoreMeta())
        rows += store_period_rows(store_id, now, by_store[store_id], meta, first, last, interval)
    return rows
