"""The worker process: consumes report jobs from RabbitMQ until SIGTERM or SIGINT."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.backoff import keep_trying
from shared.config import Settings
from shared.db import reports
from shared.db.connections import create_pool
from shared.logs import REPORT_ID
from shared.messages import DELIVERY_LIMIT, Job, declare_queues, publish_job
from worker import metrics
from worker.job import JobContext, UnknownReport, run_job

log = logging.getLogger(__name__)
PREFETCH = 1  # one job at a time per worker: the others stay queued for other workers
SHUTDOWN_GRACE = 60.0  # seconds SIGTERM waits for the job in hand before requeueing it
_MAX_BACKOFF = 10.0  # seconds before a failed job goes back to the queue


class Worker:
    """Owns the loop: consume, run each job, ack only after its result is durable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.done = self.failed = self.retried = 0
        self._stop = asyncio.Event()
        self._current: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Stop taking jobs; the one in hand finishes first (or is requeued after a grace)."""
        self._stop.set()

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Run until stop() (or a signal), then close everything cleanly."""
        async with contextlib.AsyncExitStack() as stack:
            pool = await keep_trying(
                "PostgreSQL",
                lambda: create_pool(self.settings.database_url, min_size=1, max_size=3),
            )
            stack.push_async_callback(pool.close)
            # A robust connection reconnects by itself after a broker restart.
            connection = await keep_trying(
                "RabbitMQ", lambda: aio_pika.connect_robust(self.settings.amqp_url)
            )
            stack.push_async_callback(connection.close)
            channel = await connection.channel()  # publisher confirms: on by default
            await channel.set_qos(prefetch_count=PREFETCH)
            queue = await declare_queues(channel)
            ctx = JobContext(pool, self.settings, _publisher(channel))

            async def on_message(message: AbstractIncomingMessage) -> None:
                self._current = asyncio.current_task()
                try:
                    await self._handle(ctx, message)
                finally:
                    self._current = None

            tag = await queue.consume(on_message)
            log.info("worker consuming %s", queue.name)
            if ready is not None:
                ready.set()
            await self._stop.wait()
            await queue.cancel(tag)
            await self._finish_current()
        log.info(
            "worker stopped: %d done, %d failed, %d retried", self.done, self.failed, self.retried
        )

    async def _finish_current(self) -> None:
        current = self._current
        if current is None:
            return
        done, _ = await asyncio.wait([current], timeout=SHUTDOWN_GRACE)
        if not done:
            log.warning("job still running after %.0f s: requeueing it", SHUTDOWN_GRACE)
            current.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await current

    async def _handle(self, ctx: JobContext, message: AbstractIncomingMessage) -> None:
        try:
            job = Job.from_body(message.body)
        except (ValueError, KeyError, TypeError):
            log.error("dead-lettering a malformed job message %r", message.body[:200])
            await message.reject(requeue=False)
            return
        REPORT_ID.set(job.report_id)  # every log line about this job names the report
        kind = "plan" if job.shard is None else "shard"
        try:
            with (
                metrics.SHARD_SECONDS.time() if job.shard is not None else contextlib.nullcontext()
            ):
                completed = await run_job(ctx, job)
        except UnknownReport:
            # Another environment sharing this vhost? Keep the job in the dead-letter queue.
            log.error("report %s is unknown to this database; dead-lettering", job.report_id)
            metrics.JOBS.labels(kind, "dead_lettered").inc()
            await message.reject(requeue=False)
            return
        except asyncio.CancelledError:
            await asyncio.shield(message.nack(requeue=True))
            raise
        except Exception as e:
            outcome = await self._retry_or_give_up(ctx, message, job, e)
            metrics.JOBS.labels(kind, outcome).inc()
            return
        self.done += completed
        metrics.JOBS.labels(kind, "done").inc()
        await message.ack()

    async def _retry_or_give_up(
        self, ctx: JobContext, message: AbstractIncomingMessage, job: Job, error: Exception
    ) -> str:
        """Requeue after a backoff; on the last allowed delivery fail the report and let the
        broker dead-letter the job, so nothing loops forever."""
        deliveries = int(str((message.headers or {}).get("x-delivery-count") or 0)) + 1
        log.warning("report %s: delivery %d failed: %r", job.report_id, deliveries, error)
        if deliveries >= DELIVERY_LIMIT:
            self.failed += 1
            with contextlib.suppress(Exception):
                async with ctx.pool.acquire() as conn:
                    await reports.fail(
                        conn, job.report_id, f"gave up after {deliveries} deliveries: {error!r}"
                    )
            await message.reject(requeue=False)
            return "failed"
        self.retried += 1
        await asyncio.sleep(min(0.5 * 2 ** (deliveries - 1), _MAX_BACKOFF))
        await message.nack(requeue=True)
        return "retried"


def _publisher(channel: AbstractChannel) -> Callable[[Job], Awaitable[None]]:
    async def publish(job: Job) -> None:
        await publish_job(channel, job)

    return publish


async def serve(settings: Settings) -> None:
    """Run a worker with SIGTERM/SIGINT handlers installed."""
    worker = Worker(settings)
    metrics.serve(settings.worker_metrics_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    await worker.run()
