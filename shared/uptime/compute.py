"""The report for a batch of stores, from plain values: the pure core used by the worker."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np

from shared.instants import to_us
from shared.pollchunks import Polls, sort_unique
from shared.uptime.hours import WeeklyRows, business_intervals
from shared.uptime.interpolation import SPAN_US, hundredths, in_span, window_totals
from shared.uptime.model import ReportRow, StoreMeta


def format_hundredths(value: int) -> str:
    """`150` → `"1.50"`."""
    return f"{value // 100}.{value % 100:02d}"


def batch_rows(
    as_of_us: int,
    store_ids: Sequence[str],
    weekly: WeeklyRows,
    polls: Polls,
) -> list[ReportRow]:
    """Report rows of the stores with polls in the span, in the order of `store_ids`.

    `polls.store` and `weekly.owner` index `store_ids`; the polls are sorted by (store, ts),
    one per instant, `ts` in microseconds since the epoch.
    """
    span_start = as_of_us - SPAN_US
    store, ts, active = in_span(polls.store, polls.ts, polls.active, span_start, as_of_us)
    present = np.zeros(len(store_ids), dtype=bool)
    present[store] = True
    owner, intervals = business_intervals(len(store_ids), weekly, span_start, as_of_us)
    totals = window_totals(len(store_ids), store, ts - span_start, active, owner, intervals)
    values = hundredths(totals)
    return [
        ReportRow(store_ids[int(i)], *(format_hundredths(int(v)) for v in values[i]))
        for i in np.flatnonzero(present)
    ]


def compute_report(
    as_of: datetime, polls: Iterable[tuple[str, datetime, bool]], stores: Mapping[str, StoreMeta]
) -> list[ReportRow]:
    """The whole report from plain values, rows in store_id order.

    `polls` are (store_id, aware timestamp, active); for the same store and instant the later
    item wins. A store missing from `stores` has no zone and no hours.
    """
    polls = list(polls)
    store_ids = sorted({store_id for store_id, _, _ in polls})
    index = {store_id: i for i, store_id in enumerate(store_ids)}
    given = Polls(
        np.array([index[p[0]] for p in polls], dtype=np.int64),
        np.array([to_us(p[1]) for p in polls], dtype=np.int64),
        np.array([p[2] for p in polls], dtype=bool),
    )
    return batch_rows(
        to_us(as_of),
        store_ids,
        WeeklyRows.from_metas([stores.get(store_id, StoreMeta()) for store_id in store_ids]),
        sort_unique(given),
    )
