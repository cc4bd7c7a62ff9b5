"""One report job: stream the span's polls, compute every store's row, write the CSV.

Polls are spilled to per-bucket files as they stream in (storage order is not store order),
then each bucket of stores is computed with its own metadata and appended to the CSV, so
memory holds one bucket, not the data set. Everything is read in one repeatable-read snapshot.
"""

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg

from shared import reports
from shared.csvfile import ReportFile
from shared.report import batch_rows
from shared.report.localtime import to_us
from shared.report.uptime import SPAN_US
from worker.metadata import store_ranks, weekly_rows
from worker.polls import stream_span
from worker.spill import BucketSpill

log = logging.getLogger(__name__)
BUCKET_STORES = 5_000  # stores computed at once: bounds memory, big enough for NumPy to pay
_READ_SHARE = 0.5  # progress: streaming the polls, then the buckets


class UnknownReport(Exception):
    """A job for a report this worker's database has never seen."""


async def run_job(pool: asyncpg.Pool, reports_dir: Path, report_id: str) -> bool:
    """Compute report `report_id` if it is still Running; True when this call completed it.

    Errors from the computation mark the report Failed; errors reaching PostgreSQL or the
    file system propagate (the job is retried).
    """
    async with pool.acquire() as conn:
        report = await reports.start(conn, report_id)
        if report is None:
            if await reports.get(conn, report_id) is None:
                raise UnknownReport(report_id)
            log.info("report %s is already finished; nothing to do", report_id)
            return False

        async def progress(value: float) -> None:
            # A second connection: this one is inside a read-only snapshot.
            async with pool.acquire() as other:
                await reports.set_progress(other, report_id, value)

        try:
            with ReportFile(reports_dir, report_id) as csv:
                await _compute(conn, report, csv, progress)
                await asyncio.to_thread(csv.commit)
        except (asyncpg.PostgresConnectionError, OSError, asyncio.CancelledError):
            raise
        except Exception as e:
            log.exception("report %s failed", report_id)
            await reports.fail(conn, report_id, f"{type(e).__name__}: {e}")
            return False
        await reports.complete(conn, report_id, csv.rows)
        log.info("report %s complete: %d rows", report_id, csv.rows)
        return True


async def _compute(
    conn: asyncpg.Connection,
    report: reports.Report,
    csv: ReportFile,
    progress: Callable[[float], Awaitable[None]],
) -> None:
    as_of, report_id = report["as_of"], str(report["id"])
    if as_of is None:  # no polls at all when it was requested: the header alone
        return
    as_of_us = to_us(as_of)
    with tempfile.TemporaryDirectory(prefix="storemon-") as tmp:
        # One snapshot for metadata and polls: an ingest meanwhile changes nothing here.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            names, rank_of_key = await store_ranks(conn)
            spill = BucketSpill(Path(tmp), rank_of_key, BUCKET_STORES)
            await stream_span(conn, as_of - timedelta(microseconds=SPAN_US), as_of, spill.add)
            log.info("report %s: %d polls streamed", report_id, spill.rows)
            for bucket in range(spill.buckets):
                await progress(_READ_SHARE * (1 + bucket / spill.buckets))
                bucket_names = names[bucket * BUCKET_STORES : (bucket + 1) * BUCKET_STORES]
                if not bucket_names:
                    continue
                weekly = await weekly_rows(conn, bucket_names)
                polls = spill.load(bucket)
                csv.write(
                    batch_rows(
                        as_of_us,
                        bucket_names,
                        weekly,
                        polls.store,
                        polls.ts,
                        polls.active,
                        polls.seq,
                    )
                )
