"""The RabbitMQ side: fixed queue names, their declaration and the job message.

- `storemon.jobs` (quorum): the work queue. Its delivery limit bounds how often a job may be
  returned without an outcome (a worker killed mid-job); past it the broker dead-letters the
  job to `storemon.jobs.dead`.
- `storemon.jobs.retry` (classic, durable): a job that failed waits here, for the expiration
  its copy carries, then is dead-lettered back to `storemon.jobs`. Retrying this way holds no
  worker's prefetch slot while it waits; the copy counts its attempts in a header, which every
  broker version keeps (unlike delivery counts: since RabbitMQ 4.3 `basic.nack` no longer
  counts, `basic.reject` does).
- `storemon.jobs.dead` (quorum): jobs given up on, for an operator to inspect.
- `storemon.webhooks` (quorum): webhook deliveries, consumed apart from the jobs (many at once
  per worker), so that a slow endpoint holds no report's job.
- `storemon.webhooks.wait.<N>s` (classic, one per N in 1, 10, 100, 1000, 10000): a delivery
  waiting for its next attempt. Each has one fixed TTL and dead-letters back to
  `storemon.webhooks`; a wait of any length hops through them, largest first (the header
  `storemon-due` says until when). Waits of hours cannot share `storemon.jobs.retry`: a
  per-message expiration is only acted on at the head of a queue, so one long wait there would
  hold back every shorter one behind it; with one TTL per queue the head is always the first due.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import aio_pika
import orjson
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

JOB_QUEUE = "storemon.jobs"
RETRY_QUEUE = "storemon.jobs.retry"
DEAD_LETTER_QUEUE = "storemon.jobs.dead"
DELIVERY_LIMIT = 5  # deliveries of one message before the broker dead-letters it
MAX_ATTEMPTS = 5  # failed attempts of a job before it is given up
CONNECT_TIMEOUT = 5.0  # seconds for the broker to answer a new connection
ATTEMPT_HEADER = "storemon-attempt"  # 1 for a job's first run, then 2, 3, … on its retries
WEBHOOK_QUEUE = "storemon.webhooks"
WAIT_SECONDS = (10000, 1000, 100, 10, 1)  # the wait queues' TTLs, largest first
DUE_HEADER = "storemon-due"  # when a waiting delivery is due, in ms since the Unix epoch


def wait_queue(seconds: int) -> str:
    return f"{WEBHOOK_QUEUE}.wait.{seconds}s"


@dataclass(frozen=True)
class Job:
    """Plan report `report_id` (shard None), or compute one of its shards; everything else
    is in the database."""

    report_id: str
    shard: int | None = None

    @property
    def kind(self) -> str:
        return "plan" if self.shard is None else "shard"

    def body(self) -> dict[str, object]:
        return {"report_id": self.report_id, "shard": self.shard}

    def message_id(self) -> str:
        return f"{self.report_id}/{self.kind if self.shard is None else self.shard}"


@dataclass(frozen=True)
class Compaction:
    """Merge the poll chunks of one block of stores on one UTC day."""

    block: int
    day: date
    kind = "compact"

    def body(self) -> dict[str, object]:
        return {"compact": {"block": self.block, "day": self.day.isoformat()}}

    def message_id(self) -> str:
        return f"compact/{self.block}/{self.day.isoformat()}"


@dataclass(frozen=True)
class _BlockCatchUp:
    """Bring something of one block of stores up to date with its polls: a catch-up, which a
    duplicate finds done."""

    block: int
    kind: ClassVar[str]

    def body(self) -> dict[str, object]:
        return {self.kind: {"block": self.block}}

    def message_id(self) -> str:
        return f"{self.kind}/{self.block}"


@dataclass(frozen=True)
class Figures(_BlockCatchUp):
    """The block's daily figures (and those of the current snapshots)."""

    kind = "figures"


@dataclass(frozen=True)
class Present(_BlockCatchUp):
    """The block's present state, up to the latest poll (and the events its changes make)."""

    kind = "present"


@dataclass(frozen=True)
class Deliver:
    """Attempt one webhook delivery (its state is in the database: a duplicate finds it done
    or under way). Published to the webhook queue, not the job queue."""

    delivery: int
    kind = "deliver"

    def body(self) -> dict[str, object]:
        return {"deliver": {"delivery": self.delivery}}

    def message_id(self) -> str:
        return f"deliver/{self.delivery}"


AnyJob = Job | Compaction | Figures | Present | Deliver


def to_message(job: AnyJob, attempt: int = 1, wait: float | None = None) -> aio_pika.Message:
    """The persistent message of `job`'s `attempt`; `wait` seconds in the retry queue."""
    return aio_pika.Message(
        orjson.dumps(job.body()),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=job.message_id(),
        headers={ATTEMPT_HEADER: attempt},
        expiration=wait,
    )


