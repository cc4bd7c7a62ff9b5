"""Report jobs: plan a report into shards, compute a shard, assemble the finished CSV.

A plan job splits the stores into shards (ranges of store keys) and publishes one message per
shard; any worker computes a shard into a part file (sorted by store_id) and marks it done; the
worker that finds every shard done merges the parts into `<report_id>.csv` and marks the report
Complete. Every step may run twice (a redelivery after a crash) and still do the work once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import numpy as np

from shared import reportfiles, rowsindex
from shared.config import Settings
from shared.csvfile import HEADER, PERIOD_HEADER
from shared.db import figures, polls, reports, shards, stores
from shared.db.figures import Pair
from shared.db.shards import Shard
from shared.instants import to_us
from shared.messages import AnyJob, Compaction, Deliver, Figures, Job, Present
from shared.pollchunks import STORE_BLOCK, block_of
from shared.reportfiles import part_path
from shared.uptime.fromdays import whole_months
from shared.uptime.hours import StoreHours
from shared.uptime.periods import days_read, next_month
from shared.uptime.polls import Polls
from worker import compute, present
from worker import figures as figures_job
from worker.child import Child
from worker.hours_cache import HoursCache
from worker.timelimit import holding

log = logging.getLogger(__name__)
# Store-days of polls a shard reads at most: the standard report's block of 4,096 stores over
# its nine days; a 366-date period report's shards hold about a hundred stores each. From daily
# figures, a shard reads its stores' figures of every column (a date, or a month that has month
# rows in every block), and polls in groups of stores of at most that many poll dates: a
# 366-date monthly report's shards hold whole blocks when its months have rows (about 30
# columns), about 700 stores when they do not yet (369 columns: 10 MB of figures; 1,000 took as
# long but the worker and its child peaked 25–30 MB higher).
SHARD_STORE_DAYS = STORE_BLOCK * 9
SHARD_FIGURE_STORE_DAYS = STORE_BLOCK * 64
# Reports whose spans touch fewer local dates are computed from polls: too many of their dates
# hold a window's edge for the figures to pay (the standard report's nine dates: 0.46 s from
# figures, 0.35 s from polls, docs/benchmarks.md).
FIGURES_FROM_DATES = 14
NO_STORES = StoreHours.from_metas([])
DAY = timedelta(days=1)


class UnknownReport(Exception):
    """A job for a report (or shard) this worker's database has never seen."""


@dataclass(frozen=True)
class JobContext:
    """What a job needs: the database, the settings, a way to publish more jobs, and the
    child process that computes (started on first use unless the worker passes its own)."""

    pool: asyncpg.Pool
    settings: Settings
    publish: Callable[[AnyJob], Awaitable[None]]
    hours: HoursCache = field(default_factory=HoursCache)
    child: Child = field(default_factory=Child)
    # Takes one more job off the queue, if one waits, to read while this one computes.
    take_ahead: Callable[[], None] = field(default=lambda: None)
    burns: list[int] = field(default_factory=lambda: [0])  # shards burnt (the test hook)
    # Held across the child calls of a shard computed from figures (`_part_from_figures`).
    figures_shard: asyncio.Lock = field(default_factory=asyncio.Lock)

    def burn_seconds(self) -> float:
        """The test hook: CPU seconds the next shard spends first (STOREMON_TEST_BURN_SECONDS,
        for the first STOREMON_TEST_BURN_JOBS shards this worker computes; 0: none)."""
        limit = self.settings.test_burn_jobs
        if self.settings.test_burn_seconds <= 0 or (limit and self.burns[0] >= limit):
            return 0.0
        self.burns[0] += 1
        return self.settings.test_burn_seconds


