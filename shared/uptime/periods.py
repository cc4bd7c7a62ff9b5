"""Period reports: uptime and downtime of each store per local day, week, month, or over the
whole range, in its own calendar, from plain values. The same engine as the standard report
(shared/uptime/timeline.py) with the periods in place of the windows.

For a store in zone Z, the range [S, E) runs from local `from` 00:00 to local (`to` + 1 day)
00:00, read by the spec's local → UTC rule; its span is [S − 24 h, min(E, as_of)]. Periods
start on each local date (day), each Monday (week), each 1st (month), or once (total), clipped
to the range; a period that starts at or after as_of has no row, and the one holding as_of
counts business time only up to as_of.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from shared.instants import US_PER_DAY, US_PER_HOUR, day_number, to_us
from shared.uptime.compute import SPAN_US, plain_batch, stores_of
from shared.uptime.figures import hundredths, percent_hundredths
from shared.uptime.hours import StoreHours, business_intervals, zone_table
from shared.uptime.model import PeriodRow, StoreMeta
from shared.uptime.polls import Ints, Polls
from shared.uptime.stores import StoreTotals
from shared.uptime.summary import Summary
from shared.uptime.table import (
    Table,
    hundredths_column,
    integer_column,
    label_column,
    run_starts,
)
from shared.uptime.timeline import Timeline, cut, poll_counts, totals

INTERVALS = ("day", "week", "month", "total")
MAX_DATES = 366  # dates in a range, both ends included


@dataclass(frozen=True)
class Range:
    """Local dates `first` … `last` (both included), cut into periods by `interval`."""

    first: date
    last: date
    interval: str

    @property
    def dates(self) -> int:
        return (self.last - self.first).days + 1

    def starts(self) -> list[date]:
        """The local date each period starts on, in order."""
        if self.interval == "total":
            return [self.first]
        days = [self.first + timedelta(n) for n in range((self.last - self.first).days + 1)]
        if self.interval == "day":
            return days
        if self.interval == "week":
            return [d for d in days if d == self.first or d.weekday() == 0]
        assert self.interval == "month"
        return [d for d in days if d == self.first or d.day == 1]

    def bounds(self) -> list[date]:
        """Local dates whose midnights bound the periods: their starts, then `last` + 1 day."""
        return [*self.starts(), self.last + timedelta(1)]


def next_month(day: date) -> date:
    """The first date of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(4)).replace(day=1)


def local_midnights(hours: StoreHours, days: Sequence[date]) -> Ints:
    """(stores, days) UTC µs of local midnight of each date in each store's zone, by the
    spec's local → UTC rule."""
    local = np.array([day_number(d) for d in days], np.int64) * US_PER_DAY
    out = np.empty((len(hours.zone), len(days)), np.int64)
    # Offsets of a zone never exceed a day: a table around the local instants covers them.
    around = np.array([local.min() - US_PER_DAY, local.max() + US_PER_DAY])
    for name in np.unique(hours.zone):
        out[hours.zone == name] = zone_table(str(name), around[:1], around[1:]).to_utc(local)
    return out


def local_days(zones: npt.NDArray[np.str_], us: Ints) -> Ints:
    """The local date (days since 1970-01-01) of each instant `us[i]` in zone `zones[i]`."""
    out = np.empty(len(us), np.int64)
    for name in np.unique(zones):
        mine = zones == name
        offsets = zone_table(str(name), us[mine], us[mine]).at_utc(us[mine])
        out[mine] = (us[mine] + offsets) // US_PER_DAY
    return out


def spans(bounds: Ints, as_of_us: int) -> tuple[Ints, Ints]:
    """Each store's span [S − 24 h, min(E, as_of)] from its period bounds. An as_of before
    S − 24 h leaves it empty: [S − 24 h, S − 24 h − 1 µs], never an end before its start by
    months, which nothing downstream (zone tables, local dates) is built for."""
    lo: Ints = bounds[:, 0] - US_PER_DAY
    hi: Ints = np.maximum(np.minimum(bounds[:, -1], as_of_us), lo - 1)
    return lo, hi


