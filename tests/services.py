"""Helpers on the real services that many tests share: a free port, waiting for a condition
(loudly: a timeout fails the test and says what was awaited), emptying the job queue."""

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import aio_pika

from shared.messages import declare_queues

POLL_SECONDS = 0.05


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
    """Empty the job queue of `amqp_url`'s vhost (jobs of reports no test will follow)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        await (await declare_queues(await connection.channel())).purge()
