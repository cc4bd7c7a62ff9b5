"""The worker process: consumes jobs from RabbitMQ until SIGTERM or SIGINT."""

import asyncio
import contextlib
import contextvars
import logging
import signal
from collections.abc import Awaitable, Callable

import asyncpg
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from shared.backoff import keep_trying
from shared.config import Settings
from shared.csvfile import require_reports_dir
from shared.db.connections import create_pool
from shared.messages import AnyJob, Session, declare_webhook_queues, open_session, publish_job
from worker import housekeeping, metrics, settling
from worker.child import Child
from worker.deliveries import AT_ONCE, TIMEOUT, Sender
from worker.delivery import Delivery
from worker.job import JobContext
from worker.listener import Listener

log = logging.getLogger(__name__)
PREFETCH = 1  # one job at a time per worker: the others stay queued for other workers...
# ...but while a shard computes, the worker takes one job more if one waits (no worker was free
# for it) and reads its polls meanwhile: at most this many jobs in hand.
IN_HAND = 2
SHUTDOWN_GRACE = 60.0  # seconds SIGTERM waits for the jobs in hand before handing them back
CLOSE_TIMEOUT = 2.0  # seconds a service that no longer answers may hold each step of closing


class Worker:
    """Owns the loop: consume, run each job, ack only after its result is durable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outcomes: dict[str, int] = {}
        self._stop = asyncio.Event()
        self._in_hand: set[asyncio.Task[None]] = set()
        self.child = Child()  # computes the jobs, beside this loop

    def stop(self) -> None:
        """Stop taking jobs; those in hand finish first (or are handed back after a grace)."""
        if not self._stop.is_set():
            busy = f", the jobs in hand within {SHUTDOWN_GRACE:.0f} s" if self._in_hand else ""
            log.info("asked to stop: stopping%s", busy)
        self._stop.set()

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Run until stop() (or a signal), then close everything cleanly. Waiting for
        PostgreSQL or RabbitMQ to come up ends at once on stop()."""
        require_reports_dir(self.settings.reports_dir)
        async with contextlib.AsyncExitStack() as stack:
            self.child.start()  # it imports NumPy while the worker connects
            stack.callback(self.child.close)
            pool = await keep_trying(
                "PostgreSQL",
                lambda: create_pool(self.settings.database_url, min_size=1, max_size=6),
                self._stop,
                self.settings.database_url,
            )
            if pool is None:
                return
            stack.push_async_callback(_bounded, "close the PostgreSQL pool", pool.close)
            consumer = _Consumer(self, pool, self._stop)
            session = await keep_trying(
                "RabbitMQ",
                lambda: open_session(self.settings.amqp_url, PREFETCH, consumer.start),
                self._stop,
                self.settings.amqp_url,
            )
            if session is None:
                return
            stack.push_async_callback(
                _bounded, "close the RabbitMQ connection", session.connection.close
            )
            upkeep = asyncio.create_task(
                housekeeping.run(pool, consumer.publish, self.settings, self._stop)
            )
            stack.push_async_callback(_bounded, "stop housekeeping", lambda: _cancel(upkeep))
            listener = Listener(self.settings, pool, consumer.publish, self._stop)
            listening = asyncio.create_task(listener.run())
            stack.push_async_callback(_bounded, "stop listening", lambda: _cancel(listening))
            log.info("worker consuming %s", session.jobs.name)
            if ready is not None:
                ready.set()
            await self._stop.wait()
            # The broker may be gone (nothing to cancel) or hung (no answer to wait for).
            await _bounded("cancel the consumer", lambda: session.jobs.cancel(consumer.tag))
            await consumer.stop_deliveries()
            await self._finish_in_hand()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))
        log.info("worker stopped: %s", summary or "no jobs")

    async def run_one(self, delivery: Delivery, message: AbstractIncomingMessage) -> None:
        """Handle one message, a job in hand until it is settled."""
        task = asyncio.current_task()
        assert task is not None
        self._in_hand.add(task)
        try:
            await self._settle(delivery, message)
        finally:
            self._in_hand.discard(task)

    def take_ahead(self, delivery: Delivery, queue: AbstractQueue) -> None:
        """Take the next job off `queue`, if one waits and there is room in hand, and run it
        beside those in hand. A message still queued is one no worker was free for; the child
        computes one job at a time, so this one mostly reads its polls meanwhile."""
        if len(self._in_hand) >= IN_HAND or self._stop.is_set():
            return
        # A context of its own: the job in hand's (its report id on every log line) is not its.
        task = asyncio.create_task(self._ahead(delivery, queue), context=contextvars.Context())
        self._in_hand.add(task)
        task.add_done_callback(self._in_hand.discard)

    async def _ahead(self, delivery: Delivery, queue: AbstractQueue) -> None:
        try:
            message = await queue.get(no_ack=False, fail=False)
        except Exception as e:  # only a job not taken ahead: the broker's trouble is the consumer's
            log.warning("could not take a job ahead (%s)", type(e).__name__)
            return
        if message is None:
            return
        if self._stop.is_set():
            await settling.hand_back(message)
            return
        await self._settle(delivery, message)
        # Its place is not the consumer's to fill: take the next one while the others compute.
        task = asyncio.current_task()
        assert task is not None
        self._in_hand.discard(task)
        if self._in_hand:
            self.take_ahead(delivery, queue)

    async def _settle(self, delivery: Delivery, message: AbstractIncomingMessage) -> None:
        outcome = await delivery.handle(message)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    async def _finish_in_hand(self) -> None:
        if not self._in_hand:
            return
        in_hand = list(self._in_hand)
        _, running = await asyncio.wait(in_hand, timeout=SHUTDOWN_GRACE)
        if running:
            log.warning(
                "%d job(s) still running after %.0f s: handing them back",
                len(running),
                SHUTDOWN_GRACE,
            )
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


