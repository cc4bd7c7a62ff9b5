"""One report job: read the span, compute every store's row, write the CSV, mark Complete."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import asyncpg
import numpy as np

from shared import reports
from shared.csvfile import write_report
from shared.report import batch_rows
from shared.report.hours import BusinessHours
from shared.report.localtime import to_us
from shared.report.model import ReportRow, StoreMeta
from shared.report.uptime import SPAN_US
from worker.metadata import store_ids, store_metas
from worker.polls import read_span

log = logging.getLogger(__name__)
_NO_META = StoreMeta()


class UnknownReport(Exception):
    """A job for a report this worker's database has never seen."""


async def run_job(pool: asyncpg.Pool, reports_dir: Path, report_id: str) -> bool:
    """Compute report `report_id` if it is still Running; True when this call completed it.

    Errors from the computation mark the report Failed; errors reaching PostgreSQL propagate
    (the job is retried).
    """
    async with pool.acquire() as conn:
        report = await reports.start(conn, report_id)
        if report is None:
            if await reports.get(conn, report_id) is None:
                raise UnknownReport(report_id)
            log.info("report %s is already finished; nothing to do", report_id)
            return False
        try:
            rows = await _compute(conn, report)
            await asyncio.to_thread(write_report, reports_dir, report_id, rows)
        except (asyncpg.PostgresConnectionError, OSError, asyncio.CancelledError):
            raise
        except Exception as e:
            log.exception("report %s failed", report_id)
            await reports.fail(conn, report_id, f"{type(e).__name__}: {e}")
            return False
        await reports.complete(conn, report_id, len(rows))
        log.info("report %s complete: %d rows", report_id, len(rows))
        return True


async def _compute(conn: asyncpg.Connection, report: reports.Report) -> list[ReportRow]:
    as_of = report["as_of"]
    report_id = str(report["id"])
    if as_of is None:  # no polls at all when it was requested
        return []
    await reports.set_progress(conn, report_id, 0.1)
    # One snapshot for metadata and polls: an ingest meanwhile changes nothing of this report.
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        ids = await store_ids(conn)
        metas = await store_metas(conn)
        polls = await read_span(conn, as_of - timedelta(microseconds=SPAN_US), as_of)
    await reports.set_progress(conn, report_id, 0.6)
    # Rank the stores present by store_id so rows come out in byte order.
    present = np.unique(polls.store)
    names = [ids[int(key)] for key in present]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(present), dtype=np.int64)
    rank[order] = np.arange(len(present))
    store = rank[np.searchsorted(present, polls.store)]
    sorted_names = [names[i] for i in order]
    as_of_us = to_us(as_of)
    rows = batch_rows(
        as_of_us,
        sorted_names,
        [metas.get(name, _NO_META) for name in sorted_names],
        BusinessHours(as_of_us - SPAN_US, as_of_us),
        store,
        polls.ts,
        polls.active,
        polls.seq,
    )
    await reports.set_progress(conn, report_id, 0.9)
    return rows
