"""What happens to one job message, around the job itself: a time limit, waiting out an outage
of PostgreSQL or RabbitMQ (not a failed attempt), bounded retries through the retry queue, and
the ack only once the job's result is durable.

Outcomes, by how the message is settled:
- done: the job ran; ack.
- retried: the job failed; a copy goes to the retry queue (attempt + 1), then ack.
- failed: the last attempt failed; the report is marked Failed, then `basic.reject` (the broker
  dead-letters the job).
- dead_lettered: not a job of this deployment (malformed, unknown report); reject.
- returned: not settled here (the broker connection dropped, or the worker is stopping): the
  broker delivers the job again; `basic.nack` where the worker hands it back itself.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.backoff import delay, keep_trying
from shared.db import reports
from shared.logs import REPORT_ID
from shared.messages import (
    DELIVERY_LIMIT,
    MAX_ATTEMPTS,
    AnyJob,
    Job,
    attempt_of,
    parse,
    publish_retry,
    returns_of,
)
from worker import metrics
from worker.job import JobContext, UnknownReport, run_job

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 5.0  # seconds a check that PostgreSQL answers may take


class DatabaseDown(ConnectionError):
    """PostgreSQL does not answer a fresh connection."""


@dataclass
class Delivery:
    """Handles the messages of one worker: `handle` runs one and settles it."""

    ctx: JobContext
    channel: AbstractChannel  # where retries are published
    stop: asyncio.Event  # set when the worker is asked to stop

    async def handle(self, message: AbstractIncomingMessage) -> str:
        """Run the job of `message` and settle the message; the outcome (see the module),
        also counted in the worker's metrics."""
        try:
            job = parse(message.body)
        except (ValueError, KeyError, TypeError):
            log.error("dead-lettering a malformed job message %r", message.body[:200])
            await _settle(message.reject(requeue=False))
            metrics.JOBS.labels("unknown", "dead_lettered").inc()
            return "dead_lettered"
        if isinstance(job, Job):
            REPORT_ID.set(job.report_id)  # every log line about this job names the report
        timer = metrics.SHARD_SECONDS.time() if job.kind == "shard" else contextlib.nullcontext()
        with timer:
            outcome = await self._handle(message, job)
        metrics.JOBS.labels(job.kind, outcome).inc()
        return outcome

    async def _handle(self, message: AbstractIncomingMessage, job: AnyJob) -> str:
        attempt, returns = attempt_of(message), returns_of(message)
        if returns >= DELIVERY_LIMIT - 1:
            # The broker's limit would dead-letter it silently on the next return.
            error = f"returned {returns} times without an outcome (did a worker die on it?)"
            return await self._failed(message, job, attempt, error)
        while True:
            limit = asyncio.timeout(self.ctx.settings.job_timeout)
            try:
                async with limit:
                    await run_job(self.ctx, job)
            except UnknownReport as e:
                # Another environment sharing this vhost? Keep the job in the dead-letter queue.
                log.error("report %s is unknown to this database; dead-lettering", e)
                await _settle(message.reject(requeue=False))
                return "dead_lettered"
            except asyncio.CancelledError:  # stopping, and the grace period is over
                await asyncio.shield(_settle(message.nack(requeue=True)))
                raise
            except Exception as e:
                if message.channel.is_closed:
                    log.warning("lost the broker during the job (%r); it will come back", e)
                    return "returned"
                if await self._database_down():
                    log.warning("lost PostgreSQL during the job (%r); waiting for it", e)
                    if await self._database_back():
                        continue  # the job again, from the start: not a failed attempt
                    await _settle(message.nack(requeue=True))
                    return "returned"
                if isinstance(e, TimeoutError) and limit.expired():
                    error = (
                        f"took longer than JOB_TIMEOUT_SECONDS={self.ctx.settings.job_timeout:g}"
                    )
                else:
                    error = f"{type(e).__name__}: {e}"
                return await self._failed(message, job, attempt, error)
            await _settle(message.ack())
            return "done"

    async def _failed(
        self, message: AbstractIncomingMessage, job: AnyJob, attempt: int, error: str
    ) -> str:
        """A failed attempt: retry later, or after the last one give the job up."""
        log.warning("%s: attempt %d of %d failed: %s", _name(job), attempt, MAX_ATTEMPTS, error)
        if attempt < MAX_ATTEMPTS:
            try:
                await publish_retry(self.channel, job, attempt + 1, delay(attempt))
            except Exception as e:
                log.warning("could not queue the retry (%r); the job will come back", e)
                return "returned"
            await _settle(message.ack())
            return "retried"
        if isinstance(job, Job):
            await self._record_failure(job, f"gave up after {attempt} attempts: {error}")
        await _settle(message.reject(requeue=False))
        return "failed"

    async def _record_failure(self, job: Job, error: str) -> None:
        """Mark the report Failed, waiting for PostgreSQL if it is away; a failure to record
        is logged, never swallowed."""
        while True:
            try:
                async with self.ctx.pool.acquire() as conn:
                    await reports.fail(conn, job.report_id, error)
                return
            except Exception:
                if await self._database_down() and await self._database_back():
                    continue
                log.exception("could not mark report %s Failed", job.report_id)
                return

    async def _database_down(self) -> bool:
        try:
            await self._probe()
        except DatabaseDown:
            return True
        return False

    async def _probe(self) -> bool:
        """True when a fresh connection to PostgreSQL answers; DatabaseDown otherwise."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                conn = await asyncpg.connect(self.ctx.settings.database_url)
                try:
                    await conn.fetchval("SELECT 1")
                finally:
                    await conn.close()
        except Exception as e:
            raise DatabaseDown(f"{type(e).__name__}: {e}") from e
        return True

    async def _database_back(self) -> bool:
        """Wait until PostgreSQL answers again (True), or the worker is stopped (False)."""
        if not await keep_trying("PostgreSQL", self._probe, self.stop):
            return False  # stopped
        await self.ctx.pool.expire_connections()  # those of the pool died with the outage
        log.info("PostgreSQL is back")
        return True


def _name(job: AnyJob) -> str:
    """What the log says a job is."""
    if isinstance(job, Job):
        return f"report {job.report_id}"
    return f"compaction of block {job.block} on {job.day}"


async def _settle(settling: Awaitable[None]) -> None:
    """Ack, nack or reject; when the channel is gone the broker delivers the job again."""
    try:
        await settling
    except Exception as e:
        log.warning("could not settle the message (%r); the broker will deliver it again", e)
