"""What the computing child runs (worker/child.py): the CPU-bound part of a job, from plain
values (NumPy arrays) the parent read from PostgreSQL, to files renamed into place whole.

- `shard_part`: a shard's polls as read (chunks per day), its stores' hours → its part file;
- from daily figures, in steps between which the parent reads: `plan_part` (the shard's
  figures → which polls to read, in groups of stores), `count_group` (a group's polls), then
  `write_figures_part` (the part); the shard in hand is kept here between the calls;
- `block_figures`: a block's polls → its daily figures on some dates; `dates_changed`: the
  local dates whose figures new polls can change;
- `assemble`: a report's parts → its CSV and the index of its rows.
"""

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from shared import figurerows, reportparts, rowsindex
from shared.csvfile import HEADER, AtomicFile, columns_of, csv_lines, report_path
from shared.figurerows import decode_into
from shared.instants import day_date
from shared.pollchunks import STORE_BLOCK, block_of, span_of
from shared.uptime import present
from shared.uptime.compute import Standard, standard_figures
from shared.uptime.daily import MARGIN_US, DailyFigures, daily_figures, unit_figures
from shared.uptime.fromdays import (
    Cells,
    Counted,
    Plan,
    concat,
    count,
    days_to_read,
    month_units,
    periods_of,
    plan,
    polled_days,
    report_axis,
    stale,
    standard_of,
)
from shared.uptime.hours import StoreHours
from shared.uptime.periods import (
    Periods,
    Range,
    local_days,
    local_midnights,
    next_month,
    period_figures,
)
from shared.uptime.polls import Bools, Ints, Polls


@dataclass(frozen=True)
class ShardInput:
    """A shard's stores and polls, as the parent read them in one snapshot."""

    as_of_us: int
    periods: Range | None
    names: list[str]  # the stores' ids, in store_id order
    hours: StoreHours
    days: list[list[Polls]]  # per UTC day, its chunks in rank order
    rank_of_key: Ints  # each key's store among `names` (−1: not the shard's)
    lo: int  # the first key


def shard_part(shard: ShardInput, path: Path, burn_seconds: float = 0.0) -> int:
    """Compute the shard's figures and write its part at `path`; its rows. `burn_seconds`:
    a test hook, CPU spent first (STOREMON_TEST_BURN_SECONDS)."""
    if burn_seconds > 0:
        burn(burn_seconds)
    span = span_of(shard.days, shard.rank_of_key, shard.lo)
    figures = (
        standard_figures(shard.as_of_us, shard.hours, span)
        if shard.periods is None
        else period_figures(shard.as_of_us, shard.hours, span, shard.periods)
    )
    return _write_part(path, figures, shard.names)


def _write_part(path: Path, figures: Standard | Periods, names: list[str]) -> int:
    totals = figures.stores()
    return reportparts.write(path, figures.table(), names, figures.summary(totals), totals)


@dataclass(frozen=True)
class FiguresInput:
    """A shard's stores and their figures, as the parent read them in one snapshot: the
    figure rows of its pinned snapshots (day, stores in the row, records; each row holding the
    records of the key runs `starts` … `ends` it has, in order), the month rows (the same, by
    the month's first date; none of their dates is among the rows) and the polls of chunks
    ranked after the rows' mark (chunks per day); None and none when the snapshots have no
    figures."""

    as_of_us: int
    periods: Range | None
    names: list[str]
    hours: StoreHours
    rank_of_key: Ints
    lo: int
    starts: Ints  # absolute keys
    ends: Ints
    rows: list[tuple[date, int, bytes]] | None
    months: list[tuple[date, int, bytes]]
    newer: list[list[Polls]]
    group_days: int  # poll dates (of all its stores) a group reads at most


@dataclass(frozen=True)
class ReadRequest:
    """The polls a group of stores (ranks first … last − 1) needs: runs of keys
    [starts[i], ends[i]) on UTC days `days[i]` (days since the epoch)."""

    first: int
    last: int
    days: Ints
    starts: Ints
    ends: Ints


@dataclass
class _InHand:
    """The shard being computed from figures, between the parent's reads."""

    shard: FiguresInput
    plan: Plan
    cells: Cells
    counted: list[Counted]


_IN_HAND: list[_InHand] = []  # at most one: a worker computes one shard at a time
_GAP = 16  # keys between two runs of stores to read below which they are read as one


