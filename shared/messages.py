"""The RabbitMQ side: fixed queue names, their declaration and the job message."""

import uuid
from dataclasses import dataclass

import aio_pika
import orjson
from aio_pika.abc import AbstractChannel, AbstractQueue

JOB_QUEUE = "storemon.jobs"
DEAD_LETTER_QUEUE = "storemon.jobs.dead"
DELIVERY_LIMIT = 5  # deliveries of one message before it is dead-lettered


@dataclass(frozen=True)
class Job:
    """Plan report `report_id` (shard None), or compute one of its shards; everything else
    is in the database."""

    report_id: str
    shard: int | None = None

    def to_message(self) -> aio_pika.Message:
        body = {"report_id": self.report_id, "shard": self.shard}
        return aio_pika.Message(
            orjson.dumps(body),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=f"{self.report_id}/{'plan' if self.shard is None else self.shard}",
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


async def declare_queues(channel: AbstractChannel) -> AbstractQueue:
    """Declare the dead-letter queue and the quorum job queue that feeds it; the job queue."""
    await channel.declare_queue(
        DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
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
