"""Daily figures: for each store and local date, what a report needs to use that date without
its polls. Pure: plain arrays in and out.

A store's *global* observations are all its polls inside its business hours (never the spec's
"all polls" rule, which depends on a report's span). Under them, every instant of business
time has the status of the nearest observation, as in a report; a date's figure is

- `business`, `active`: business and active time of the date [local 00:00, next 00:00), in
  ticks, under the global observations;
- `polls`: the store's polls in the date (observations or not);
- `first`, `last` (µs) and `first_active`, `last_active`: its first and last observation in
  the date (`observed` false: none);
- `complete`: whether `active` is exact although it was computed from the observations within
  MARGIN of the date only: then `active` depends on no poll outside [start − MARGIN,
  end + MARGIN], so a poll arriving at t changes only the dates with start − MARGIN ≤ t ≤
  end + MARGIN. It is when the date has no business time, or when, b and B being its first
  business instant and the end of its last business interval, an observation lies in
  [start − MARGIN, 2b − start + MARGIN] and one in [2B − end − MARGIN, end + MARGIN]. Such an
  observation o is nearer to every business instant t ≥ b than any e < start − MARGIN is
  (o ≥ t, o − t ≤ t − start + MARGIN < t − e; or e < o < t); and symmetrically at the end. (A
  store closed at the date's start, or at a month's, needs no observation at that start.)

Inside a report's span, between its first and last observation, the nearest observation in
the span is the nearest of all, so a report may take `active` of such a date as it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from shared.instants import US_PER_DAY
from shared.uptime.hours import Intervals, StoreHours, business_intervals, time_within
from shared.uptime.periods import local_midnights
from shared.uptime.polls import Bools, Ints, Polls
from shared.uptime.timeline import TICKS_PER_US, axis, cut, poll_counts, totals

MARGIN_US = US_PER_DAY


@dataclass(frozen=True)
class DailyFigures:
    """Figures of a batch of stores (rows) on consecutive local dates (columns)."""

    business: Ints
    active: Ints
    polls: Ints
    first: Ints
    last: Ints
    first_active: Bools
    last_active: Bools
    observed: Bools
    complete: Bools

    @classmethod
    def unknown(cls, stores: int, days: int) -> "DailyFigures":
        """Figures of no value (for dates none is known of), to fill in (their own arrays)."""

        def zeros() -> Ints:
            return np.zeros((stores, days), np.int64)

        def no() -> Bools:
            return np.zeros((stores, days), bool)

        return cls(zeros(), zeros(), zeros(), zeros(), zeros(), no(), no(), no(), no())


def dates_needing(midnights: Ints, ts: Ints) -> tuple[Ints, Ints]:
    """For polls at `ts` of stores whose local midnights are `midnights` (one row per poll:
    the bounds of consecutive dates), the first and last index of the dates whose figure such
    a poll can change: start − MARGIN ≤ t ≤ end + MARGIN (first > last: none of them)."""
    first: Ints = (midnights[:, 1:] + MARGIN_US < ts[:, None]).sum(axis=1)
    last: Ints = (midnights[:, :-1] - MARGIN_US <= ts[:, None]).sum(axis=1) - 1
    return first, last


def daily_figures(hours: StoreHours, polls: Polls, dates: Sequence[date]) -> DailyFigures:
    """The figures of the batch's stores on `dates` (consecutive): `polls.store` and
    `hours.owner` index the stores (as many as `hours.zone`), polls sorted by (store, ts), one
    per instant, holding at least every poll within MARGIN of the dates."""
    next_date = date.fromordinal(dates[-1].toordinal() + 1)
    return unit_figures(hours, polls, local_midnights(hours, [*dates, next_date]))


def unit_figures(hours: StoreHours, polls: Polls, bounds: Ints) -> DailyFigures:
    """The figures of the batch's stores on units of time each taken as one date (a month, for
    a month row): unit i of a store is [bounds[store, i], bounds[store, i + 1]); the polls as
    `daily_figures`', holding every poll within MARGIN of the units. Its `complete` means the
    same of a unit as of a date."""
    n, days = bounds.shape[0], bounds.shape[1] - 1
    lo, hi = bounds[:, 0] - MARGIN_US, bounds[:, -1] + MARGIN_US
    near = (polls.ts >= lo[polls.store]) & (polls.ts <= hi[polls.store])
    polls = polls.take(np.flatnonzero(near))
    origin = int(lo.min()) if n else 0
    intervals = business_intervals(hours, lo, hi)
    timeline = cut(n, polls, intervals, origin, all_polls_rule=False)
    owner = np.repeat(np.arange(n), days)
    start, end = bounds[:, :-1].ravel(), bounds[:, 1:].ravel()
    active, _ = totals(timeline, owner, start, end)  # business time with a status only
    # Every business instant, whether or not an observation decides it (ticks).
    business = time_within(intervals, owner, start, end) * TICKS_PER_US
    counts = poll_counts(timeline, owner, start, end)

    # Observations on one axis: where each date's first and last lie, and which lie near
    # its start and its end.
    obs = np.flatnonzero(timeline.observed)
    obs_key = axis(timeline.polls.store[obs], timeline.polls.ts[obs], origin)

    def before(us: Ints) -> Ints:
        """Observations of each date's store before `us` (per date)."""
        found: Ints = np.searchsorted(obs_key, axis(owner, us, origin))
        return found

    at_start, at_end = before(start), before(end)
    observed = at_end > at_start
    # Padded by one entry, so that a date without observations indexes something (masked).
    obs_at = np.r_[obs, 0]
    ts, act = np.r_[timeline.polls.ts, 0], np.r_[timeline.polls.active, False]
    first_at = obs_at[np.minimum(at_start, len(obs))]
    last_at = obs_at[np.where(observed, at_end - 1, len(obs))]
    # Complete: an observation near enough to the first business instant that none before
    # start − MARGIN is ever nearer, and one near enough to the last (module docstring).
    first_open, last_open = _business_ends(intervals, owner, start, end, origin)
    reach_start = np.minimum(2 * first_open - start + MARGIN_US, end + MARGIN_US)
    reach_end = np.maximum(2 * last_open - end - MARGIN_US, start - MARGIN_US)
    near_start = before(reach_start + 1) > before(start - MARGIN_US)
    near_end = before(end + MARGIN_US + 1) > before(reach_end)
    shape = (n, days)
    return DailyFigures(
        business=business.reshape(shape),
        active=active.reshape(shape),
        polls=counts.reshape(shape),
        first=np.where(observed, ts[first_at], 0).reshape(shape),
        last=np.where(observed, ts[last_at], 0).reshape(shape),
        first_active=(observed & act[first_at]).reshape(shape),
        last_active=(observed & act[last_at]).reshape(shape),
        observed=observed.reshape(shape),
        complete=((business == 0) | (near_start & near_end)).reshape(shape),
    )


