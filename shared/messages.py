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
"""

import uuid
from dataclasses import dataclass

import aio_pika
import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

JOB_QUEUE = "storemon.jobs"
RETRY_QUEUE = "storemon.jobs.retry"
DEAD_LETTER_QUEUE = "storemon.jobs.dead"
DELIVERY_LIMIT = 5  # deliveries of one message before the broker dead-letters it
MAX_ATTEMPTS = 5  # failed attempts of a job before it is given up
ATTEMPT_HEADER = "storemon-attempt"  # 1 for a job's first run, then 2, 3, … on its retries


@dataclass(frozen=True)
class Job:
    """Plan report `report_id` (shard None), or compute one of its shards; everything else
    is in the database."""

    report_id: str
    shard: int | None = None

    @property
    def kind(self) -> str:
        return "plan" if self.shard is None else "shard"

    def to_message(self, attempt: int = 1, wait: float | None = None) -> aio_pika.Message:
        """The persistent message of this job's `attempt`; `wait` seconds in the retry queue."""
        body = {"report_id": self.report_id, "shard": self.shard}
        return aio_pika.Message(
            orjson.dumps(body),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=f"{self.report_id}/{self.kind if self.shard is None else self.shard}",
            headers={ATTEMPT_HEADER: attempt},
            expiration=wait,
        )

    @classmethod
    def from_body(cls, body: bytes) -> "Job":
        """Parse a message body; ValueError (or KeyError, TypeError) when it is not a job."""
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a job is a JSON object")
        shard = data.get("shard")
        if shard is not None and (not isinstance(shard, int) or shard < 0):
            raise ValueError(f"bad shard {shard!r}")
        return cls(str(uuid.UUID(data["report_id"])), shard)


def attempt_of(message: AbstractIncomingMessage) -> int:
    """Which attempt of its job `message` is (1 when it says nothing)."""
    value = (message.headers or {}).get(ATTEMPT_HEADER)
    return value if isinstance(value, int) and value >= 1 else 1


def returns_of(message: AbstractIncomingMessage) -> int:
    """How often the broker has had `message` back without an outcome (worker crashes, closed
    channels): its delivery count, 0 on a first delivery."""
    value = (message.headers or {}).get("x-delivery-count")
    return value if isinstance(value, int) and value >= 0 else 0


async def declare_queues(channel: AbstractChannel) -> AbstractQueue:
    """Declare the three queues; the job queue."""
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
    return await channel.declare_queue(
        JOB_QUEUE,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": DEAD_LETTER_QUEUE,
        },
    )


async def publish_job(channel: AbstractChannel, job: Job) -> None:
    """Publish with the channel's publisher confirms (the default in aio-pika)."""
    await channel.default_exchange.publish(job.to_message(), routing_key=JOB_QUEUE)


async def publish_retry(channel: AbstractChannel, job: Job, attempt: int, wait: float) -> None:
    """Queue `attempt` of `job` to run after `wait` seconds (confirmed by the broker)."""
    await channel.default_exchange.publish(job.to_message(attempt, wait), routing_key=RETRY_QUEUE)
