"""The standard report of a batch of stores: uptime and downtime in the last hour, day and
week up to as_of, from plain values. The pure core the workers run, and `compute_report`, the
same from Python values for tests and tools.

Besides the CSV's figures a batch gives, per window, each store's uptime percent and polls
(served with its row, not in the CSV), and the fleet's totals in the hour before the last hour
and the day before the last day (the summary's trend)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from shared.instants import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, to_us
from shared.uptime.figures import hundredths, percent_hundredths
from shared.uptime.hours import StoreHours, business_intervals
from shared.uptime.model import ReportRow, StoreMeta
from shared.uptime.polls import Ints, Polls, sort_unique
from shared.uptime.stores import StoreTotals
from shared.uptime.summary import Summary
from shared.uptime.table import Table, hundredths_column, run_starts
from shared.uptime.timeline import Timeline, cut, poll_counts, totals

SPAN_US = 8 * US_PER_DAY  # the week plus one day of lead-in
WINDOWS_US = (US_PER_HOUR, US_PER_DAY, 7 * US_PER_DAY)
UNITS_US = (US_PER_MINUTE, US_PER_HOUR, US_PER_HOUR)  # the last hour in minutes, else hours
WINDOW_NAMES = ("last_hour", "last_day", "last_week")
# Every window a batch computes, as [as_of − start, as_of − end]: the CSV's three, then the
# hour before the last hour and the day before the last day.
WINDOWS = (
    *((w, 0) for w in WINDOWS_US),
    (2 * US_PER_HOUR, US_PER_HOUR),
    (2 * US_PER_DAY, US_PER_DAY),
)
PREVIOUS = {"last_hour": 3, "last_day": 4}  # window name → its previous window's index


def in_span(polls: Polls, lo: int, hi: int) -> Polls:
    """The polls with lo ≤ ts ≤ hi (their order kept)."""
    return polls.take(np.flatnonzero((polls.ts >= lo) & (polls.ts <= hi)))


def stores_of(polls: Polls) -> Ints:
    """The stores that have polls, in order (the polls are sorted by store)."""
    result: Ints = polls.store[run_starts(polls.store)]
    return result


@dataclass(frozen=True)
class Standard:
    """The standard report's exact figures for a batch: the stores with polls in the span
    (batch indexes, in order) and, per store and window of WINDOWS (stores × windows), their
    active and business ticks and their polls."""

    present: Ints
    up: Ints
    business: Ints
    polls: Ints

    def table(self) -> Table:
        """The CSV rows as columns, in the batch's order; per window, the percent (−1: no
        business time) and the polls as extras."""
        down = self.business - self.up
        windows = range(len(WINDOWS_US))
        columns = [hundredths_column(hundredths(self.up[:, w], UNITS_US[w])) for w in windows]
        columns += [hundredths_column(hundredths(down[:, w], UNITS_US[w])) for w in windows]
        extras = [_percent(self.up[:, w], self.business[:, w]) for w in windows]
        extras += [self.polls[:, w] for w in windows]
        return Table(self.present, columns, extras)

    def rows(self, store_ids: Sequence[str]) -> list[ReportRow]:
        """The CSV rows, in the batch's order."""
        return self.table().rows(store_ids, ReportRow)

    def summary(self, totals: StoreTotals | None = None) -> Summary:
        """The summary (`totals`: the batch's `stores()`, if at hand)."""
        totals = self.stores() if totals is None else totals
        found = Summary("standard")
        shown = len(WINDOWS_US)
        up, business = self.up.sum(axis=0), self.business.sum(axis=0)
        found.add_totals(
            list(WINDOW_NAMES),
            up[:shown],
            business[:shown],
            (self.polls[:, :shown] == 0).sum(0),
            np.full(shown, len(self.present)),
        )
        before = list(PREVIOUS.values())
        found.add_previous(list(PREVIOUS), up[before], business[before])
        found.add_stores(totals.up, totals.business)  # over the week
        return found

    def stores(self) -> StoreTotals:
        """Each store over the week."""
        week = len(WINDOWS_US) - 1
        return StoreTotals.without_periods(
            self.present, self.business[:, week], self.up[:, week], self.polls[:, week]
        )


def _percent(up: Ints, business: Ints) -> Ints:
    """Uptime percents in hundredths, −1 without business time."""
    found: Ints = np.where(business > 0, percent_hundredths(up, business), -1)
    return found


def standard_timeline(as_of_us: int, hours: StoreHours, polls: Polls) -> Timeline:
    """The timeline of a batch over the standard report's span: `polls.store` and
    `hours.owner` index the batch's stores (as many as `hours.zone`); the polls are sorted by
    (store, ts), one per instant, `ts` in microseconds since the epoch."""
    n = len(hours.zone)
    first = as_of_us - SPAN_US
    polls = in_span(polls, first, as_of_us)
    span_lo, span_hi = np.full(n, first, np.int64), np.full(n, as_of_us, np.int64)
    return cut(n, polls, business_intervals(hours, span_lo, span_hi), first)


def windows(as_of_us: int, stores: int) -> tuple[Ints, Ints]:
    """The WINDOWS of `stores` stores, store after store: their [lo, hi] in µs."""
    starts = np.array([start for start, _ in WINDOWS], np.int64)
    ends = np.array([end for _, end in WINDOWS], np.int64)
    return as_of_us - np.tile(starts, stores), as_of_us - np.tile(ends, stores)


def standard_figures(as_of_us: int, hours: StoreHours, polls: Polls) -> Standard:
    """The standard report of a batch (see `standard_timeline`)."""
    timeline = standard_timeline(as_of_us, hours, polls)
    present = stores_of(timeline.polls)
    owner = np.repeat(present, len(WINDOWS))
    lo, hi = windows(as_of_us, len(present))
    up, business = totals(timeline, owner, lo, hi)
    counts = poll_counts(timeline, owner, lo, hi + 1)  # a window holds both its ends
    shape = (-1, len(WINDOWS))
    return Standard(present, up.reshape(shape), business.reshape(shape), counts.reshape(shape))


def batch_rows(
    as_of_us: int, store_ids: Sequence[str], hours: StoreHours, polls: Polls
) -> list[ReportRow]:
    """Report rows of the stores with polls in the span, in the order of `store_ids` (see
    `standard_figures`)."""
    return standard_figures(as_of_us, hours, polls).rows(store_ids)


def compute_report(
    as_of: datetime, polls: Iterable[tuple[str, datetime, bool]], stores: Mapping[str, StoreMeta]
) -> list[ReportRow]:
    """The whole report from plain values, rows in store_id order.

    `polls` are (store_id, aware timestamp, active); for the same store and instant the later
    item wins. A store missing from `stores` has no zone and no hours.
    """
    return batch_rows(to_us(as_of), *plain_batch(polls, stores))


def plain_batch(
    polls: Iterable[tuple[str, datetime, bool]], stores: Mapping[str, StoreMeta]
) -> tuple[list[str], StoreHours, Polls]:
    """A batch of every store with polls, from plain values (see compute_report): store_ids
    in byte order, their hours, their polls sorted and unique."""
    polls = list(polls)
    store_ids = sorted({store_id for store_id, _, _ in polls})
    index = {store_id: i for i, store_id in enumerate(store_ids)}
    given = Polls(
        np.array([index[p[0]] for p in polls], dtype=np.int64),
        np.array([to_us(p[1]) for p in polls], dtype=np.int64),
        np.array([p[2] for p in polls], dtype=bool),
    )
    hours = StoreHours.from_metas([stores.get(store_id, StoreMeta()) for store_id in store_ids])
    return store_ids, hours, sort_unique(given)
