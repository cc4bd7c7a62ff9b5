"""What happens to one job message, around the job itself, as small pieces the way dramatiq's
middleware are: the time limit (worker/timelimit.py), waiting out an outage of PostgreSQL or
RabbitMQ, not a failed attempt (worker/outage.py), bounded retries through the retry queue
(worker/retries.py), and settling the message only once the job's result is durable
(worker/settling.py). `Delivery` puts them together.

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
from dataclasses import dataclass, field

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.logs import REPORT_ID
from shared.messages import DELIVERY_LIMIT, AnyJob, Job, attempt_of, parse, returns_of
from worker import metrics, settling
from worker.job import JobContext, UnknownReport, run_job
from worker.outage import DatabaseWatch
from worker.retries import Retries
from worker.timelimit import TimeLimitExceeded, time_limited

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """Handles the messages of one worker: `handle` runs one and settles it."""

    ctx: JobContext
    channel: AbstractChannel  # where retries are published
    stop: asyncio.Event  # set when the worker is asked to stop
    db: DatabaseWatch = field(init=False)
    retries: Retries = field(init=False)

    def __post_init__(self) -> None:
        self.db = DatabaseWatch(self.ctx.settings.database_url, self.ctx.pool, self.stop)
        self.retries = Retries(self.channel, self.ctx.pool, self.db)

    async def handle(self, message: AbstractIncomingMessage) -> str:
        """Run the job of `message` and settle the message; the outcome (see the module),
        also counted in the worker's metrics."""
        try:
            job = parse(message.body)
        except (ValueError, KeyError, TypeError):
            log.error("dead-lettering a malformed job message %r", message.body[:200])
            await settling.dead_letter(message)
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
            return await self.retries.failed(message, job, attempt, error)
        while True:
            try:
                await time_limited(self.ctx.settings.job_timeout, run_job(self.ctx, job))
            except UnknownReport as e:
                # Another environment sharing this vhost? Keep the job in the dead-letter queue.
                log.error("report %s is unknown to this database; dead-lettering", e)
                await settling.dead_letter(message)
                return "dead_lettered"
            except asyncio.CancelledError:  # stopping, and the grace period is over
                await asyncio.shield(settling.hand_back(message))
                raise
            except Exception as e:
                if message.channel.is_closed:
                    log.warning("lost the broker during the job (%r); it will come back", e)
                    return "returned"
                if await self.db.down():
                    log.warning("lost PostgreSQL during the job (%r); waiting for it", e)
                    if await self.db.back():
                        continue  # the job again, from the start: not a failed attempt
                    await settling.hand_back(message)
                    return "returned"
                # The time limit's message says it all; any other error is named.
                named = isinstance(e, TimeLimitExceeded)
                error = str(e) if named else f"{type(e).__name__}: {e}"
                return await self.retries.failed(message, job, attempt, error)
            await settling.ack(message)
            return "done"
