"""Sharded reports under crashes, poison jobs, time limits and outages, with worker processes on
the real RabbitMQ (this run's own vhost) and PostgreSQL (this run's own database).

Tests synchronise on conditions (queue states, sessions waiting for a lock, log lines), never on
sleeps: a shard is held in a worker's hands by locking a table it reads (tests/services.py)."""

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from api.broker import BrokerLink
from shared.db import present
from shared.messages import ATTEMPT_HEADER, DEAD_LETTER_QUEUE, JOB_QUEUE, MAX_ATTEMPTS
from tests.conftest import rabbitmqctl
from tests.sample import AS_OF, EXPECTED, Client, load_sample, wait_until_finished
from tests.services import (
    database_outage,
    free_port,
    holding_shards,
    log_lines,
    logged,
    until,
    until_waiting,
)

pytestmark = pytest.mark.usefixtures("purge_queue")
OUTAGE_SECONDS = 12  # longer than the five tries (0.5–4 s apart) that used to strand a report


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


async def until_queue(vhost: str, what: str, test: Callable[[dict[str, int]], bool]) -> None:
    async def holds() -> bool:
        return test(queue_state(vhost).get(JOB_QUEUE, {}))

    await until(holds, f"{JOB_QUEUE}: {what}")


async def wait_for_empty_queue(vhost: str) -> None:
    await until_queue(
        vhost,
        "no job left",
        lambda q: q.get("messages_ready") == 0 and q.get("messages_unacknowledged") == 0,
    )


async def trigger(client: Client) -> str:
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    assert response.status == 202
    return str((await response.json())["report_id"])


async def status(conn: asyncpg.Connection, report_id: str) -> asyncpg.Record:
    """The report's row, read with the test's own connection (the API may be answering 503)."""
    return await conn.fetchrow("SELECT * FROM reports WHERE id = $1", uuid.UUID(report_id))


async def until_finished(conn: asyncpg.Connection, report_id: str, timeout: float = 90) -> str:
    async def finished() -> bool:
        return (await status(conn, report_id))["status"] != "Running"

    await until(finished, f"report {report_id} to finish", timeout)
    return str((await status(conn, report_id))["status"])


@dataclass(frozen=True)
class Farm:
    """The API, worker processes to start, the database and the vhost of one test."""

    client: Client
    workers: Callable[..., subprocess.Popen[bytes]]
    conn: asyncpg.Connection
    vhost: str
    tmp_path: Path
    database_url: str

    def log(self, number: int = 0) -> Path:
        """The log file of the `number`th worker started."""
        return self.tmp_path / f"worker-{number}.log"

    async def worker(self, **env: str) -> subprocess.Popen[bytes]:
        """A worker process, once it consumes."""
        log = self.log(len(list(self.tmp_path.glob("worker-*.log"))))
        process = self.workers(**env)
        await until(
            lambda: asyncio.to_thread(lambda: log.exists() and logged(log, "worker consuming")),
            f"the worker logging to {log.name} to consume",
        )
        return process

    async def csv(self, report_id: str) -> str:
        done = await wait_until_finished(self.client, report_id, timeout=90)
        assert done["status"] == "Complete", done
        return await (await self.client.get(done["csv_url"])).text()


@pytest.fixture
def farm(
    client: Client,
    workers: Callable[..., subprocess.Popen[bytes]],
    conn: asyncpg.Connection,
    vhost: str,
    tmp_path: Path,
    database_url: str,
) -> Farm:
    return Farm(client, workers, conn, vhost, tmp_path, database_url)


