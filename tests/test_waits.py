"""Waits on a service that accepts TCP and never answers (a hung broker or database, a proxy
whose backend is down): the processes say what they wait for, and SIGTERM still ends them."""

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import STOREMON
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


@pytest.mark.parametrize(
    ("command", "what"), [("worker", "RabbitMQ"), ("worker", "PostgreSQL"), ("api", "RabbitMQ")]
)
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