def parse(body: bytes) -> AnyJob:
    """The job of a message body; ValueError (or KeyError, TypeError) when it is not one."""
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise ValueError("a job is a JSON object")
    for catch_up in (Figures, Present):
        if catch_up.kind in data:
            return catch_up(_count(data[catch_up.kind]["block"], "block"))
    if "compact" in data:
        block, day = data["compact"]["block"], date.fromisoformat(data["compact"]["day"])
        if not isinstance(block, int) or block < 0:
            raise ValueError(f"bad block {block!r}")
        return Compaction(block, day)
    if "deliver" in data:
        return Deliver(_count(data["deliver"]["delivery"], "delivery"))
    shard = data.get("shard")
    if shard is not None and (not isinstance(shard, int) or shard < 0):
        raise ValueError(f"bad shard {shard!r}")
    return Job(str(uuid.UUID(data["report_id"])), shard)


def _count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"bad {what} {value!r}")
    return value


def attempt_of(message: AbstractIncomingMessage) -> int:
    """Which attempt of its job `message` is (1 when it says nothing)."""
    value = (message.headers or {}).get(ATTEMPT_HEADER)
    return value if isinstance(value, int) and value >= 1 else 1


def returns_of(message: AbstractIncomingMessage) -> int:
    """How often the broker has had `message` back without an outcome (worker crashes, closed
    channels): its delivery count, 0 on a first delivery."""
    value = (message.headers or {}).get("x-delivery-count")
    return value if isinstance(value, int) and value >= 0 else 0


async def declare_webhook_queues(channel: AbstractChannel) -> AbstractQueue:
    """Declare the webhook queue and its wait queues; the webhook queue."""
    for seconds in WAIT_SECONDS:
        await channel.declare_queue(
            wait_queue(seconds),
            durable=True,
            arguments={
                "x-queue-type": "classic",
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": WEBHOOK_QUEUE,
            },
        )
    return await _declare_work_queue(channel, WEBHOOK_QUEUE)


async def declare_queues(channel: AbstractChannel) -> AbstractQueue:
    """Declare the job queues (and the webhook ones); the job queue."""
    await declare_webhook_queues(channel)
    await channel.declare_queue(
        DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await channel.declare_queue(
        RETRY_QUEUE,
        durable=True,
        arguments={
            "x-queue-type": "classic",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": JOB_QUEUE,
        },
    )
    return await _declare_work_queue(channel, JOB_QUEUE)


async def _declare_work_queue(channel: AbstractChannel, name: str) -> AbstractQueue:
    """A quorum queue whose messages the broker dead-letters after DELIVERY_LIMIT returns."""
    return await channel.declare_queue(
        name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": DEAD_LETTER_QUEUE,
        },
    )


@dataclass(frozen=True)
class Session:
    """A robust connection (it reconnects, restoring channel, queues and consumers, after a
    broker restart), its confirming channel and the job queue."""

    connection: AbstractRobustConnection
    channel: AbstractChannel
    jobs: AbstractQueue


async def open_session(
    url: str,
    prefetch: int | None = None,
    then: Callable[[Session], Awaitable[None]] | None = None,
) -> Session:
    """Connect, open a channel, declare the queues and run `then` (start consuming, say): all
    or nothing. A close anywhere on the way (a broker restarting; a quorum queue on a fresh
    vhost not ready yet for a consumer) fails the whole attempt, for `keep_trying` to repeat,
    instead of leaving a connection without its queues or consumer."""
    connection = aio_pika.RobustConnection(aio_pika.connection.make_url(url))
    try:
        # The timeout bounds each of the robust connection's own reconnects too: a broker that
        # accepts TCP and never answers AMQP does not hold a reconnect forever.
        await connection.connect(timeout=CONNECT_TIMEOUT)
        channel = await connection.channel(publisher_confirms=True)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        session = Session(connection, channel, await declare_queues(channel))
        if then is not None:
            await then(session)
    except BaseException:
        # Also when cancelled or timed out mid-connect: closing ends the robust connection's
        # own reconnecting task, which would otherwise outlive us and keep the process alive.
        await connection.close()
        raise
    return session


async def publish_job(channel: AbstractChannel, job: AnyJob) -> None:
    """Publish with the channel's publisher confirms (the default in aio-pika): a delivery to
    the webhook queue, any other job to the job queue."""
    queue = WEBHOOK_QUEUE if isinstance(job, Deliver) else JOB_QUEUE
    await channel.default_exchange.publish(to_message(job), routing_key=queue)


async def publish_wait(channel: AbstractChannel, job: Deliver, due_ms: int, now_ms: int) -> bool:
    """Send `job` to wait in the largest wait queue not longer than the time left before
    `due_ms`; False (nothing sent) when less than the shortest wait is left."""
    left = (due_ms - now_ms) / 1000
    for seconds in WAIT_SECONDS:
        if seconds <= left:
            message = to_message(job)
            message.headers[DUE_HEADER] = due_ms
            await channel.default_exchange.publish(message, routing_key=wait_queue(seconds))
            return True
    return False


def due_of(message: AbstractIncomingMessage) -> int | None:
    """When a delivery that waited is due (ms since the epoch), if it says."""
    value = (message.headers or {}).get(DUE_HEADER)
    return value if isinstance(value, int) else None


async def publish_retry(channel: AbstractChannel, job: AnyJob, attempt: int, wait: float) -> None:
    """Queue `attempt` of `job` to run after `wait` seconds (confirmed by the broker)."""
    message = to_message(job, attempt, wait)
    await channel.default_exchange.publish(message, routing_key=RETRY_QUEUE)