async def test_two_workers_share_the_shards(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    await farm.worker()
    await farm.worker()
    report_id = await trigger(farm.client)
    assert await farm.csv(report_id) == EXPECTED
    shards = await farm.conn.fetch(
        "SELECT shard, lo, hi, rows FROM report_shards WHERE report_id = $1 ORDER BY shard",
        uuid.UUID(report_id),
    )
    # Four stores, one store per shard; only s1 and s2 have polls in the span.
    assert [(r["lo"], r["hi"]) for r in shards] == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert sum(r["rows"] for r in shards) == 2


async def test_worker_killed_mid_shard_loses_nothing(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    async with holding_shards(farm.database_url) as hold:
        doomed = await farm.worker()
        report_id = await trigger(farm.client)
        await until_waiting(farm.conn)  # a shard is in the worker's hands, unacknowledged
        await until_queue(farm.vhost, "one job in hand", lambda q: q["messages_unacknowledged"])
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        await hold.release()
    await farm.worker()  # a healthy worker picks up the redelivered shard and the rest
    assert await farm.csv(report_id) == EXPECTED
    await wait_for_empty_queue(farm.vhost)  # every job, the redelivered one too, was acked


def poison(reports_dir: Path, report_id: str) -> None:
    """Make every shard of `report_id` fail: its part files cannot be written."""
    (reports_dir / ".parts").mkdir(exist_ok=True)
    (reports_dir / ".parts" / report_id).write_text("a file where a directory is expected")


async def test_poison_job_fails_after_bounded_attempts_then_is_dead_lettered(
    farm: Farm, client: Client, amqp_url: str, tmp_path: Path
) -> None:
    """The bound is the attempt count the job's copies carry, not a delivery count: every
    failed attempt goes to the retry queue as a new message (attempt + 1) and the original is
    acked; only the last one is rejected. So the bound holds whatever the broker counts
    (RabbitMQ 3.10 counts nack and reject, 4.3 only reject): the dead-lettered job says it was
    attempt 5 and was never redelivered."""
    await load_sample(farm.conn, farm.tmp_path)
    report_id = await trigger(farm.client)
    poison(tmp_path / "reports", report_id)
    await farm.worker(STOREMON_SHARD_STORES="4096")  # one shard
    assert await until_finished(farm.conn, report_id, timeout=60) == "Failed"
    error = (await status(farm.conn, report_id))["error"]
    assert f"gave up after {MAX_ATTEMPTS} attempts" in error
    assert f".parts/{report_id}" in error  # the error names the path it failed on
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert logged(farm.log(), f"attempt {attempt} of {MAX_ATTEMPTS} failed")
    await until(
        lambda: asyncio.to_thread(
            lambda: queue_state(farm.vhost)[DEAD_LETTER_QUEUE]["messages_ready"] == 1
        ),
        "the job in the dead-letter queue",
    )
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(DEAD_LETTER_QUEUE, passive=True)
        message = await dead.get(timeout=5)
        assert json.loads(message.body) == {"report_id": report_id, "shard": 0}
        headers = message.headers or {}
        assert headers[ATTEMPT_HEADER] == MAX_ATTEMPTS
        assert headers.get("x-delivery-count", 0) == 0  # never handed back to the work queue
        await message.ack()


async def test_a_job_waiting_to_retry_holds_no_worker(farm: Farm, tmp_path: Path) -> None:
    """While a failing job waits for its next attempt, the worker's one prefetch slot serves
    other jobs: a report triggered after the third failure completes before the fourth."""
    await load_sample(farm.conn, farm.tmp_path)
    failing = await trigger(farm.client)
    poison(tmp_path / "reports", failing)
    await farm.worker(STOREMON_SHARD_STORES="4096")
    await until(
        lambda: asyncio.to_thread(logged, farm.log(), f"attempt 3 of {MAX_ATTEMPTS} failed"),
        "the failing job's third attempt",
    )
    healthy = await trigger(farm.client)  # its next attempt is 2 s away
    assert await until_finished(farm.conn, healthy) == "Complete"
    assert not logged(farm.log(), f"attempt 4 of {MAX_ATTEMPTS} failed")
    assert (await status(farm.conn, failing))["status"] == "Running"


async def test_a_job_past_its_time_limit_is_a_failed_attempt(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    async with holding_shards(farm.database_url) as hold:
        await farm.worker(JOB_TIMEOUT_SECONDS="1")
        report_id = await trigger(farm.client)
        await until(
            lambda: asyncio.to_thread(
                logged, farm.log(), "attempt 1 of 5 failed: took longer than JOB_TIMEOUT_SECONDS=1"
            ),
            "the job's time limit",
        )
        await hold.release()
    assert await farm.csv(report_id) == EXPECTED  # its retry went through


async def test_broker_connections_dropped_mid_report(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    async with holding_shards(farm.database_url) as hold:
        await farm.worker()
        report_id = await trigger(farm.client)
        await until_waiting(farm.conn)
        rabbitmqctl("close_all_connections", "-p", farm.vhost, "test: broker outage")
        await hold.release()
    assert await farm.csv(report_id) == EXPECTED

    accepted: list[str] = []

    async def trigger_accepted() -> bool:  # the API reconnects by itself too
        response = await farm.client.post("/trigger_report", json={"as_of": AS_OF})
        if response.status == 202:
            accepted.append(str((await response.json())["report_id"]))
        return response.status == 202

    await until(trigger_accepted, "a trigger accepted after the broker came back")
    assert await farm.csv(accepted[0]) == EXPECTED


async def test_database_outage_mid_report_neither_fails_nor_strands_it(farm: Farm) -> None:
    """PostgreSQL gone for longer than all the retries of a job: the worker waits for it (not
    a failed attempt) and the report completes with the same CSV."""
    await load_sample(farm.conn, farm.tmp_path)
    async with holding_shards(farm.database_url) as hold:
        await farm.worker()
        report_id = await trigger(farm.client)
        await until_waiting(farm.conn)  # mid-shard
        async with database_outage(farm.database_url):
            await hold.release()
            await until(
                lambda: asyncio.to_thread(logged, farm.log(), "lost PostgreSQL during the job"),
                "the worker to notice the outage",
            )
            await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself, not a synchronisation
    assert await farm.csv(report_id) == EXPECTED
    assert not logged(farm.log(), "attempt 1 of")  # waiting was no failed attempt
    assert logged(farm.log(), "PostgreSQL is back")


async def test_sigterm_finishes_the_shard_in_hand(farm: Farm) -> None:
    await load_sample(farm.conn, farm.tmp_path)
    worker = await farm.worker()
    await until(lambda: _present_done(farm.conn), "the present after the sample's ingest")
    async with holding_shards(farm.database_url) as hold:
        report_id = await trigger(farm.client)
        await until_waiting(farm.conn)  # the first shard is in hand
        worker.send_signal(signal.SIGTERM)
        await hold.release()
    assert await asyncio.to_thread(worker.wait, 30) == 0  # it finished that shard, then left
    done_shards = await farm.conn.fetchval(
        "SELECT count(*) FROM report_shards WHERE report_id = $1 AND done_at IS NOT NULL",
        uuid.UUID(report_id),
    )
    assert done_shards == 1
    await farm.worker()  # the remaining shards wait in the queue for the next worker
    assert await farm.csv(report_id) == EXPECTED


@pytest.mark.parametrize("what", ["PostgreSQL", "RabbitMQ"])
async def test_sigterm_while_waiting_for_a_service_exits_at_once(farm: Farm, what: str) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    env = (
        {"DATABASE_URL": f"postgresql://postgres@{nowhere}/storemon"}
        if what == "PostgreSQL"
        else {"AMQP_URL": f"amqp://guest:guest@{nowhere}/"}
    )
    worker = farm.workers(**env)
    await until(
        lambda: asyncio.to_thread(logged, farm.log(), f"{what} unreachable"),
        f"the worker to wait for {what}",
    )
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 5) == 0


async def test_a_worker_refused_by_its_vhost_says_so_in_one_line(farm: Farm) -> None:
    missing = f"amqp://guest:guest@127.0.0.1:5672/storemon_missing_{uuid.uuid4().hex[:8]}"
    worker = farm.workers(AMQP_URL=missing)
    await until(
        lambda: asyncio.to_thread(logged, farm.log(), "RabbitMQ refused the connection"),
        "the worker to say the vhost refused it",
    )
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 5) == 0
    text = farm.log().read_text()
    assert "Traceback" not in text and "InvalidFrameError" not in text


@contextlib.contextmanager
def configure_refused() -> Iterator[str]:
    """A fresh vhost where guest may connect, read and write but not declare queues; its URL."""
    name = f"storemon_test_refused_{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", "", ".*", ".*")
        yield name
    finally:
        rabbitmqctl("delete_vhost", name)


async def test_a_worker_refused_its_queues_waits_until_access_is_granted(farm: Farm) -> None:
    with configure_refused() as name:
        worker = farm.workers(AMQP_URL=f"amqp://guest:guest@127.0.0.1:5672/{name}")
        await until(
            lambda: asyncio.to_thread(logged, farm.log(), "RabbitMQ refused access to the queues"),
            "the worker to say it may not declare its queues",
        )
        assert worker.poll() is None  # still there, waiting
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        await until(
            lambda: asyncio.to_thread(logged, farm.log(), "worker consuming storemon.jobs"),
            "the worker to consume once access is granted",
        )
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 10) == 0


