"""Bounded retries of a failed job: its next attempt waits in the retry queue (backoff), and
after the last one the report is marked Failed and the job dead-lettered."""

import logging

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.backoff import delay
from shared.db import reports
from shared.messages import MAX_ATTEMPTS, AnyJob, Compaction, Job, publish_retry
from worker import settling
from worker.outage import DatabaseWatch

log = logging.getLogger(__name__)


class Retries:
    def __init__(self, channel: AbstractChannel, pool: asyncpg.Pool, db: DatabaseWatch) -> None:
        self._channel = channel  # where retries are published
        self._pool = pool
        self._db = db

    async def failed(
        self, message: AbstractIncomingMessage, job: AnyJob, attempt: int, error: str
    ) -> str:
        """A failed attempt: retry later, or after the last one give the job up; the outcome."""
        log.warning("%s: attempt %d of %d failed: %s", name(job), attempt, MAX_ATTEMPTS, error)
        if attempt < MAX_ATTEMPTS:
            try:
                await publish_retry(self._channel, job, attempt + 1, delay(attempt))
            except Exception as e:
                log.warning("could not queue the retry (%r); the job will come back", e)
                return "returned"
            await settling.ack(message)
            return "retried"
        if isinstance(job, Job):
            await self._record_failure(job, f"gave up after {attempt} attempts: {error}")
        await settling.dead_letter(message)
        return "failed"

    async def _record_failure(self, job: Job, error: str) -> None:
        """Mark the report Failed, waiting for PostgreSQL if it is away; a failure to record
        is logged, never swallowed."""
        while True:
            try:
                async with self._pool.acquire() as conn:
                    await reports.fail(conn, job.report_id, error)
                return
            except Exception:
                if await self._db.down() and await self._db.back():
                    continue
                log.exception("could not mark report %s Failed", job.report_id)
                return


def name(job: AnyJob) -> str:
    """What the log says a job is."""
    if isinstance(job, Job):
        return f"report {job.report_id}"
    if isinstance(job, Compaction):
        return f"compaction of block {job.block} on {job.day}"
    return job.message_id()
