"""The worker process: consumes report jobs from RabbitMQ until SIGTERM or SIGINT."""

import asyncio
import contextlib
import logging
import signal

import aio_pika
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from shared import reports
from shared.config import Settings
from shared.db import create_pool
from shared.messages import DELIVERY_LIMIT, Job, declare_queues
from worker.job import UnknownReport, run_job

log = logging.getLogger(__name__)
PREFETCH = 1  # one report at a time per worker: the others stay queued for other workers


class Worker:
    """Owns the loop: consume, run each job, ack only after its result is durable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.done = self.failed = self.retried = 0
        self._stop = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def stop(self) -> None:
        """Stop taking jobs; the one in hand finishes first."""
        self._stop.set()

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Run until stop() (or a signal), then close everything cleanly."""
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_pool(self.settings.database_url, min_size=1, max_size=2)
            stack.push_async_callback(pool.close)
            connection = await aio_pika.connect_robust(self.settings.amqp_url)
            stack.push_async_callback(connection.close)
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=PREFETCH)
            queue = await declare_queues(channel)

            async def on_message(message: AbstractIncomingMessage) -> None:
                self._idle.clear()
                try:
                    await self._handle(pool, message)
                finally:
                    self._idle.set()

            tag = await queue.consume(on_message)
            log.info("worker consuming %s", queue.name)
            if ready is not None:
                ready.set()
            await self._stop.wait()
            await queue.cancel(tag)
            await self._idle.wait()
        log.info(
            "worker stopped: %d done, %d failed, %d retried", self.done, self.failed, self.retried
        )

    async def _handle(self, pool: asyncpg.Pool, message: AbstractIncomingMessage) -> None:
        try:
            job = Job.from_body(message.body)
        except (ValueError, KeyError, TypeError):
            log.error("dropping malformed job message %r", message.body[:200])
            await message.reject(requeue=False)  # dead-lettered for inspection
            return
        try:
            completed = await run_job(pool, self.settings.reports_dir, job.report_id)
        except UnknownReport:
            # Another environment sharing this vhost? Keep the job in the dead-letter queue.
            log.error(
                "report %s is unknown to this database; dead-lettering its job", job.report_id
            )
            await message.reject(requeue=False)
            return
        except Exception:
            deliveries = int(str((message.headers or {}).get("x-delivery-count") or 0)) + 1
            log.exception("report %s: delivery %d failed", job.report_id, deliveries)
            if deliveries >= DELIVERY_LIMIT:
                await _fail_quietly(pool, job.report_id, "gave up after repeated failures")
                self.failed += 1
                await message.reject(requeue=False)
            else:
                self.retried += 1
                await message.nack(requeue=True)
            return
        self.done += completed
        await message.ack()


async def _fail_quietly(pool: asyncpg.Pool, report_id: str, error: str) -> None:
    with contextlib.suppress(Exception):
        async with pool.acquire() as conn:
            await reports.fail(conn, report_id, error)


async def serve(settings: Settings) -> None:
    """Run a worker with SIGTERM/SIGINT handlers installed."""
    worker = Worker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    await worker.run()