async def test_the_api_refused_its_queues_becomes_ready_once_access_is_granted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def said_refused() -> bool:
        return "RabbitMQ refused access to the queues" in caplog.text

    async def ready() -> bool:
        return link.ready

    with configure_refused() as name:
        link = BrokerLink(f"amqp://guest:guest@127.0.0.1:5672/{name}")
        try:
            await until(said_refused, "the API to say it may not declare its queues")
            assert not link.ready
            rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
            await until(ready, "the API's broker link to be ready")
            assert await link.queue_depth() == 0
        finally:
            await link.close()


async def test_while_the_database_is_down_every_database_route_answers_503(
    client: Client, conn: asyncpg.Connection, tmp_path: Path, database_url: str
) -> None:
    await load_sample(conn, tmp_path)
    report_id = str(uuid.uuid4())
    routes = [
        ("GET", f"/get_report/{report_id}"),
        ("GET", f"/get_report?report_id={report_id}"),
        ("GET", "/api/reports"),
        ("GET", "/metrics"),
        ("GET", f"/reports/{report_id}.csv"),
        ("POST", "/trigger_report"),
    ]
    async with database_outage(database_url):
        for method, path in routes:
            response = await client.request(method, path)
            assert response.status == 503, (method, path)
            assert "database unavailable" in (await response.json())["error"], (method, path)
        assert (await client.get("/readyz")).status == 503
    for method, path in routes[:-1]:
        assert (await client.request(method, path)).status in (200, 404), (method, path)


