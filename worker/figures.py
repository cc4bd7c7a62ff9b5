"""The figures job of a block of stores: keep its daily figures (shared/uptime/daily.py) up to
date with its polls, for the current hours and zones snapshots.

A job (one per block at a time: an advisory lock; a second finds it held and leaves the work to
the holder, which looks again before it lets go):
1. takes the chunks ranked after the block's mark (the polls stored since) and computes again
   the figures of every local date they can change, then moves the mark past them; for a new
   pair of snapshots it only sets the mark (no figure yet: nothing to bring up to date);
2. computes up to DATES_PER_JOB dates that have no figures yet, the newest first (a new pair of
   snapshots, or dates whose polls arrived before the mark was set), and queues itself again
   while any is left, so that a rebuild never holds a worker for long.

A month's row (its dates as one, for long reports) is made once every date of the month has a
row and the polls have moved on past it (RIPE); a job that computes any of its dates again
drops it in the same transaction, and makes it again at its end.

Rows are written before the mark moves, each in its own transaction: a report that reads them
between the two sees rows that reflect more than the mark says, and only computes more from
polls. A job killed anywhere leaves rows that are each whole and a mark that is not ahead of
them; the next run does the rest. Nothing here takes a lock a report or an ingest waits for.
"""

import logging
from datetime import date, timedelta

import asyncpg
import numpy as np

from shared.db import figures, polls, stores
from shared.db.figures import Pair
from shared.figurerows import combined_rows
from shared.messages import AnyJob, Figures
from shared.pollchunks import STORE_BLOCK
from shared.uptime.hours import StoreHours
from shared.uptime.periods import next_month
from worker import compute
from worker.child import Child
from worker.hours_cache import HoursCache

log = logging.getLogger(__name__)
DATES_PER_JOB = 7  # local dates computed at once (a rebuild's step)
MONTHS_PER_JOB = 2  # month rows computed at once


async def run(
    pool: asyncpg.Pool, child: Child, hours_cache: HoursCache, block: int
) -> list[AnyJob]:
    """Bring the figures of `block` up to date as far as one job goes; the jobs to queue after
    it (itself again while dates are left to compute)."""
    async with pool.acquire() as conn:
        if not await figures.try_lock(conn, block):
            return []  # another worker holds it, and looks again before it lets go
        try:
            left = await _catch_up(conn, child, hours_cache, block)
        finally:
            await figures.unlock(conn, block)
    return [Figures(block)] if left else []


async def _catch_up(
    conn: asyncpg.Connection, child: Child, hours_cache: HoursCache, block: int
) -> bool:
    """One job's work on the block; whether any is left."""
    pair = await figures.current_pair(conn)
    lo = block * STORE_BLOCK
    n = min(STORE_BLOCK, await stores.max_key(conn) + 1 - lo)
    if n <= 0:
        return False
    keys = np.arange(lo, lo + n)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        hours = await hours_cache.get(conn, keys, np.arange(n), lo, pair.hours, pair.zones)
        mark = await figures.mark(conn, pair, block)
        top = await polls.latest_rank(conn, block)
        span = await polls.day_range(conn, block)
        newer = (
            []
            if mark is None or span is None or top <= mark
            else await polls.read_keys(conn, keys, span[0], span[1], after_rank=mark)
        )
    if span is None:
        return False
    changed = await child.call(compute.dates_changed, hours, newer, lo) if newer else []
    for dates in _steps(changed):
        await _compute(conn, child, pair, block, hours, dates)
    if mark is None or top > mark:
        await figures.set_mark(conn, pair, block, top)
    if changed:
        log.info("figures of block %d: %d dates computed again", block, len(changed))
    # Dates without figures, the newest first.
    have = await figures.days(conn, pair, block)
    wanted = [span[1] + timedelta(1) - timedelta(d) for d in range((span[1] - span[0]).days + 3)]
    missing = [d for d in wanted if d not in have]
    todo = sorted(missing[:DATES_PER_JOB])
    for dates in _steps(todo):
        await _compute(conn, child, pair, block, hours, dates)
    if todo:
        log.info(
            "figures of block %d: %s … %s computed, %d dates left",
            block,
            todo[0],
            todo[-1],
            len(missing) - len(todo),
        )
    # Month rows: those of ripe months whose dates all have rows, the newest first.
    have |= set(todo)
    ripe_by = span[1] - figures.RIPE
    ripe = {d.replace(day=1) for d in have if next_month(d) <= ripe_by}
    rowless = sorted(ripe - await figures.months(conn, pair, block), reverse=True)
    whole = [m for m in rowless if all(d in have for d in _dates_of(m))]
    for month in whole[:MONTHS_PER_JOB]:
        await _month(conn, child, pair, block, hours, month)
        log.info("figures of block %d: the month of %s computed", block, month)
    left = len(missing) > len(todo) or len(whole) > MONTHS_PER_JOB
    return left or await polls.latest_rank(conn, block) > top


