"""Sharded reports under crashes, poison jobs and outages, with worker processes on the real
RabbitMQ (this run's own vhost) and PostgreSQL (this run's own database)."""

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest

from shared.messages import DEAD_LETTER_QUEUE, DELIVERY_LIMIT, JOB_QUEUE
from tests.conftest import rabbitmqctl
from tests.sample import AS_OF, EXPECTED, Client, load_sample, wait_until_finished

pytestmark = pytest.mark.usefixtures("purge_queue")


def queue_state(vhost: str) -> dict[str, dict[str, int]]:
    out = rabbitmqctl(
        "list_queues",
        "-p",
        vhost,
        "name",
        "messages_ready",
        "messages_unacknowledged",
        "consumers",
        "--formatter",
        "json",
    )
    return {q["name"]: q for q in json.loads(out)}


async def wait_for_consumers(vhost: str, count: int) -> None:
    for _ in range(100):
        if queue_state(vhost).get(JOB_QUEUE, {}).get("consumers", 0) >= count:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} consumers on {JOB_QUEUE}")


async def wait_for_empty_queue(vhost: str) -> None:
    for _ in range(100):
        state = queue_state(vhost)[JOB_QUEUE]
        if state["messages_unacknowledged"] == 0 and state["messages_ready"] == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"jobs left on the queue: {queue_state(vhost)}")


async def trigger(client: Client) -> str:
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    assert response.status == 202
    return str((await response.json())["report_id"])


@dataclass(frozen=True)
class Farm:
    """The API, worker processes to start, the database and the vhost of one test."""

    client: Client
    workers: Callable[..., subprocess.Popen[bytes]]
    conn: asyncpg.Connection
    vhost: str
    tmp_path: Path

    async def report_under_way(self, **env: str) -> tuple[str, subprocess.Popen[bytes]]:
        """Load the sample, start a worker with `env`, trigger a report: its id, the worker."""
        await load_sample(self.conn, self.tmp_path)
        worker = self.workers(**env)
        await wait_for_consumers(self.vhost, 1)
        return await trigger(self.client), worker


@pytest.fixture
def farm(
    client: Client,
    workers: Callable[..., subprocess.Popen[bytes]],
    conn: asyncpg.Connection,
    vhost: str,
    tmp_path: Path,
) -> Farm:
    return Farm(client, workers, conn, vhost, tmp_path)


async def csv_of(client: Client, done: dict[str, Any]) -> str:
    assert done["status"] == "Complete", done
    return await (await client.get(done["csv_url"])).text()


async def test_two_workers_share_the_shards(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    farm.workers()
    farm.workers()
    await wait_for_consumers(farm.vhost, 2)
    report_id = await trigger(farm.client)
    done = await wait_until_finished(farm.client, report_id)
    assert await csv_of(farm.client, done) == EXPECTED
    shards = await farm.conn.fetch(
        "SELECT shard, lo, hi, rows FROM report_shards WHERE report_id = $1 ORDER BY shard",
        uuid.UUID(report_id),
    )
    # Four stores, one store per shard; only s1 and s2 have polls in the span.
    assert [(r["lo"], r["hi"]) for r in shards] == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert sum(r["rows"] for r in shards) == 2


async def test_worker_killed_mid_shard_loses_nothing(farm: Farm) -> None:
    # The worker sits on its first shard.
    report_id, doomed = await farm.report_under_way(STOREMON_TEST_SHARD_DELAY="30")
    for _ in range(100):  # the plan is done and a shard is in the worker's hands
        state = queue_state(farm.vhost)[JOB_QUEUE]
        if state["messages_unacknowledged"] == 1 and state["messages_ready"] >= 1:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"no shard in flight: {queue_state(farm.vhost)}")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    farm.workers()  # a healthy worker picks up the redelivered shard and the rest
    done = await wait_until_finished(farm.client, report_id)
    assert await csv_of(farm.client, done) == EXPECTED
    await wait_for_empty_queue(farm.vhost)  # every job, the redelivered one too, was acked


async def test_poison_job_is_dead_lettered_and_the_report_fails(farm: Farm, amqp_url: str) -> None:
    not_a_directory = farm.tmp_path / "file"
    not_a_directory.write_text("reports cannot be written below a file")
    # Every shard fails to write its part.
    report_id, _ = await farm.report_under_way(REPORTS_DIR=str(not_a_directory))
    done = await wait_until_finished(farm.client, report_id, timeout=60)
    assert done["status"] == "Failed"
    assert f"gave up after {DELIVERY_LIMIT} deliveries" in done["error"]
    for _ in range(50):
        if queue_state(farm.vhost).get(DEAD_LETTER_QUEUE, {}).get("messages_ready", 0) >= 1:
            break
        await asyncio.sleep(0.2)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(DEAD_LETTER_QUEUE, passive=True)
        message = await dead.get(timeout=5)
        assert json.loads(message.body)["report_id"] == report_id
        await message.ack()


async def test_broker_connections_dropped_mid_report(farm: Farm) -> None:
    report_id, _ = await farm.report_under_way(STOREMON_TEST_SHARD_DELAY="1")
    await asyncio.sleep(1.5)
    rabbitmqctl("close_all_connections", "-p", farm.vhost, "test: broker outage")
    done = await wait_until_finished(farm.client, report_id, timeout=90)
    assert await csv_of(farm.client, done) == EXPECTED
    # The API reconnected too: a new report goes through.
    deadline = time.monotonic() + 30
    while True:
        response = await farm.client.post("/trigger_report", json={"as_of": AS_OF})
        if response.status == 202 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert response.status == 202
    again = await wait_until_finished(farm.client, (await response.json())["report_id"], timeout=90)
    assert await csv_of(farm.client, again) == EXPECTED


async def test_database_connections_killed_mid_report(farm: Farm) -> None:
    report_id, _ = await farm.report_under_way(STOREMON_TEST_SHARD_DELAY="1")
    await asyncio.sleep(1.5)
    killed = await farm.conn.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name <> 'storemon-tests'"
    )
    assert killed >= 1
    done = await wait_until_finished(farm.client, report_id, timeout=90)
    assert await csv_of(farm.client, done) == EXPECTED


async def test_sigterm_finishes_the_shard_in_hand(farm: Farm) -> None:
    report_id, worker = await farm.report_under_way(STOREMON_TEST_SHARD_DELAY="2")
    await asyncio.sleep(1)  # the plan is done; the first shard is in hand
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 30) == 0  # it finished that shard, then left
    done_shards = await farm.conn.fetchval(
        "SELECT count(*) FROM report_shards WHERE report_id = $1 AND done_at IS NOT NULL",
        uuid.UUID(report_id),
    )
    assert done_shards == 1
    farm.workers()  # the remaining shards wait in the queue for the next worker
    done = await wait_until_finished(farm.client, report_id)
    assert await csv_of(farm.client, done) == EXPECTED