async def run_job(ctx: JobContext, job: AnyJob) -> bool:
    """Run one job; True when it completed its report. Raises UnknownReport for a job of
    another database; any other error leaves the job to be retried."""
    if isinstance(job, Figures):
        if ctx.settings.daily_figures:  # off: reports read every poll, figures are not kept
            for then in await figures_job.run(ctx.pool, ctx.child, ctx.hours, job.block):
                await ctx.publish(then)
        return False
    if isinstance(job, Compaction):
        async with ctx.pool.acquire() as conn:
            merged = await polls.compact(conn, job.block, job.day)
        if merged:
            log.info("block %d on %s: %d chunks merged into one", job.block, job.day, merged)
        return False
    if isinstance(job, Present):
        alert_after = ctx.settings.alert_after_minutes
        await present.evaluate_block(ctx.pool, ctx.hours, ctx.child, job.block, alert_after)
        return False
    if isinstance(job, Deliver):  # not a job of this queue: on to the webhook queue
        await ctx.publish(job)
        return False
    if job.shard is None:
        return await _plan(ctx, job.report_id)
    return await _run_shard(ctx, job.report_id, job.shard)


async def _plan(ctx: JobContext, report_id: str) -> bool:
    async with ctx.pool.acquire() as conn:
        report = await reports.start(conn, report_id)
        if report is None:
            if await reports.get(conn, report_id) is None:
                raise UnknownReport(report_id)
            return False  # finished already
        todo = await _shards(conn, report, ctx.settings.shard_stores, _from_figures(ctx, report))
    log.info("report %s: %d shards to compute", report_id, len(todo))
    for shard in todo:
        await ctx.publish(Job(report_id, shard.number))
    return not todo and await _assemble(ctx, report_id)  # a replanned, finished report