# --- CPU-bound jobs: the computing child (worker/child.py) -------------------------------------


def logged_at(path: Path, text: str) -> datetime | None:
    """When a message holding `text` was first logged to `path`."""
    for line in log_lines(path):
        if text in str(line.get("msg", "")):
            return datetime.fromisoformat(line["ts"])
    return None


async def until_computing(conn: asyncpg.Connection, report_id: str) -> datetime:
    """Wait until a shard of the report has begun (its polls read next, then computed): when."""

    async def begun() -> bool:
        return bool(
            await conn.fetchval(
                "SELECT count(*) FROM report_shards WHERE report_id = $1 "
                "AND started_at IS NOT NULL",
                uuid.UUID(report_id),
            )
        )

    await until(begun, f"a shard of {report_id} to begin")
    return datetime.now(UTC)


def temporary_files(reports_dir: Path) -> list[Path]:
    return [p for p in reports_dir.rglob(".*") if p.name.endswith(".tmp")]


async def test_a_cpu_bound_job_past_its_time_limit_is_stopped_and_retried(farm: Farm) -> None:
    """A shard spinning the CPU for 60 s under JOB_TIMEOUT_SECONDS=2: the attempt ends as a
    failed one within the limit + 5 s, its child killed; the retry (no spinning) completes."""
    await load_sample(farm.conn, farm.tmp_path)
    await farm.worker(
        JOB_TIMEOUT_SECONDS="2", STOREMON_TEST_BURN_SECONDS="60", STOREMON_TEST_BURN_JOBS="1"
    )
    report_id = await trigger(farm.client)
    began = await until_computing(farm.conn, report_id)
    failure = "attempt 1 of 5 failed: took longer than JOB_TIMEOUT_SECONDS=2"
    await until(
        lambda: asyncio.to_thread(logged, farm.log(), failure), "the job's time limit", 2 + 5
    )
    failed_at = logged_at(farm.log(), failure)
    assert failed_at is not None and (failed_at - began).total_seconds() < 2 + 5
    killed = [line["msg"] for line in log_lines(farm.log()) if "killed" in str(line.get("msg", ""))]
    assert len(killed) == 1 and "its job was stopped" in killed[0], killed
    pid = int(killed[0].split()[2])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # no longer spinning beside the retry
    assert await farm.csv(report_id) == EXPECTED  # the retry went through
    assert not temporary_files(farm.tmp_path / "reports")


