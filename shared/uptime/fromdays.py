"""A report from daily figures where they are valid and from polls only where it must.

A report counts, for each store, business and active time in its *cells* (the windows of the
standard report, or the periods of a period report) over its span, with the observations of
the span: its in-hours polls there (all its polls there if none is in hours). The store's
local dates that touch the span are of two kinds here:

- **figure dates**, taken from their daily figure (shared/uptime/daily.py) whole: each lies
  entirely inside or entirely outside every cell. Let f and l be the store's first and last
  observation in the span. Inside [f, l] the nearest observation in the span is the nearest of
  all, so there a date's business time is up as its figure says (`active`, when `complete`);
  before f every business instant takes f's status, after l l's, so a date there needs only
  its business time. No figure date holds f or l strictly inside it (below).
- **poll dates**, computed from their polls with the timeline engine: the dates holding a
  cell's edge, a date whose figure is missing or may be stale (a poll stored after it was
  computed could change it), the first and the last date with an observation in the span as
  the figures know them (so that f and l lie on poll dates, or on dates no cell counts), an
  incomplete date that may lie inside [f, l], and every date of a store whose figures show no
  observation in the span at all (the spec's "all polls" rule then needs all its polls). Each
  run of consecutive poll dates is computed with its polls, plus the observations nearest to
  it on either side taken from the figure dates (their first and last observation): within
  the run those decide exactly as all the span's observations would.

The figures say everything about a date's observations but its `active` (first, last,
whether any, its polls), and the dates whose figures are stale are poll dates, so what is
decided from figures alone (which dates are poll dates) is decided on true facts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from shared.instants import US_PER_DAY, day_date
from shared.uptime.compute import SPAN_US, WINDOWS, Standard
from shared.uptime.daily import DailyFigures, dates_needing
from shared.uptime.hours import Intervals, StoreHours, business_intervals
from shared.uptime.periods import (
    Periods,
    Range,
    local_days,
    local_midnights,
    next_month,
    spans,
)
from shared.uptime.polls import Bools, Ints, Polls
from shared.uptime.table import run_starts
from shared.uptime.timeline import Timeline, axis, cut, totals


@dataclass(frozen=True)
class Cells:
    """What a report counts of each store (stores × cells): business time in [lo, hi), polls
    in [lo, end); a cell not `counted` has no row (a period starting at or after as_of).
    `edges` (stores × k): every instant among lo, hi and end that may fall inside a date."""

    lo: Ints
    hi: Ints
    end: Ints
    counted: Bools
    edges: Ints


def standard_cells(as_of_us: int, stores: int) -> Cells:
    """The standard report's WINDOWS for each store: [as_of − start, as_of − end], both ends
    holding polls."""
    lo = np.array([as_of_us - start for start, _ in WINDOWS], np.int64)
    hi = np.array([as_of_us - end for _, end in WINDOWS], np.int64)
    shape = (stores, len(WINDOWS))
    edges = np.unique(np.r_[lo, hi, hi + 1])
    return Cells(
        np.broadcast_to(lo, shape),
        np.broadcast_to(hi, shape),
        np.broadcast_to(hi + 1, shape),
        np.ones(shape, bool),
        np.broadcast_to(edges, (stores, len(edges))),
    )


def period_cells(bounds: Ints, as_of_us: int) -> Cells:
    """A period report's periods for each store, from their bounds (`local_midnights`): all
    bounded by midnights, but where as_of cuts one (a unit of several dates may hold any)."""
    lo, end = bounds[:, :-1], bounds[:, 1:]
    cut = np.broadcast_to(np.array([as_of_us, as_of_us + 1]), (len(bounds), 2))
    edges = np.concatenate([bounds, cut], axis=1)
    return Cells(lo, np.minimum(end, as_of_us), np.minimum(end, as_of_us + 1), lo < as_of_us, edges)


@dataclass(frozen=True)
class Axis:
    """The local dates a batch's spans touch (the same dates for every store of the batch) in
    units of one or more consecutive dates (`dates`: each unit's first; `widths`: its dates),
    each store's midnights at the units' bounds (stores × units + 1) and its span [lo, hi].
    Everything below holds of a unit as of a date: its figures are its dates' `combined`."""

    dates: list[date]
    bounds: Ints
    span_lo: Ints
    span_hi: Ints
    widths: Ints

    def units(self, starts: Sequence[int]) -> "Axis":
        """The axis of units of this one's (columns starts[i] … starts[i + 1] − 1, the last
        to the end; starts[0] is 0)."""
        columns = np.asarray(starts, np.int64)
        edges = np.r_[columns, len(self.dates)]
        return Axis(
            [self.dates[c] for c in columns.tolist()],
            self.bounds[:, edges],
            self.span_lo,
            self.span_hi,
            np.add.reduceat(self.widths, columns) if len(columns) else columns,
        )


def dates_axis(dates: list[date], bounds: Ints, span_lo: Ints, span_hi: Ints) -> Axis:
    """An axis of single dates."""
    return Axis(dates, bounds, span_lo, span_hi, np.ones(len(dates), np.int64))


def span_axis(hours: StoreHours, span_lo: Ints, span_hi: Ints) -> Axis:
    """The axis of spans [lo, hi] (an empty span, hi < lo, touches no date)."""
    first = int(local_days(hours.zone, span_lo).min()) if len(span_lo) else 0
    last = int(local_days(hours.zone, np.maximum(span_hi, span_lo)).max()) if len(span_lo) else -1
    dates = [day_date(d) for d in range(first, last + 1)]
    bounds = local_midnights(hours, [*dates, day_date(last + 1)]) if dates else span_lo[:, None]
    return dates_axis(dates, bounds, span_lo, span_hi)


def stale(axis: Axis, newer: Polls) -> Bools:
    """The dates (stores × dates) whose figures polls stored after them (`newer`, store
    indexes of the batch) may have changed."""
    found = np.zeros((len(axis.span_lo), len(axis.dates)), bool)
    if len(newer) == 0 or not axis.dates:
        return found
    first, last = dates_needing(axis.bounds[newer.store], newer.ts)
    # Dates first … last of each poll's store: +1 at first, −1 after last, summed along.
    marks = np.zeros((len(axis.span_lo), len(axis.dates) + 1), np.int64)
    some = first <= last
    np.add.at(marks, (newer.store[some], np.clip(first[some], 0, len(axis.dates))), 1)
    np.add.at(marks, (newer.store[some], np.clip(last[some] + 1, 0, len(axis.dates))), -1)
    found = np.cumsum(marks, axis=1)[:, :-1] > 0
    return found


@dataclass(frozen=True)
class Plan:
    """Which dates of a batch come from polls (`polled`, stores × dates), and of those which
    have polls to read (`read`: not those known to have none), the stretches of time computed
    from polls (`ranges`: store, [lo, hi) in µs, in store then time order), and the
    observations nearest to each stretch on the figure dates (`neighbours`)."""

    axis: Axis
    cells: Cells
    figures: DailyFigures
    polled: Bools
    read: Bools
    range_store: Ints
    range_lo: Ints
    range_hi: Ints
    neighbours: Polls

    def stores(self, first: int, last: int) -> tuple[slice, slice]:
        """The slices of `range_*` and `neighbours` that belong to stores first … last − 1."""
        ranges = np.searchsorted(self.range_store, [first, last])
        near = np.searchsorted(self.neighbours.store, [first, last])
        return slice(int(ranges[0]), int(ranges[1])), slice(int(near[0]), int(near[1]))


def _within(bounds: Ints, points: Ints) -> Bools:
    """(stores × dates) whether one of each store's `points` (stores × k) lies strictly
    inside a date."""
    stores, dates = bounds.shape[0], bounds.shape[1] - 1
    found = np.zeros((stores, dates), bool)
    if stores == 0 or dates == 0:
        return found
    j = _searched(bounds, points, "right") - 1  # the date whose start is the last ≤ the point
    row = np.broadcast_to(np.arange(stores)[:, None], points.shape)
    ok = (j >= 0) & (j < dates)
    inside = (
        ok
        & (bounds[row, np.clip(j, 0, dates)] < points)
        & (points < bounds[row, np.clip(j + 1, 0, dates)])
    )
    found[row[inside], j[inside]] = True
    return found


def first_true(mask: Bools) -> Ints:
    """The first column of each row that is True (the number of columns: none)."""
    rows, columns = mask.shape
    if columns == 0:
        return np.zeros(rows, np.int64)
    found: Ints = np.where(mask.any(axis=1), mask.argmax(axis=1), columns)
    return found


def last_true(mask: Bools) -> Ints:
    """The last column of each row that is True (−1: none)."""
    columns = mask.shape[1]
    if columns == 0:
        return np.full(mask.shape[0], -1, np.int64)
    found: Ints = np.where(mask.any(axis=1), columns - 1 - mask[:, ::-1].argmax(axis=1), -1)
    return found


def _runs(mask: Bools) -> tuple[Ints, Ints, Ints]:
    """The runs of True of each row of `mask`: row, first and last column, in row order."""
    padded = np.pad(mask, ((0, 0), (1, 1)))
    step = np.diff(padded.astype(np.int8), axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)
    return rows, starts, ends - 1


def plan(axis: Axis, cells: Cells, figures: DailyFigures, known: Bools) -> Plan:
    """Choose the poll dates (see the module's docstring). `known`: the dates whose figure
    exists and no newer poll may have changed."""
    bounds, lo, hi = axis.bounds, axis.span_lo[:, None], axis.span_hi[:, None]
    start, end = bounds[:, :-1], bounds[:, 1:]
    in_span = (end > lo) & (start <= hi)
    unknown = in_span & ~known
    # An observation in the span, as the figures know (a date at the span's edges only in
    # part: its last observation at or after its start, its first at or before its end).
    seen = in_span & known & figures.observed & (figures.last >= lo) & (figures.first <= hi)
    # Counted: a cell takes some of its business time or polls; cut: a cell's edge inside.
    counted = np.zeros(in_span.shape, bool)
    for c in range(cells.lo.shape[1]):
        c_lo, c_end = cells.lo[:, c : c + 1], cells.end[:, c : c + 1]
        counted |= cells.counted[:, c : c + 1] & (end > c_lo) & (start < c_end)
    edges = np.concatenate([cells.edges, lo, hi + 1], axis=1)
    cut_inside = _within(bounds, edges)

    columns = np.arange(in_span.shape[1])
    big = in_span.shape[1]
    k, last_seen = first_true(seen), last_true(seen)
    k_any = np.minimum(k, first_true(unknown))[:, None]
    l_any = np.maximum(last_seen, last_true(unknown))[:, None]
    ends = (columns == k[:, None]) | (columns == last_seen[:, None])
    maybe_inside = (columns >= k_any) & (columns <= l_any)
    polled = in_span & (
        unknown
        | (counted & (cut_inside | ends | (~figures.complete & maybe_inside)))
        | (k == big)[:, None]  # no observation known: all polls, all dates
    )

    # Each stretch of poll dates, clipped to the span, and its nearest figure observations.
    rows, first, last = _runs(polled)
    range_lo = np.maximum(bounds[rows, first], axis.span_lo[rows])
    range_hi = np.minimum(bounds[rows, last + 1], axis.span_hi[rows] + 1)
    usable = seen & ~polled
    before = np.maximum.accumulate(np.where(usable, columns, -1), axis=1)
    after = np.minimum.accumulate(np.where(usable, columns, big)[:, ::-1], axis=1)[:, ::-1]
    prev = np.where(first > 0, before[rows, np.maximum(first - 1, 0)], -1)
    nxt = np.where(last + 1 < big, after[rows, np.minimum(last + 1, big - 1)], big)
    has_prev, has_next = prev >= 0, nxt < big
    store = np.r_[rows[has_prev], rows[has_next]]
    ts = np.r_[
        figures.last[rows[has_prev], prev[has_prev]], figures.first[rows[has_next], nxt[has_next]]
    ]
    act = np.r_[
        figures.last_active[rows[has_prev], prev[has_prev]],
        figures.first_active[rows[has_next], nxt[has_next]],
    ]
    order = np.lexsort((ts, store))
    store, ts, act = store[order], ts[order], act[order]
    once = np.r_[True, (store[1:] != store[:-1]) | (ts[1:] != ts[:-1])] if len(ts) else order > 0
    neighbours = Polls(store[once], ts[once], act[once])
    # A poll date whose figure says it has no observation and that no edge cuts needs no
    # polls read: its status comes from the neighbours, its polls are counted from its figure
    # (unless the store has none known at all: then its polls may be its observations).
    unread = polled & known & ~figures.observed & ~cut_inside & (k < big)[:, None]
    read = polled & ~unread
    return Plan(axis, cells, figures, polled, read, rows, range_lo, range_hi, neighbours)


@dataclass(frozen=True)
class Counted:
    """A batch's figures per cell (stores × cells), and which stores have rows."""

    present: Bools
    up: Ints
    business: Ints
    polls: Ints


def _stretch_hours(hours: StoreHours, store: Ints, lo: Ints, hi: Ints) -> Intervals:
    """Business intervals of stretches [lo, hi) of the batch's stores (in store, then time
    order, apart from each other), owned by their store."""
    if len(store) == 0:
        empty = np.empty(0, np.int64)
        return Intervals(empty, empty, empty)
    found = business_intervals(hours.take(store), lo, hi - 1)
    return Intervals(store[found.owner], found.start, found.end)


def count(plan: Plan, hours: StoreHours, polls: Polls, first: int, last: int) -> Counted:
    """The figures of stores first … last − 1 of the batch: `polls` their polls on their poll
    dates (store indexes of the batch, sorted by (store, ts), one per instant; others are
    ignored). The result's rows are those stores'."""
    ranges, near = plan.stores(first, last)
    r_store, r_lo, r_hi = plan.range_store[ranges], plan.range_lo[ranges], plan.range_hi[ranges]
    n = len(hours.zone)
    origin = int(plan.axis.span_lo.min()) if n else 0
    # The polls inside the stretches, then with the neighbours (true observations).
    stretch_key = axis(r_store, r_lo, origin)
    poll_key = axis(polls.store, polls.ts, origin)
    at = np.searchsorted(stretch_key, poll_key, side="right") - 1
    inside = (
        (at >= 0)
        & (polls.ts < r_hi[np.maximum(at, 0)])
        & (r_store[np.maximum(at, 0)] == polls.store)
    )
    real = polls.take(np.flatnonzero(inside))
    neighbours = plan.neighbours.take(near)
    # The neighbours (on figure dates, never at a real poll's instant) put in (store, ts) order.
    at = np.searchsorted(
        axis(real.store, real.ts, origin), axis(neighbours.store, neighbours.ts, origin)
    )
    place = at + np.arange(len(at))
    forced = np.zeros(len(real) + len(neighbours), bool)
    forced[place] = True
    merged = Polls(
        np.insert(real.store, at, neighbours.store),
        np.insert(real.ts, at, neighbours.ts),
        np.insert(real.active, at, neighbours.active),
    )
    timeline = cut(n, merged, _stretch_hours(hours, r_store, r_lo, r_hi), origin, forced)

    stores = np.arange(first, last)
    cells = plan.cells
    c = cells.lo.shape[1]
    owner = np.repeat(stores, c)
    lo, hi, end = (a[first:last].ravel() for a in (cells.lo, cells.hi, cells.end))
    up, business = totals(timeline, owner, lo, hi)
    # Polls counted here: those of the dates read (a date not read counts its figure's).
    date = _date_of(plan.axis.bounds, real.store, real.ts)
    inside_dates = (date >= 0) & (date < plan.read.shape[1])
    counted = real.take(
        np.flatnonzero(inside_dates & plan.read[real.store, np.clip(date, 0, None)].astype(bool))
    )
    real_key = axis(counted.store, counted.ts, origin)
    polls_in = np.searchsorted(real_key, axis(owner, end, origin)) - np.searchsorted(
        real_key, axis(owner, lo, origin)
    )
    shape = (last - first, c)
    f_up, f_business, f_polls, seen = _from_figures(plan, timeline, first, last)
    present = seen.copy()
    present[np.unique(real.store - first)] = True
    return Counted(
        present,
        up.reshape(shape) + f_up,
        business.reshape(shape) + f_business,
        polls_in.reshape(shape) + f_polls,
    )


def _ends(timeline: Timeline, first: int, last: int) -> tuple[Ints, Bools, Ints, Bools]:
    """Each store's first and last observation the engine saw (stores first … last − 1):
    their instants (µs; none: past the far end) and statuses."""
    stores = last - first
    obs = np.flatnonzero(timeline.observed)
    store = timeline.polls.store[obs] - first
    f_ts, l_ts = np.full(stores, _LATEST), np.full(stores, _EARLIEST)
    f_act, l_act = np.zeros(stores, bool), np.zeros(stores, bool)
    if len(obs):
        starts = run_starts(store)
        ends = np.r_[starts[1:], len(obs)] - 1
        who = store[starts]
        f_ts[who], f_act[who] = timeline.polls.ts[obs[starts]], timeline.polls.active[obs[starts]]
        l_ts[who], l_act[who] = timeline.polls.ts[obs[ends]], timeline.polls.active[obs[ends]]
    return f_ts, f_act, l_ts, l_act


_EARLIEST, _LATEST = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def _from_figures(
    plan: Plan, timeline: Timeline, first: int, last: int
) -> tuple[Ints, Ints, Ints, Bools]:
    """What the figure dates of stores first … last − 1 add to each cell (active ticks,
    business ticks, polls), and whether the figures show an observation in the span."""
    rows = slice(first, last)
    fig = plan.figures
    bounds = plan.axis.bounds[rows]
    start, end = bounds[:, :-1], bounds[:, 1:]
    lo, hi = plan.axis.span_lo[rows, None], plan.axis.span_hi[rows, None]
    in_span = (end > lo) & (start <= hi)
    figure = in_span & ~plan.polled[rows]
    seen = figure & fig.observed[rows] & (fig.last[rows] >= lo) & (fig.first[rows] <= hi)
    # f and l: the first and last observation in the span, from the engine or the figures.
    # A date at the span's start known only in part stands in for f with an instant inside
    # it; f's status is then never needed (no date the report counts comes before it).
    f_ts, f_act, l_ts, l_act = _ends(timeline, first, last)
    big = seen.shape[1]
    k, l_day = first_true(seen), last_true(seen)
    has = np.flatnonzero(k < big)
    k_ts = np.maximum(fig.first[rows][has, k[has]], lo[has, 0])
    take = k_ts < f_ts[has]
    f_ts[has[take]] = k_ts[take]
    f_act[has[take]] = fig.first_active[rows][has[take], k[has[take]]]
    has = np.flatnonzero(l_day >= 0)
    l_day_ts = np.minimum(fig.last[rows][has, l_day[has]], hi[has, 0])
    take = l_day_ts > l_ts[has]
    l_ts[has[take]] = l_day_ts[take]
    l_act[has[take]] = fig.last_active[rows][has[take], l_day[has[take]]]

    business = np.where(figure, fig.business[rows], 0)
    before, after = end <= f_ts[:, None], start >= l_ts[:, None]
    active = np.where(
        before,
        business * f_act[:, None],
        np.where(after, business * l_act[:, None], fig.active[rows]),
    )
    active = np.where(figure, active, 0)
    # Polls of the figure dates, and of the poll dates read from no poll (their figure's).
    unread = plan.polled[rows] & ~plan.read[rows]
    polls = np.where(figure | unread, fig.polls[rows], 0)
    cells = plan.cells
    c_lo, c_hi, c_end = cells.lo[rows], cells.hi[rows], cells.end[rows]
    # Dates fully inside each cell: from the first starting at or after lo to the last ending
    # by hi (by end for polls), summed by differences of running sums.
    first_in, through = _count_before(start, c_lo), _count_up_to(end, c_hi)
    up = _between(active, first_in, through)
    business_in = _between(business, first_in, through)
    polls_in = _between(polls, first_in, _count_up_to(end, c_end))
    counted = cells.counted[rows]
    seen_any: Bools = np.asarray(seen.any(axis=1))
    return up * counted, business_in * counted, polls_in * counted, seen_any


def _count_before(values: Ints, limits: Ints) -> Ints:
    """(stores × cells) how many of each store's increasing `values` are below each limit."""
    return _searched(values, limits, "left")


def _count_up_to(values: Ints, limits: Ints) -> Ints:
    """(stores × cells) how many of each store's increasing `values` are ≤ each limit."""
    return _searched(values, limits, "right")


def _searched(values: Ints, limits: Ints, side: Literal["left", "right"]) -> Ints:
    """searchsorted of each row of `limits` in the same row of `values`, all rows at once."""
    stores, n = values.shape
    if stores == 0 or n == 0:
        return np.zeros(limits.shape, np.int64)
    origin = int(min(values.min(), limits.min()))
    stride = int(max(values.max(), limits.max())) - origin + 1
    row = np.arange(stores)[:, None] * stride
    flat = (values - origin + row).ravel()
    at = np.searchsorted(flat, (limits - origin + row).ravel(), side=side)
    found: Ints = at.reshape(limits.shape) - np.arange(stores)[:, None] * n
    return found


def _date_of(bounds: Ints, store: Ints, ts: Ints) -> Ints:
    """The date (column of `bounds`' store row) holding each instant (−1: before the first)."""
    if len(ts) == 0 or bounds.shape[1] == 0:
        return np.zeros(len(ts), np.int64)
    origin = int(min(bounds.min(), ts.min()))
    stride = int(max(bounds.max(), ts.max())) - origin + 1
    flat = (bounds - origin + np.arange(len(bounds))[:, None] * stride).ravel()
    at = np.searchsorted(flat, ts - origin + store * stride, side="right") - 1
    found: Ints = at - store * bounds.shape[1]
    return found


def _between(values: Ints, lo: Ints, hi: Ints) -> Ints:
    """(stores × cells) the sums of each store's values[lo:hi] (nothing where hi ≤ lo)."""
    running = np.concatenate(
        [np.zeros((values.shape[0], 1), np.int64), np.cumsum(values, axis=1)], axis=1
    )
    rows = np.arange(values.shape[0])[:, None]
    found: Ints = np.where(hi > lo, running[rows, hi] - running[rows, lo], 0)
    return found


def report_axis(as_of_us: int, hours: StoreHours, periods: Range | None) -> tuple[Axis, Cells]:
    """The dates a report's spans touch for a batch, and what it counts of each store."""
    n = len(hours.zone)
    if periods is None:
        span_lo, span_hi = np.full(n, as_of_us - SPAN_US), np.full(n, as_of_us)
        return span_axis(hours, span_lo, span_hi), standard_cells(as_of_us, n)
    # The dates from two before the first (the span starts 24 hours before it) through the
    # one after the last: every period's bounds are among their midnights.
    first = periods.first - timedelta(2)
    dates = [first + timedelta(d) for d in range(periods.dates + 3)]
    every = local_midnights(hours, [*dates, dates[-1] + timedelta(1)])
    bounds = every[:, [(d - first).days for d in periods.bounds()]]
    span_lo, span_hi = spans(bounds, as_of_us)
    axis = dates_axis(dates, every, span_lo, span_hi)
    return axis, period_cells(bounds, as_of_us)


def whole_months(periods: Range) -> list[date]:
    """The calendar months (their first dates) a period report's axis may take as one unit
    each: wholly on it (`report_axis`: two dates before the first through the one after the
    last) and cut by no period's bound (a monthly or a total report's)."""
    first, end = periods.first - timedelta(2), periods.last + timedelta(2)
    inner = [b for b in periods.bounds() if b.day != 1]
    found = []
    month = next_month(first - timedelta(1))
    while next_month(month) <= end:
        if not any(month < b < next_month(month) for b in inner):
            found.append(month)
        month = next_month(month)
    return found


def month_units(axis: Axis, months: Sequence[date]) -> Axis:
    """The axis of single dates `axis` with each of `months` (whole on it) one unit."""
    whole = set(months)
    starts = [c for c, d in enumerate(axis.dates) if d.day == 1 or d.replace(day=1) not in whole]
    return axis.units(starts)


def standard_of(counted: Counted) -> Standard:
    """The standard report of a batch counted with its WINDOWS as cells."""
    present = np.flatnonzero(counted.present)
    return Standard(present, counted.up[present], counted.business[present], counted.polls[present])


def periods_of(counted: Counted, cells: Cells, periods: Range, as_of_us: int) -> Periods:
    """The period report of a batch counted with its periods as cells."""
    store, period = np.nonzero(cells.counted & counted.present[:, None])
    return Periods(
        periods.starts(),
        store,
        period,
        counted.up[store, period],
        counted.business[store, period],
        counted.polls[store, period],
        cells.end[store, period] == as_of_us + 1,  # cut at as_of (see `period_cells`)
    )


def concat(parts: Sequence[Counted]) -> Counted:
    """The counts of consecutive groups of a batch's stores, as one."""
    return Counted(
        *(np.concatenate([getattr(p, name) for p in parts]) for name in Counted.__annotations__)
    )


def days_to_read(plan: Plan, first: int, last: int) -> tuple[Ints, Ints]:
    """The UTC days (since the epoch) holding the polls to read of stores first … last − 1,
    and for each the store that needs it: (day, store) pairs, by day then store."""
    store, date = np.nonzero(plan.read[first:last])
    store += first
    bounds = plan.axis.bounds
    lo = np.maximum(bounds[store, date], plan.axis.span_lo[store])
    hi = np.minimum(bounds[store, date + 1], plan.axis.span_hi[store] + 1)
    first_day, last_day = lo // US_PER_DAY, (hi - 1) // US_PER_DAY
    count = last_day - first_day + 1
    day = (
        np.repeat(first_day, count)
        + np.arange(int(count.sum()))
        - np.repeat(np.cumsum(count) - count, count)
    )
    stores = max(len(plan.axis.span_lo), 1)
    pairs = np.unique(day * stores + np.repeat(store, count))  # by day, then store
    return pairs // stores, pairs % stores


def polled_days(plan: Plan) -> Ints:
    """Each store's dates of polls to read (how much of its polls it reads)."""
    found: Ints = (plan.read * plan.axis.widths).sum(axis=1)
    return found