@dataclass(frozen=True)
class Periods:
    """A period report's exact figures for a batch: one entry per row (a store with polls in
    its span, a period starting before as_of), in the CSV's order: active and business ticks,
    polls, and whether as_of cut the period short."""

    starts: list[date]
    store: Ints  # batch index of each row's store
    period: Ints  # index into `starts`
    up: Ints
    business: Ints
    polls: Ints
    partial: npt.NDArray[np.bool_]

    def percent(self) -> Ints:
        """Each row's uptime percent in hundredths, −1 without business time."""
        found: Ints = np.where(self.business > 0, percent_hundredths(self.up, self.business), -1)
        return found

    def table(self) -> Table:
        """The CSV rows as columns: by store (batch order), then by period."""
        columns = [
            label_column([d.isoformat() for d in self.starts], self.period),
            hundredths_column(hundredths(self.up, US_PER_HOUR)),
            hundredths_column(hundredths(self.business - self.up, US_PER_HOUR)),
            hundredths_column(self.percent()),  # empty without business time
            integer_column(self.polls),
        ]
        return Table(self.store, columns)

    def rows(self, store_ids: Sequence[str]) -> list[PeriodRow]:
        return self.table().rows(store_ids, PeriodRow)

    def summary(self, totals: StoreTotals | None = None) -> Summary:
        """The summary (`totals`: the batch's `stores()`, if at hand)."""
        totals = self.stores() if totals is None else totals
        found = Summary("period")
        periods = len(self.starts)
        found.add_totals(
            [d.isoformat() for d in self.starts],
            _sums(self.period, self.up, periods),
            _sums(self.period, self.business, periods),
            _sums(self.period, (self.polls == 0).astype(np.int64), periods),
            np.bincount(self.period, minlength=periods),
        )
        found.add_stores(totals.up, totals.business)
        found.partial = bool(self.partial.any())
        return found

    def stores(self) -> StoreTotals:
        """Each store over the whole range (the sums of its periods) and its worst period."""
        # Rows are by store already (the CSV's order); a stable sort keeps any other order exact.
        order = np.argsort(self.store, kind="stable")
        store = self.store[order]
        starts = run_starts(store)
        # The worst period, among those measured (business time and a poll): the lowest
        # percent (the others last), then the earliest, as one key: percent × periods + period.
        percent = self.percent()[order]
        measured = (percent >= 0) & (self.polls[order] > 0)
        periods = max(len(self.starts), 1)
        rank = np.where(measured, percent, _UNMEASURED) * periods + self.period[order]
        worst = np.minimum.reduceat(rank, starts)
        found = worst < _UNMEASURED * periods

        def sums(values: Ints) -> Ints:
            return np.add.reduceat(values[order], starts)

        return StoreTotals(
            store[starts],
            sums(self.business),
            sums(self.up),
            sums(self.polls),
            np.where(found, worst % periods, -1),
            np.where(found, worst // periods, -1),
        )


_UNMEASURED = 1 << 20  # above any percent in hundredths


def _sums(index: Ints, values: Ints, size: int) -> Ints:
    """The sums of `values` by `index`, exactly (in integers, unlike a weighted bincount)."""
    out = np.zeros(size, np.int64)
    np.add.at(out, index, values)
    return out


def period_timeline(as_of_us: int, hours: StoreHours, polls: Polls, bounds: Ints) -> Timeline:
    """The timeline of a batch over each store's span: `polls.store` and `hours.owner` index
    the batch's stores (as many as `hours.zone`); the polls are sorted by (store, ts), one per
    instant; `bounds` the stores' period bounds (`local_midnights`)."""
    n = len(hours.zone)
    span_lo, span_hi = spans(bounds, as_of_us)
    inside = (polls.ts >= span_lo[polls.store]) & (polls.ts <= span_hi[polls.store])
    polls = polls.take(np.flatnonzero(inside))
    origin = int(span_lo.min()) if n else 0
    return cut(n, polls, business_intervals(hours, span_lo, span_hi), origin)


@dataclass(frozen=True)
class Rows:
    """The rows of a period report's batch: for each, its store, its period, and the period's
    [lo, hi) in µs (hi cut at as_of; polls count up to as_of itself), `cut` where as_of
    fell inside it."""

    store: Ints
    period: Ints
    lo: Ints
    hi: Ints
    polls_end: Ints
    cut: npt.NDArray[np.bool_]


def period_rows(present: Ints, bounds: Ints, as_of_us: int) -> Rows:
    """The rows of the stores `present` (batch indexes, in order) with their period bounds: a
    row for each period starting before as_of."""
    lo, end = bounds[present, :-1], bounds[present, 1:]
    counted = lo < as_of_us  # a period starting at or after as_of has no row
    store, period = np.nonzero(counted)
    lo, end = lo[counted], end[counted]
    return Rows(
        present[store],
        period,
        lo,
        np.minimum(end, as_of_us),
        np.minimum(end, as_of_us + 1),  # polls: before the period's end, up to as_of
        end > as_of_us,
    )


def period_figures(as_of_us: int, hours: StoreHours, polls: Polls, periods: Range) -> Periods:
    """The period report of a batch (see `period_timeline`)."""
    bounds = local_midnights(hours, periods.bounds())
    timeline = period_timeline(as_of_us, hours, polls, bounds)
    rows = period_rows(stores_of(timeline.polls), bounds, as_of_us)
    up, business = totals(timeline, rows.store, rows.lo, rows.hi)
    counts = poll_counts(timeline, rows.store, rows.lo, rows.polls_end)
    return Periods(periods.starts(), rows.store, rows.period, up, business, counts, rows.cut)


def batch_rows(
    as_of_us: int, store_ids: Sequence[str], hours: StoreHours, polls: Polls, periods: Range
) -> list[PeriodRow]:
    """Period rows of the stores with polls in their spans, in the order of `store_ids`, then
    by period (see `period_figures`)."""
    return period_figures(as_of_us, hours, polls, periods).rows(store_ids)


def days_read(as_of: datetime, periods: Range | None) -> tuple[date, date]:
    """The UTC days whose polls a report's stores need: those of the standard report's span,
    or of every store's span of a period report whatever its zone (local dates lie within a
    day of UTC ones)."""
    if periods is None:
        return (as_of - timedelta(microseconds=SPAN_US)).date(), as_of.date()
    return periods.first - timedelta(2), min(periods.last + timedelta(2), as_of.date())


def compute_period_report(
    as_of: datetime,
    polls: Iterable[tuple[str, datetime, bool]],
    stores: Mapping[str, StoreMeta],
    periods: Range,
) -> list[PeriodRow]:
    """The whole period report from plain values (as compute_report), rows by store_id then
    period."""
    return batch_rows(to_us(as_of), *plain_batch(polls, stores), periods)