def _dates_of(month: date) -> list[date]:
    """The month's dates (`month`: its first)."""
    return [month + timedelta(d) for d in range((next_month(month) - month).days)]


def _steps(dates: list[date]) -> list[list[date]]:
    """Runs of consecutive dates, each cut into steps of at most DATES_PER_JOB."""
    steps: list[list[date]] = []
    for d in sorted(dates):
        if steps and steps[-1][-1] + timedelta(1) == d and len(steps[-1]) < DATES_PER_JOB:
            steps[-1].append(d)
        else:
            steps.append([d])
    return steps


async def _compute(
    conn: asyncpg.Connection,
    child: Child,
    pair: Pair,
    block: int,
    hours: StoreHours,
    dates: list[date],
) -> None:
    """Compute and store the block's figures on consecutive `dates`: from one snapshot, the
    polls of every UTC day within a day of them (a local date lies within a day of its UTC
    date, and each figure needs the polls within MARGIN, a day, of it)."""
    lo = block * STORE_BLOCK
    n = len(hours.zone)
    keys = np.arange(lo, lo + n)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        days = await polls.read_keys(conn, keys, dates[0] - timedelta(2), dates[-1] + timedelta(2))
    records = await child.call(compute.block_figures, hours, days, lo, dates)
    async with conn.transaction():
        await figures.write(
            conn, pair, block, [(d, n, data) for d, data in zip(dates, records, strict=True)]
        )
        await figures.drop_months(conn, pair, block, sorted({d.replace(day=1) for d in dates}))


async def _month(
    conn: asyncpg.Connection,
    child: Child,
    pair: Pair,
    block: int,
    hours: StoreHours,
    month: date,
) -> None:
    """Compute and store the block's row of `month` from its dates' rows, and the polls within
    a day of it of the stores that have a date whose figure is not complete (compute.month_row)."""
    lo = block * STORE_BLOCK
    end = next_month(month)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await figures.month_days(conn, pair, block, month, end)
        summed = combined_rows(rows)
        dirty = np.flatnonzero(~summed.complete[:, 0]) + lo
        days = await polls.read_keys(conn, dirty, month - timedelta(2), end + timedelta(1))
    records = await child.call(compute.month_row, hours, days, lo, month, summed)
    async with conn.transaction():
        await figures.write_months(conn, pair, block, [(month, len(summed.complete), records)])


async def all_now(pool: asyncpg.Pool, child: Child, hours_cache: HoursCache) -> int:
    """Run every figures job there is work for, in this process, until none is left; how many
    ran. (The benchmark and the tests: a worker runs them from the queue.)"""
    ran = 0
    while True:
        async with pool.acquire() as conn:
            jobs = await pending(conn)
        if not jobs:
            return ran
        for job in jobs:
            assert isinstance(job, Figures)
            await run(pool, child, hours_cache, job.block)
            ran += 1


async def pending(conn: asyncpg.Connection) -> list[AnyJob]:
    """The figures jobs that have work (a follow-up of every ingest and housekeeping pass)."""
    return [Figures(block) for block in await figures.behind(conn)]