def plan_part(shard: FiguresInput, burn_seconds: float = 0.0) -> list[ReadRequest]:
    """Take the shard in hand and say which polls to read for it, group by group.
    `burn_seconds`: a test hook, CPU spent first (STOREMON_TEST_BURN_SECONDS)."""
    _IN_HAND.clear()
    if burn_seconds > 0:
        burn(burn_seconds)
    axis, cells = report_axis(shard.as_of_us, shard.hours, shard.periods)
    axis = month_units(axis, [month for month, _, _ in shard.months])
    n, days = len(shard.names), len(axis.dates)
    figures, known = DailyFigures.unknown(n, days), np.zeros((n, days), bool)
    if shard.rows is not None and days:
        keys = np.concatenate(
            [
                np.arange(a, b)
                for a, b in zip(shard.starts.tolist(), shard.ends.tolist(), strict=True)
            ]
        )
        ranks = shard.rank_of_key[keys - shard.lo]
        base = block_of(int(keys[0])) * STORE_BLOCK if len(keys) else 0
        # A date's row fills the unit of that date alone, a month row its month's.
        widths = axis.widths.tolist()
        column = {(d, w > 1): j for j, (d, w) in enumerate(zip(axis.dates, widths, strict=True))}
        rows = [
            (column[d, whole], count, data)
            for whole, found in ((False, shard.rows), (True, shard.months))
            for d, count, data in found
            if (d, whole) in column
        ]
        _decode_rows(figures, known, rows, keys - base, ranks)
        newer = span_of(shard.newer, shard.rank_of_key, shard.lo)
        known &= ~stale(axis, newer)
    chosen = plan(axis, cells, figures, known)
    # The rows are decoded: the shard is kept without them (its largest part, in bytes).
    _IN_HAND.append(
        _InHand(dataclasses.replace(shard, rows=None, months=[], newer=[]), chosen, cells, [])
    )
    key_of_rank = np.empty(n, np.int64)
    taken = np.flatnonzero(shard.rank_of_key >= 0)
    key_of_rank[shard.rank_of_key[taken]] = taken + shard.lo
    requests = []
    for first, last in _groups(polled_days(chosen), shard.group_days):
        utc_day, store = days_to_read(chosen, first, last)
        key = key_of_rank[store]
        # Runs of consecutive keys per day: a day's keys in order, broken where they jump.
        order = np.lexsort((key, utc_day))
        utc_day, key = utc_day[order], key[order]
        # Runs a few keys apart are read as one (the stores between are read and dropped):
        # a slice read per run costs more than the polls of the keys it skips.
        jumps = (np.diff(utc_day) != 0) | (np.diff(key) > _GAP)
        breaks = np.r_[0, np.flatnonzero(jumps) + 1] if len(key) else key
        ends = np.r_[breaks[1:], len(key)] - 1 if len(key) else key
        requests.append(ReadRequest(first, last, utc_day[breaks], key[breaks], key[ends] + 1))
    return requests


def _decode_rows(
    figures: DailyFigures, known: Bools, rows: list[tuple[int, int, bytes]], keys: Ints, ranks: Ints
) -> None:
    """Put the figure rows' records (column of the axis, stores in the row, records) in
    `figures` (stores × units) and mark them `known`: a row holds the records of `keys`
    (within the block, in order) below its length. Decoded row by row into unit-major arrays
    (a row's records fill one run of them), then turned: a row at a time, never a copy of them
    all (a year's shard holds 14 MB of them)."""
    units = known.shape[1]
    by_unit = DailyFigures.unknown(units, len(keys))
    have = np.zeros((units, len(keys)), bool)
    for column, n, data in rows:
        decode_into(by_unit, column, data)
        have[column, : int(np.searchsorted(keys, n))] = True
    for name in DailyFigures.__annotations__:
        getattr(figures, name)[ranks] = getattr(by_unit, name).T
    known[ranks] = have.T


def _groups(days: Ints, budget: int) -> list[tuple[int, int]]:
    """Consecutive groups of stores whose poll dates add up to at most `budget` (a store
    over it alone is a group of its own)."""
    groups, first, used = [], 0, 0
    for store, n in enumerate(days.tolist()):
        if store > first and used + n > budget:
            groups.append((first, store))
            first, used = store, 0
        used += n
    groups.append((first, len(days)))
    return groups


def count_group(request: ReadRequest, days: list[list[Polls]]) -> None:
    """Count the group of `request` from its polls as read (chunks per day)."""
    if not _IN_HAND:
        raise RuntimeError("no shard in hand: the computing child was replaced meanwhile")
    hand = _IN_HAND[0]
    shard = hand.shard
    polls = span_of(days, shard.rank_of_key, shard.lo)
    hand.counted.append(count(hand.plan, shard.hours, polls, request.first, request.last))


