"""Waits on a service that accepts TCP and never answers (a hung broker or database, a proxy
whose backend is down): the processes say what they wait for, and SIGTERM still ends them."""

import asyncio
import contextlib
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path

import aiohttp
import pytest

from shared.db import schema
from tests.conftest import PG_PORT, STOREMON
from tests.services import free_port, logged, until

EXIT_WITHIN = 5.0  # seconds from SIGTERM to exit


@contextlib.asynccontextmanager
async def silent_listener() -> AsyncIterator[str]:
    """A TCP listener on 127.0.0.1 that accepts connections and never writes; host:port."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def start(command: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [str(STOREMON), command],
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(free_port()), **env},
            stderr=stderr,
        )


@pytest.mark.parametrize("command", ["worker", "api"])
@pytest.mark.parametrize("what", ["RabbitMQ", "PostgreSQL"])
async def test_sigterm_ends_a_wait_on_a_service_that_never_answers(
    command: str, what: str, database_url: str, amqp_url: str, tmp_path: Path
) -> None:
    log = tmp_path / f"{command}.log"
    async with silent_listener() as hung:
        env = {"DATABASE_URL": database_url, "AMQP_URL": amqp_url, "REPORTS_DIR": str(tmp_path)}
        if what == "RabbitMQ":
            env["AMQP_URL"] = f"amqp://guest:guest@{hung}/"
        else:
            env["DATABASE_URL"] = f"postgresql://postgres@{hung}/storemon"
        process = start(command, log, **env)
        try:
            said = f"{what} at {hung} accepted the connection but did not answer within"
            await until(lambda: asyncio.to_thread(logged, log, said), f"{command} to say {said}")
            assert process.poll() is None  # still waiting, not given up
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, EXIT_WITHIN) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "Traceback" not in log.read_text()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            await flowing.wait()  # frozen: the bytes are held, the connection stays open
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def proxy(port: int, upstream: int = PG_PORT) -> AsyncIterator[asyncio.Event]:
    """127.0.0.1:`port` forwards to 127.0.0.1:`upstream` while the block runs, as long as the
    event it yields is set (clear it to freeze every connection, as a hung service does)."""
    pipes: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []
    flowing = asyncio.Event()
    flowing.set()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        writers.extend((writer, up_writer))
        for task in (_pipe(reader, up_writer, flowing), _pipe(up_reader, writer, flowing)):
            pipes.add(asyncio.create_task(task))

    server = await asyncio.start_server(forward, "127.0.0.1", port)
    try:
        yield flowing
    finally:
        server.close()
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
        for writer in writers:
            writer.close()
        await server.wait_closed()


def proxy_to_postgres(port: int) -> contextlib.AbstractAsyncContextManager[asyncio.Event]:
    return proxy(port, PG_PORT)


@pytest.mark.parametrize(
    ("command", "what", "connected"),
    [
        ("worker", "RabbitMQ", "worker consuming"),
        ("worker", "PostgreSQL", "worker consuming"),
        ("api", "RabbitMQ", "connected to RabbitMQ"),
        ("api", "PostgreSQL", "connected to PostgreSQL"),
    ],
)
@pytest.mark.usefixtures("conn", "purge_queue")  # no work left by earlier tests: no job in hand
async def test_sigterm_ends_a_process_whose_service_hangs_after_it_connected(
    command: str, what: str, connected: str, database_url: str, amqp_url: str, tmp_path: Path
) -> None:
    log = tmp_path / f"{command}.log"
    port = free_port()
    env = {"DATABASE_URL": database_url, "AMQP_URL": amqp_url, "REPORTS_DIR": str(tmp_path)}
    key, upstream = ("AMQP_URL", 5672) if what == "RabbitMQ" else ("DATABASE_URL", PG_PORT)
    env[key] = env[key].replace(f"127.0.0.1:{upstream}", f"127.0.0.1:{port}")
    assert env[key].count(str(port)) == 1
    async with proxy(port, upstream) as flowing:
        process = start(command, log, **env)
        try:
            await until(
                lambda: asyncio.to_thread(logged, log, connected), f"{command}: {connected}"
            )
            flowing.clear()  # the service stops answering; its connections stay open
            await asyncio.sleep(1)
            process.send_signal(signal.SIGTERM)
            # Each step of closing (cancel the consumer, close the connection) may wait 2 s.
            assert await asyncio.to_thread(process.wait, EXIT_WITHIN + 2) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert command == "api" or logged(log, "worker stopped")


async def test_the_api_starts_without_postgresql_and_serves_once_it_answers(
    database_url: str, amqp_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "api.log"
    db_port, api_port = free_port(), free_port()  # nothing listens on db_port yet
    through_proxy = database_url.replace(f"127.0.0.1:{PG_PORT}", f"127.0.0.1:{db_port}")
    assert through_proxy != database_url
    process = start(
        "api",
        log,
        DATABASE_URL=through_proxy,
        AMQP_URL=amqp_url,
        REPORTS_DIR=str(tmp_path),
        PORT=str(api_port),
    )
    base = f"http://127.0.0.1:{api_port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def status(path: str) -> int:
                try:
                    async with http.get(base + path) as response:
                        return response.status
                except aiohttp.ClientConnectionError:
                    return 0

            await until(lambda: _is(status("/healthz"), 200), "the API to be alive")
            async with http.get(f"{base}/api/reports") as response:
                assert response.status == 503
                assert response.content_type == "application/json"
                assert "database unavailable" in (await response.json())["error"]
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["postgres"] == "down"
            assert logged(log, "PostgreSQL unreachable")
            async with proxy_to_postgres(db_port):
                await until(lambda: _is(status("/readyz"), 200), "the API to reach PostgreSQL")
                async with http.get(f"{base}/api/reports") as response:
                    assert response.status == 200
                    assert response.content_type == "application/json"
                assert logged(log, "connected to PostgreSQL")
                process.send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(process.wait, EXIT_WITHIN) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def _is(status: "asyncio.Future[int] | Coroutine[None, None, int]", want: int) -> bool:
    return await status == want


async def test_the_api_started_without_postgresql_stops_on_an_old_schema(
    database_url: str, amqp_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "api.log"
    db_port = free_port()
    old = database_url.rsplit("/", 1)[0] + f"/storemon_old_{uuid.uuid4().hex[:8]}"
    await schema.ensure_database(old)  # created, never migrated
    try:
        process = start(
            "api",
            log,
            DATABASE_URL=old.replace(f"127.0.0.1:{PG_PORT}", f"127.0.0.1:{db_port}"),
            AMQP_URL=amqp_url,
            REPORTS_DIR=str(tmp_path),
        )
        try:
            await until(
                lambda: asyncio.to_thread(logged, log, "PostgreSQL unreachable"),
                "the API to wait for PostgreSQL",
            )
            assert process.poll() is None  # started all the same
            async with proxy_to_postgres(db_port):
                assert await asyncio.to_thread(process.wait, 15) == 2
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    finally:
        await schema.drop_database(old)
    text = log.read_text()
    assert "run `storemon migrate`" in text
    assert logged(log, "cannot run on PostgreSQL: database schema is at version 0")