async def test_a_long_cpu_bound_job_keeps_its_broker_connection(farm: Farm) -> None:
    """Heartbeats every 2 s, a shard computing for 7 s: the worker's connection stays up (the
    loop answers heartbeats while the child computes), the job completes on its first delivery."""
    await load_sample(farm.conn, farm.tmp_path)
    url = f"amqp://guest:guest@127.0.0.1:5672/{farm.vhost}?heartbeat=2"
    await farm.worker(AMQP_URL=url, STOREMON_TEST_BURN_SECONDS="7", STOREMON_TEST_BURN_JOBS="1")
    before = connections(farm.vhost)
    report_id = await trigger(farm.client)
    await until_computing(farm.conn, report_id)
    assert await farm.csv(report_id) == EXPECTED
    assert connections(farm.vhost) == before
    for text in ("lost the broker", "returned", "attempt 1 of", "killed"):
        assert not logged(farm.log(), text), text


async def test_sigterm_during_a_long_cpu_bound_job_is_handled_at_once(farm: Farm) -> None:
    """SIGTERM while the child spins for 8 s: the worker logs it at once (its loop is free),
    finishes its jobs in hand within SHUTDOWN_GRACE (the shard spinning and the one it took
    ahead, waiting for the child) and exits; the rest waits for the next worker."""
    await load_sample(farm.conn, farm.tmp_path)
    worker = await farm.worker(STOREMON_TEST_BURN_SECONDS="8", STOREMON_TEST_BURN_JOBS="1")
    report_id = await trigger(farm.client)
    await until_computing(farm.conn, report_id)
    await asyncio.sleep(1)  # well into the spinning (not a synchronisation: a margin)
    signalled = datetime.now(UTC)
    worker.send_signal(signal.SIGTERM)
    await until(
        lambda: asyncio.to_thread(logged, farm.log(), "asked to stop"), "the worker to stop", 3
    )
    stopped_at = logged_at(farm.log(), "asked to stop")
    assert stopped_at is not None and (stopped_at - signalled).total_seconds() < 1
    assert await asyncio.to_thread(worker.wait, 30) == 0
    exited = datetime.now(UTC)
    assert (exited - signalled).total_seconds() > 5  # it finished the shards in hand first
    done, total = await farm.conn.fetchrow(
        "SELECT count(done_at), count(*) FROM report_shards WHERE report_id = $1",
        uuid.UUID(report_id),
    )
    assert (done, total) == (2, 4)
    await farm.worker()
    assert await farm.csv(report_id) == EXPECTED


def connections(vhost: str) -> set[str]:
    """The names of the broker's connections to `vhost` (client address and port)."""
    out = rabbitmqctl("list_connections", "-p", vhost, "name", "vhost", "--formatter", "json")
    return {c["name"] for c in json.loads(out) if c["vhost"] == vhost}


async def _present_done(conn: asyncpg.Connection) -> bool:
    """The worker's present jobs of the ingest are done (they read the hours a shard waits on)."""
    return not await present.behind(conn)


async def test_a_worker_reads_the_next_shard_while_one_computes(farm: Farm) -> None:
    """One worker, a backlog of four shards, the first three spinning 2 s each under
    JOB_TIMEOUT_SECONDS=3: while a shard computes, the worker takes the next one off the queue
    (each begun before the one before it is done), never more than two at once. The second,
    taken ahead, waits about 2 s for the child, then spins 2 s: its wait is not its time, so
    no attempt fails."""
    await load_sample(farm.conn, farm.tmp_path)
    await farm.worker(
        JOB_TIMEOUT_SECONDS="3", STOREMON_TEST_BURN_SECONDS="2", STOREMON_TEST_BURN_JOBS="3"
    )
    report_id = await trigger(farm.client)
    assert await farm.csv(report_id) == EXPECTED
    runs = await farm.conn.fetch(
        "SELECT started_at, done_at FROM report_shards WHERE report_id = $1 ORDER BY started_at",
        uuid.UUID(report_id),
    )
    assert len(runs) == 4
    assert all(b["started_at"] < a["done_at"] for a, b in itertools.pairwise(runs))
    in_hand = [
        sum(r["started_at"] <= run["started_at"] < r["done_at"] for r in runs) for run in runs
    ]
    assert max(in_hand) == 2
    assert (runs[1]["done_at"] - runs[1]["started_at"]).total_seconds() > 3  # its wall time
    for text in ("attempt 1 of", "killed"):
        assert not logged(farm.log(), text), text
