"""Helpers on the real services that many tests share: a free port, waiting for a condition
(loudly: a timeout fails the test and says what was awaited), emptying the job queue, holding
workers in the middle of a shard."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from asyncpg.transaction import Transaction

from shared.config import Settings
from shared.db import figures as figure_rows
from shared.db import present
from shared.db.connections import create_pool
from shared.messages import DEAD_LETTER_QUEUE, JOB_QUEUE, RETRY_QUEUE, declare_queues
from worker import figures
from worker.child import Child
from worker.hours_cache import HoursCache

POLL_SECONDS = 0.05
HOLDER = "storemon-tests-hold"  # application_name of the session holding shards


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    """Wait until `condition()` holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


def until_sync(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """`until` for code outside an event loop."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)


async def purge_jobs(amqp_url: str) -> None:
    """Empty the queues of `amqp_url`'s vhost (jobs of reports no test will follow)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_queues(channel)
        for name in (JOB_QUEUE, RETRY_QUEUE, DEAD_LETTER_QUEUE):
            await (await channel.get_queue(name)).purge()


class Hold:
    """Workers' shards wait in the middle (their job in hand, unacknowledged) while this holds
    the business-hours table: a shard reads it, planning and the API do not. (A worker keeps
    the hours it read per snapshot: it waits on its first shard of a snapshot.)"""

    def __init__(self, conn: asyncpg.Connection, transaction: Transaction) -> None:
        self._conn, self._transaction = conn, transaction

    async def release(self) -> None:
        if not self._conn.is_closed():
            await self._transaction.rollback()
            await self._conn.close()


@contextlib.asynccontextmanager
async def holding_shards(database_url: str) -> AsyncIterator[Hold]:
    """Hold shards (see Hold) until released, at the latest when the block ends."""
    conn = await asyncpg.connect(database_url, server_settings={"application_name": HOLDER})
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute("LOCK TABLE business_hours IN ACCESS EXCLUSIVE MODE")
    hold = Hold(conn, transaction)
    try:
        yield hold
    finally:
        await hold.release()


async def settled(conn: asyncpg.Connection) -> None:
    """Until the workers are done with what follows an ingest (the present, the daily
    figures): it reads the business hours that holding_shards locks, so a session waiting
    for that lock may be one of its jobs rather than a shard, and a report's planning would
    queue behind it."""

    async def done() -> bool:
        return not await present.behind(conn) and not await figure_rows.behind(conn)

    await until(done, "the ingest's follow-ups")


async def until_waiting(conn: asyncpg.Connection, count: int = 1) -> None:
    """Wait until `count` sessions of this database (other than the tests') wait for a lock."""

    async def waiting() -> bool:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND application_name NOT LIKE 'storemon-tests%'"
        )
        return int(found) >= count

    await until(waiting, f"{count} session(s) waiting for a lock")


@contextlib.asynccontextmanager
async def database_outage(database_url: str) -> AsyncIterator[None]:
    """PostgreSQL gone for the service, as a restart looks to it: the database refuses new
    connections and every session but the tests' is terminated; back when the block ends."""
    name = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(
        database_url.rsplit("/", 1)[0] + "/postgres",
        server_settings={"application_name": "storemon-tests-admin"},
    )
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        await admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS false")
        try:
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name NOT LIKE 'storemon-tests%'",
                name,
            )
            yield
        finally:
            await admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS true")
    finally:
        await admin.close()


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines a process logged to `path` (lines that are not JSON as {"raw": …})."""
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            lines.append({"raw": raw})
    return lines


def logged(path: Path, text: str) -> bool:
    """Whether a message logged to `path` holds `text`."""
    return any(text in str(line.get("msg", line.get("raw", ""))) for line in log_lines(path))


@contextlib.contextmanager
def start_workers(settings: Settings, logs: Path, count: int, **env: str) -> Iterator[None]:
    """`count` `storemon worker` processes on `settings` (their logs in `logs`), stopped after."""
    started = []
    for n in range(count):
        with (logs / f"worker-{n}.log").open("ab") as stderr:
            started.append(
                subprocess.Popen(
                    [str(Path(sys.executable).with_name("storemon")), "worker"],
                    env={
                        **os.environ,
                        "DATABASE_URL": settings.database_url,
                        "AMQP_URL": settings.amqp_url,
                        "REPORTS_DIR": str(settings.reports_dir),
                        **env,
                    },
                    stderr=stderr,
                )
            )
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


async def figures_up_to_date(database_url: str) -> int:
    """Run the daily-figures jobs (worker/figures.py) in this process until no block has any
    work left; how many ran. Tests use it to make reports find every figure in place."""
    pool = await create_pool(database_url, min_size=1, max_size=2)
    child = Child()
    try:
        return await figures.all_now(pool, child, HoursCache())
    finally:
        child.close()
        await pool.close()