class _Consumer:
    """The worker's side of one broker session: its publisher and its consumer tag."""

    def __init__(self, worker: Worker, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        self._worker = worker
        self._pool = pool
        self._stop = stop
        self._session: Session | None = None
        self._sender: Sender | None = None
        self._deliveries: tuple[AbstractQueue, str] | None = None
        self.tag = ""

    async def publish(self, job: AnyJob) -> None:
        assert self._session is not None  # start() ran before any job or upkeep
        await publish_job(self._session.channel, job)

    async def start(self, session: Session) -> None:
        """Consume the job queue of `session` (the last step of opening it)."""
        self._session = session
        delivery: Delivery | None = None

        def take_ahead() -> None:
            assert delivery is not None
            self._worker.take_ahead(delivery, session.jobs)

        context = JobContext(
            self._pool,
            self._worker.settings,
            self.publish,
            child=self._worker.child,
            take_ahead=take_ahead,
        )
        delivery = Delivery(context, session.channel, self._stop)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await self._worker.run_one(delivery, message)

        self.tag = await session.jobs.consume(on_message)
        # Webhook deliveries on a channel of their own: many at once, none holding a job.
        channel = await session.connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=AT_ONCE)
        queue = await declare_webhook_queues(channel)
        if self._sender is None:
            self._sender = Sender(self._pool, self._worker.settings, channel)
        self._deliveries = (queue, await queue.consume(self._sender.handle))

    async def stop_deliveries(self) -> None:
        """Take no more deliveries; let those under way finish (their time is bounded)."""
        if self._deliveries is not None:
            queue, tag = self._deliveries
            await _bounded("cancel the webhook consumer", lambda: queue.cancel(tag))
        if self._sender is not None:
            await self._sender.close(TIMEOUT + 1)


async def _bounded(what: str, step: Callable[[], Awaitable[object]]) -> None:
    """One step of shutting down, given up (with a log line) after CLOSE_TIMEOUT or an error:
    a service that stopped answering must not keep the process from exiting."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await step()
    except Exception as e:
        log.warning("could not %s (%s); going on", what, type(e).__name__)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def serve(settings: Settings) -> None:
    """Run a worker with SIGTERM/SIGINT handlers installed."""
    worker = Worker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    metrics.serve(settings.worker_metrics_port)
    await worker.run()
