"""Fixtures on the real PostgreSQL and RabbitMQ: one database and one vhost per test run."""

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from api.app import create_app
from shared.config import Settings
from shared.db import schema
from tests.services import purge_jobs, until
from worker.main import Worker

# The server the tests use (scripts/pg18.sh starts a PostgreSQL 18 one for `make test-pg18`).
PG_URL = os.environ.get("TEST_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
PG_HOST = urlsplit(PG_URL).hostname or "127.0.0.1"
PG_PORT = urlsplit(PG_URL).port or 5432
AMQP_SERVER = os.environ.get("TEST_AMQP_SERVER", "amqp://guest:guest@127.0.0.1:5672")
RUN_ID = uuid.uuid4().hex[:10]
STOREMON = Path(sys.executable).with_name("storemon")
TABLES = (
    "poll_chunks, stores, ingests, business_hours, store_timezones, report_shards, reports,"
    " idempotency_keys, housekeeping_counts, report_counts, duration_counts, daily_figures,"
    " month_figures, figure_marks, store_present, present_blocks, events, webhooks,"
    " deliveries, delivery_attempts"
)


def _require(host: str, port: int, what: str) -> None:
    """Services are required: under CI a missing one fails the test, locally it skips it."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as e:
        message = f"{what} is not reachable on {host}:{port} ({e})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    _require(PG_HOST, PG_PORT, "PostgreSQL")
    url = f"{PG_URL}/storemon_test_{RUN_ID}"
    await schema.migrate(url)
    yield url
    await schema.drop_database(url)


def rabbitmqctl(*args: str) -> str:
    """Run rabbitmqctl quietly; its output."""
    tool = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    done = subprocess.run([tool, "-q", *args], check=True, capture_output=True, timeout=60)
    return done.stdout.decode()


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    _require("127.0.0.1", 5672, "RabbitMQ")
    name = f"storemon_test_{RUN_ID}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield name
    rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="session")
def amqp_url(vhost: str) -> str:
    return f"{AMQP_SERVER}/{quote(vhost, safe='')}"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the run's database, emptied before the test."""
    connection = await asyncpg.connect(
        database_url, server_settings={"application_name": "storemon-tests"}
    )
    await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")
    yield connection
    await connection.close()


@pytest.fixture
def settings(database_url: str, amqp_url: str, tmp_path: Path) -> Settings:
    reports_dir = tmp_path / "reports"
    reports_dir.mkdir()
    return Settings(database_url=database_url, amqp_url=amqp_url, reports_dir=reports_dir)


@contextlib.asynccontextmanager
async def api_with(settings: Settings, **changes: Any) -> AsyncIterator[TestClient[object, object]]:
    """The real API application with `changes` to `settings`, on a real port, ready."""
    changed = dataclasses.replace(settings, **changes)
    async with TestClient(TestServer(create_app(changed))) as test_client:
        await until_ready(test_client)
        yield test_client


@pytest.fixture
async def client(
    settings: Settings, conn: asyncpg.Connection
) -> AsyncIterator[TestClient[object, object]]:
    """The real API application on a real port, over the run's database and vhost."""
    async with api_with(settings) as test_client:
        yield test_client


@pytest.fixture
async def worker(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Worker]:
    """A worker consuming the run's vhost in this event loop."""
    running = Worker(settings)
    ready = asyncio.Event()
    task = asyncio.create_task(running.run(ready))
    await asyncio.wait_for(ready.wait(), 30)
    yield running
    running.stop()
    await asyncio.wait_for(task, 30)


async def until_ready(client: TestClient[object, object]) -> None:
    """Wait for /readyz (the broker link connects in the background)."""

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await until(ready, "the API's /readyz to answer 200")


@pytest.fixture
async def purge_queue(amqp_url: str) -> None:
    """Start from an empty job queue (jobs of earlier tests' reports are not this test's)."""
    await purge_jobs(amqp_url)


@pytest.fixture
async def workers(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[Callable[..., subprocess.Popen[bytes]]]:
    """Starts `storemon worker` processes (one shard = one store) and stops them after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started)}.log"  # JSON log lines, for tests that read them
        with log.open("ab") as stderr:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [str(STOREMON), "worker"],
                env={
                    **os.environ,
                    "DATABASE_URL": settings.database_url,
                    "AMQP_URL": settings.amqp_url,
                    "REPORTS_DIR": str(settings.reports_dir),
                    "STOREMON_SHARD_STORES": "1",
                    **env,
                },
                stderr=stderr,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        process.wait(30)