async def _shards(
    conn: asyncpg.Connection, report: reports.Report, size: int, figures_on: bool
) -> list[Shard]:
    """The report's shards not done yet, made on the first call (later calls, after a
    redelivery, find them). Shards are ranges of store keys none straddling two blocks; a
    long period report's hold fewer stores, so that a shard's polls still fit in memory."""
    report_id = report.id
    async with conn.transaction():
        await reports.lock_status(conn, report_id)
        if not await shards.count(conn, report_id):
            periods = report.periods
            if periods is not None:
                per_shard = SHARD_FIGURE_STORE_DAYS if figures_on else SHARD_STORE_DAYS
                size = min(size, max(1, per_shard // await _columns(conn, report, figures_on)))
            only = await reports.store_ids(conn, report_id)
            if only is None:
                keys: Sequence[int] = range(1, await stores.max_key(conn) + 1)
            else:
                keys = sorted((await stores.keys(conn, only)).values())
            ranges = shards.split(keys, size) or [(1, 1)]  # no stores: one empty shard
            await shards.add(conn, report_id, ranges)
            await reports.set_shards_total(conn, report_id, len(ranges))
        return await shards.todo(conn, report_id)


async def _columns(conn: asyncpg.Connection, report: reports.Report, figures_on: bool) -> int:
    """The columns a period report's shards plan each store on: its dates, less those of the
    months that every block has a row of (one column each) when it reads figures."""
    periods = report.periods
    assert periods is not None
    months: list[date] = []
    if figures_on:
        months = await figures.months_everywhere(conn, _pair(report), whole_months(periods))
    return periods.dates + 1 - sum((next_month(m) - m).days - 1 for m in months)


def _pair(report: reports.Report) -> Pair:
    """The snapshots of hours and zones the report reads (0: none was stored)."""
    return Pair(report.hours_snapshot or 0, report.timezones_snapshot or 0)


async def _run_shard(ctx: JobContext, report_id: str, number: int) -> bool:
    async with ctx.pool.acquire() as conn:
        report = await reports.get(conn, report_id)
        row = await shards.get(conn, report_id, number)
        if report is None or row is None:
            raise UnknownReport(f"{report_id} shard {number}")
        if report.status != "Running":
            return False
        if row["done_at"] is None:
            shard = Shard(report_id, number, row["lo"], row["hi"])
            await shards.begin(conn, shard)
            path = part_path(ctx.settings.reports_dir, report_id, number)
            if _from_figures(ctx, report):
                rows = await _part_from_figures(ctx, conn, report, shard, path)
            else:
                shard_input = await _read(ctx, conn, report, shard)
                ctx.take_ahead()  # its polls are read while the child computes these
                rows = await ctx.child.call(
                    compute.shard_part,
                    shard_input,
                    path,
                    ctx.burn_seconds(),
                    writes_in=[path.parent],
                )
            async with conn.transaction():  # a cancel meanwhile waits for this, or we for it
                status = await reports.lock_status(conn, report_id)
                if status == "Running":
                    await shards.finish(conn, shard, rows)
            if status != "Running":  # cancelled (or failed) while computing: the part is moot
                _discard(ctx, report_id, status, path)
                log.info(
                    "report %s shard %d: report %s meanwhile, part removed",
                    report_id,
                    number,
                    status,
                )
                return False
            log.info("report %s shard %d: %d rows", report_id, number, rows)
    return await _assemble(ctx, report_id)


def _discard(ctx: JobContext, report_id: str, status: str | None, part: Path) -> None:
    """Remove a part written for a report that is no longer Running: a Cancelled report's
    parts all (as assembly would), else this one."""
    if status == "Cancelled":
        reportfiles.remove(ctx.settings.reports_dir, report_id, ("parts",))
        return
    part.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # other shards' parts are there: housekeeping's
        part.parent.rmdir()


async def _read(
    ctx: JobContext, conn: asyncpg.Connection, report: reports.Report, shard: Shard
) -> compute.ShardInput:
    """What computing the shard's stores needs, read from one repeatable-read snapshot: the
    stores' ids in store_id order, their hours, their polls as stored."""
    as_of = report.as_of
    periods = report.periods
    names: list[str] = []
    hours = NO_STORES
    days: list[list[Polls]] = []
    rank_of_key = np.empty(0, np.int64)
    if as_of is not None:  # else there were no polls at all when it was requested: no rows
        first, last = days_read(as_of, periods)
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            only = await reports.store_ids(conn, shard.report_id)
            names, rank_of_key = await stores.ranks(conn, shard.lo, shard.hi, only)
            if names:
                # Exactly the shard's stores: for a list, its keys' range holds others too.
                keys = np.flatnonzero(rank_of_key >= 0) + shard.lo
                hours = await ctx.hours.get(
                    conn,
                    keys,
                    rank_of_key,
                    shard.lo,
                    report.hours_snapshot,
                    report.timezones_snapshot,
                )
                days = await polls.read_keys(conn, keys, first, last)
    as_of_us = 0 if as_of is None else to_us(as_of)
    return compute.ShardInput(as_of_us, periods, names, hours, days, rank_of_key, shard.lo)


def _from_figures(ctx: JobContext, report: reports.Report) -> bool:
    """Whether the report is computed from daily figures (else from every poll)."""
    periods = report.periods
    dates = 9 if periods is None else periods.dates + 2  # the span: a day's lead-in, the edges
    return ctx.settings.daily_figures and report.as_of is not None and dates >= FIGURES_FROM_DATES


async def _part_from_figures(
    ctx: JobContext, conn: asyncpg.Connection, report: reports.Report, shard: Shard, path: Path
) -> int:
    """Compute the shard's part from daily figures and the polls at their edges, all read from
    one repeatable-read snapshot: its stores, their hours and figures (a whole month's from its
    month row where there is one) and the polls of chunks stored after the figures (first),
    then the polls the computing child asks for, a group of stores at a time
    (shared/uptime/fromdays.py). The child keeps the shard between those calls: they hold
    `figures_shard`, so that no other job's come in between; the first reads do not (the job
    may have been taken ahead, reading while another computes)."""
    as_of, periods = report.as_of, report.periods
    assert as_of is not None
    first, last = days_read(as_of, periods)
    pair = _pair(report)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        only = await reports.store_ids(conn, shard.report_id)
        names, rank_of_key = await stores.ranks(conn, shard.lo, shard.hi, only)
        keys = np.flatnonzero(rank_of_key >= 0) + shard.lo
        block = block_of(shard.lo)
        starts, ends = polls.runs(keys) if len(keys) else (keys, keys)
        hours, rows, months, newer = NO_STORES, None, [], []
        if names:
            hours = await ctx.hours.get(
                conn, keys, rank_of_key, shard.lo, report.hours_snapshot, report.timezones_snapshot
            )
            mark = await figures.mark(conn, pair, block)
            if mark is not None:  # else no figures of these snapshots yet
                base = block * STORE_BLOCK
                runs = (starts - base, ends - base)
                whole = whole_months(periods) if periods is not None else []
                months = [
                    (r.day, r.stores, r.records)
                    for r in await figures.read_months(conn, pair, block, *runs, whole)
                ]
                rows = [
                    (r.day, r.stores, r.records)
                    for r in await figures.read(
                        conn, pair, block, *runs, first - DAY, last + DAY, [m[0] for m in months]
                    )
                ]
                newer = await polls.read_keys(
                    conn, keys, first - 2 * DAY, last + 2 * DAY, after_rank=mark
                )
        shard_input = compute.FiguresInput(
            to_us(as_of),
            periods,
            names,
            hours,
            rank_of_key,
            shard.lo,
            starts,
            ends,
            rows,
            months,
            newer,
            SHARD_STORE_DAYS,
        )
        ctx.take_ahead()  # the next job reads its figures while this one is in the child
        async with holding(ctx.figures_shard):
            requests = await ctx.child.call(compute.plan_part, shard_input, ctx.burn_seconds())
            del shard_input, rows, newer  # in the child now: not held here while it computes
            for request in requests:
                days = await polls.read_runs(
                    conn, block, request.days, request.starts, request.ends
                )
                await ctx.child.call(compute.count_group, request, days)
            rows_written: int = await ctx.child.call(
                compute.write_figures_part, path, writes_in=[path.parent]
            )
    return rows_written


async def _assemble(ctx: JobContext, report_id: str) -> bool:
    """When every shard is done, merge the parts into the report's CSV and mark it Complete.

    The report row is locked meanwhile, so of two workers finishing the last shards at once
    one assembles and the other finds the report Complete. A done shard whose part is gone (a
    part of another format, written by a worker of another version) is computed again.
    """
    async with ctx.pool.acquire() as conn, conn.transaction():
        status = await reports.lock_status(conn, report_id)
        if status != "Running":
            if status == "Cancelled":  # meanwhile: the shards' results are discarded
                reportfiles.remove(ctx.settings.reports_dir, report_id, ("parts",))
                log.info("report %s is no longer Running: parts discarded", report_id)
            return False
        report = await reports.get(conn, report_id)
        assert report is not None
        if report.shards_total is None or report.shards_done < report.shards_total:
            return False
        numbers = await shards.numbers(conn, report_id)
        parts = [part_path(ctx.settings.reports_dir, report_id, n) for n in numbers]
        lost = [n for n, part in zip(numbers, parts, strict=True) if not part.exists()]
        if lost:
            await shards.redo(conn, report_id, lost)
        else:
            header = HEADER if report.periods is None else PERIOD_HEADER
            reports_dir = ctx.settings.reports_dir
            rows = await ctx.child.call(
                compute.assemble,
                reports_dir,
                report_id,
                header,
                parts,
                writes_in=[reports_dir, rowsindex.index_path(reports_dir, report_id).parent],
            )
            await reports.complete(conn, report_id, rows)
    if lost:  # published once the shards show as not done
        log.warning("report %s: parts of shards %s are gone: computing them again", report_id, lost)
        for number in lost:
            await ctx.publish(Job(report_id, number))
        return False
    reportfiles.remove(ctx.settings.reports_dir, report_id, ("parts",))
    log.info("report %s complete: %d rows", report_id, rows)
    return True
