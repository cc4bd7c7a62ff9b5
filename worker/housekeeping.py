"""Housekeeping, done by one worker at a time over all hosts (whichever takes the turn, a
PostgreSQL advisory lock), every HOUSEKEEPING_SECONDS. A pass:

- marks reports requested more than REPORT_RETENTION_DAYS ago Expired (the row stays), and
  drops the hours and zones snapshots no report reads any more;
- plans again a Running report without progress for REPORT_STALL_SECONDS (its jobs were lost),
  and fails it at its third stall;
- drops polls more than POLLS_RETENTION_DAYS older than the latest one, but those a Running
  report still reads, and Idempotency-Keys past 24 hours;
- queues the compaction of poll days stored in more than one chunk; drops the daily figures of
  snapshots no report reads and of dates whose polls are gone;
- prunes the shard rows of reports finished more than FINISHED_SHARDS_KEPT ago (their count of
  done shards recorded on the report, /metrics' shard histogram counted as each shard ended);
- then brings the files in line with the rows: an Expired report has none, a Failed or
  Cancelled one no parts (nor a CSV an assembly left behind), a Complete one no parts. Files
  come last and are checked against the rows on every pass, so a pass killed halfway is
  finished by the next one, and never removes what a Running report needs.

Each pass logs one line of what it did and adds it to the counts /metrics shows. It runs short
statements and publishes jobs: nothing in it blocks a report.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg

from shared import reportfiles
from shared.config import Settings
from shared.db import (
    figures,
    housekeeping,
    idempotency,
    ingests,
    polls,
    reports,
    shards,
    snapshots,
)
from shared.db.connections import DATABASE_UNAVAILABLE
from shared.messages import AnyJob, Compaction, Job
from shared.uptime.periods import days_read
from worker import followups

log = logging.getLogger(__name__)
MAX_STALLS = 3
# How long a finished report keeps its shard rows: longer than an assembly or a late shard run
# of it can take, so none of them finds its rows gone.
FINISHED_SHARDS_KEPT = timedelta(hours=1)
Publish = Callable[[AnyJob], Awaitable[None]]


async def run(
    pool: asyncpg.Pool, publish: Publish, settings: Settings, stop: asyncio.Event
) -> None:
    """A pass every HOUSEKEEPING_SECONDS (the first one after that) until `stop`; a failed
    pass is logged and the next one tries again. While PostgreSQL is unreachable each pass
    logs one line (an outage is no bug: no traceback), and the first pass after it says so."""
    outage = False
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.housekeeping_seconds)
        if stop.is_set():
            return
        try:
            await one_pass(pool, publish, settings)
            await followups.run(pool, publish, settings)  # for news nobody heard
        except DATABASE_UNAVAILABLE as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            log.warning("housekeeping pass skipped: PostgreSQL is unavailable (%s)", reason)
            outage = True
            continue
        except Exception:
            log.exception("housekeeping pass failed")
            continue
        if outage:
            log.info("housekeeping: PostgreSQL is back")
            outage = False


async def one_pass(
    pool: asyncpg.Pool, publish: Publish, settings: Settings
) -> dict[str, int] | None:
    """One pass if it is this worker's turn: what it did (None: another worker's turn)."""
    async with pool.acquire() as conn, housekeeping.turn(conn) as mine:
        if not mine:
            return None
        now = datetime.now(UTC)
        done = {
            "reports_expired": len(
                await reports.expire(conn, now - timedelta(days=settings.report_retention_days))
            )
        }
        done["snapshot_rows_dropped"] = await snapshots.drop_unpinned(conn)
        done |= await _stalls(conn, publish, now, settings.report_stall_seconds)
        done["poll_days_dropped"], cutoff = await _old_polls(conn, settings.polls_retention_days)
        # Figures of dates within reach of dropped polls go too (the figures jobs compute those
        # within the polls' days again).
        keep_from = cutoff + timedelta(days=2 if done["poll_days_dropped"] else -1)
        done["figure_rows_dropped"] = await figures.drop_unused(conn, keep_from)
        done["idempotency_keys_forgotten"] = await idempotency.forget_old(conn)
        fragmented = await polls.fragmented(conn)
        for block, day in fragmented:
            await publish(Compaction(block, day))
        done["compactions_queued"] = len(fragmented)
        done["shard_rows_pruned"] = await shards.prune(conn, now - FINISHED_SHARDS_KEPT)
        done["files_removed"] = await _files(conn, settings)
        await housekeeping.count(conn, done)
    log.info("housekeeping: %s", ", ".join(f"{n} {what}" for what, n in done.items()))
    return done


async def _stalls(
    conn: asyncpg.Connection, publish: Publish, now: datetime, seconds: float
) -> dict[str, int]:
    done = {"stalls_replanned": 0, "stalls_failed": 0}
    for report in await reports.running(conn):
        if report.moved_at is None or now - report.moved_at < timedelta(seconds=seconds):
            continue
        report_id = report.id
        stalls = await reports.stalled(conn, report_id)
        if stalls >= MAX_STALLS:
            error = f"stalled {stalls} times (no progress for {seconds:g} s): its jobs were lost"
            await reports.fail(conn, report_id, error)
            done["stalls_failed"] += 1
        elif stalls:
            await publish(Job(report_id))  # planning again queues the shards not done
            done["stalls_replanned"] += 1
    return done


async def _old_polls(conn: asyncpg.Connection, days: float) -> tuple[int, date]:
    """Drop polls older than `days` before the latest poll (the data's own clock), but those
    of the spans of Running reports; the days dropped, and the first UTC day kept."""
    latest = await ingests.latest_poll(conn)
    if latest is None:
        return 0, date.min + timedelta(days=3)
    cutoff = (latest - timedelta(days=days)).date()
    for report in await reports.running(conn):
        if report.as_of is not None:
            cutoff = min(cutoff, days_read(report.as_of, report.periods)[0])
    return await polls.drop_before(conn, cutoff), cutoff


async def _files(conn: asyncpg.Connection, settings: Settings) -> int:
    """Remove the files a report's status says it has no more use for; how many."""
    found = await asyncio.to_thread(reportfiles.with_files, settings.reports_dir)
    statuses = await reports.statuses(conn, list(found)) if found else {}
    removed = 0
    for report_id, status in statuses.items():
        kinds = _UNNEEDED.get(status, ())
        if set(kinds) & found[report_id]:
            removed += await asyncio.to_thread(
                reportfiles.remove, settings.reports_dir, report_id, kinds
            )
    return removed


# What each status has no use for; a Running report's files are never touched.
_UNNEEDED: dict[str, tuple[str, ...]] = {
    "Expired": reportfiles.KINDS,
    "Failed": reportfiles.KINDS,
    "Cancelled": reportfiles.KINDS,
    "Complete": ("parts",),
}