def _business_ends(
    intervals: Intervals, owner: Ints, start: Ints, end: Ints, origin: int
) -> tuple[Ints, Ints]:
    """For each [start, end) of store `owner` that has business time, its first business
    instant and the end of its last business interval (µs; elsewhere meaningless)."""
    if len(intervals.owner) == 0:
        return start, end
    last = len(intervals.owner) - 1
    ends = axis(intervals.owner, intervals.end, origin)
    starts = axis(intervals.owner, intervals.start, origin)
    i = np.minimum(np.searchsorted(ends, axis(owner, start, origin), side="right"), last)
    j = np.maximum(np.searchsorted(starts, axis(owner, end, origin)) - 1, 0)
    return np.maximum(intervals.start[i], start), np.minimum(intervals.end[j], end)


def combined(figures: DailyFigures, starts: Ints) -> DailyFigures:
    """The figures of units of consecutive dates (stores × units): unit i is columns
    starts[i] … starts[i + 1] − 1 of `figures` (the last one to its end), as if it were one
    date. Every figure adds up but the observations, which are the unit's first and last;
    `complete` when every date is (then `active` depends on no poll beyond MARGIN of the
    unit)."""
    stores, days = figures.business.shape
    if stores == 0 or days == 0:
        return DailyFigures.unknown(stores, len(starts))
    columns = np.broadcast_to(np.arange(days), (stores, days))
    first_at = np.minimum.reduceat(np.where(figures.observed, columns, days), starts, axis=1)
    last_at = np.maximum.reduceat(np.where(figures.observed, columns, -1), starts, axis=1)
    observed = last_at >= 0
    rows = np.arange(stores)[:, None]
    first_at, last_at = np.minimum(first_at, days - 1), np.maximum(last_at, 0)
    return DailyFigures(
        business=np.add.reduceat(figures.business, starts, axis=1),
        active=np.add.reduceat(figures.active, starts, axis=1),
        polls=np.add.reduceat(figures.polls, starts, axis=1),
        first=np.where(observed, figures.first[rows, first_at], 0),
        last=np.where(observed, figures.last[rows, last_at], 0),
        first_active=observed & figures.first_active[rows, first_at],
        last_active=observed & figures.last_active[rows, last_at],
        observed=observed,
        complete=np.logical_and.reduceat(figures.complete, starts, axis=1),
    )