def write_figures_part(path: Path) -> int:
    """Write the part of the shard in hand (every group counted); its rows."""
    if not _IN_HAND:
        raise RuntimeError("no shard in hand: the computing child was replaced meanwhile")
    hand = _IN_HAND.pop()
    shard, counted = hand.shard, concat(hand.counted)
    figures = (
        standard_of(counted)
        if shard.periods is None
        else periods_of(counted, hand.cells, shard.periods, shard.as_of_us)
    )
    return _write_part(path, figures, shard.names)


def block_figures(
    hours: StoreHours, days: list[list[Polls]], lo: int, dates: list[date]
) -> list[bytes]:
    """The daily figures of a block's stores (keys lo …, as many as `hours` has) on `dates`,
    from its polls as read (chunks per day, holding every poll within MARGIN of the dates),
    packed per date."""
    n = len(hours.zone)
    polls = span_of(days, np.arange(n), lo)
    figures = daily_figures(hours, polls, dates)
    return [figurerows.encode(figures, j) for j in range(len(dates))]


def month_row(
    hours: StoreHours, days: list[list[Polls]], lo: int, month: date, figures: DailyFigures
) -> bytes:
    """The records of a block's month row (keys lo …; `hours` of the block's stores in key
    order, at least as many as the row has): `figures` (stores × 1, its dates' rows
    `combined_rows`), but for the stores with an incomplete date, whose month is computed from
    their polls as one unit (`days`: chunks per day, holding every poll of theirs within
    MARGIN of the month). The sum of a date whose `active` is not exact is not either; the
    month taken whole is, unless the store has no observation within MARGIN of its start or
    of its end."""
    dirty = np.flatnonzero(~figures.complete[:, 0])
    if len(dirty):
        rank = np.full(len(hours.zone), -1, np.int64)
        rank[dirty] = np.arange(len(dirty))
        some = hours.take(dirty)
        bounds = local_midnights(some, [month, next_month(month)])
        exact = unit_figures(some, span_of(days, rank, lo), bounds)
        for name in DailyFigures.__annotations__:
            getattr(figures, name)[dirty] = getattr(exact, name)
    return figurerows.encode(figures, 0)


def dates_changed(hours: StoreHours, days: list[list[Polls]], lo: int) -> list[date]:
    """The local dates whose figures new polls (chunks per day, of keys lo …) can change:
    those within MARGIN of one of them, in some store's zone."""
    n = len(hours.zone)
    polls = span_of(days, np.arange(n), lo)
    if not len(polls):
        return []
    zones = hours.zone[polls.store]
    first = local_days(zones, polls.ts - MARGIN_US - 1)
    last = local_days(zones, polls.ts + MARGIN_US)
    wanted = np.unique(
        np.concatenate(
            [np.arange(a, b + 1) for a, b in set(zip(first.tolist(), last.tolist(), strict=True))]
        )
    )
    return [day_date(int(d)) for d in wanted]


def present_states(
    now_us: int, hours: StoreHours, days: list[list[Polls]], lo: int, alert_after_us: int
) -> present.States:
    """The present of a block's stores (keys lo …, as many as `hours` has) from their polls
    of the span as read (chunks per day)."""
    polls = span_of(days, np.arange(len(hours.zone)), lo)
    return present.evaluate(now_us, hours, polls, alert_after_us)


def assemble(reports_dir: Path, report_id: str, header: Sequence[str], parts: list[Path]) -> int:
    """The report's CSV from its parts, then the index of its rows and its stores, and its
    summary; rows."""
    kind = "standard" if header == HEADER else "period"
    head = csv_lines([header])
    with AtomicFile(report_path(reports_dir, report_id)) as csv:
        csv.write(head)
        done = reportparts.assemble(parts, csv, rowsindex.MAX_ROWS, kind)
        csv.commit()
    offsets = None if done.offsets is None else done.offsets + len(head)
    rowsindex.write(
        rowsindex.index_path(reports_dir, report_id),
        columns_of(header),
        done.summary,
        offsets,
        done.keys,
        done.stores,
    )
    return done.rows


def burn(seconds: float) -> int:
    """Spin the CPU for `seconds` in pure Python (no sleep, no system call to interrupt):
    what a long computation looks like to the event loop and to the time limit."""
    end = time.monotonic() + seconds
    spins = 0
    while time.monotonic() < end:
        spins += sum(range(10_000)) & 1
    return spins
