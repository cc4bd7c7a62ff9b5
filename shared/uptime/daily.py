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
  MARGIN of the date only. It is when the date has no business time, or when an observation
  lies within MARGIN of its start and one within MARGIN of its end (shared/uptime/fromdays.py
  shows why); then `active` depends on no poll outside [start − MARGIN, end + MARGIN], so a
  poll arriving at t changes only the dates with start − MARGIN ≤ t ≤ end + MARGIN.

Inside a report's span, between its first and last observation, the nearest observation in
the span is the nearest of all, so a report may take `active` of such a date as it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from shared.instants import US_PER_DAY
from shared.uptime.hours import StoreHours, business_intervals, time_within
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
    n, days = len(hours.zone), len(dates)
    bounds = local_midnights(hours, [*dates, date.fromordinal(dates[-1].toordinal() + 1)])
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
    near_start = before(start + MARGIN_US + 1) > before(start - MARGIN_US)
    near_end = before(end + MARGIN_US + 1) > before(end - MARGIN_US)
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
