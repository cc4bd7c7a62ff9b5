"""Waiting for a backing service that is not there (not started yet, restarting, refusing us):
retry with exponential backoff, and give up at once when the process is asked to stop."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

from aio_pika.exceptions import AMQPConnectionError
from aiormq.exceptions import ChannelAccessRefused, InvalidFrameError

from shared.db.connections import DATABASE_UNAVAILABLE

T = TypeVar("T")
# RabbitMQ answers a connection to a vhost that is missing, or that the user may not use, with
# a Connection.Close where aiormq expects Connection.OpenOk: an InvalidFrameError. A user who
# may connect but not declare the queues is refused on the channel, until an operator grants it.
UNREACHABLE = (
    *DATABASE_UNAVAILABLE,
    AMQPConnectionError,
    ConnectionError,
    InvalidFrameError,
    ChannelAccessRefused,
)
log = logging.getLogger(__name__)
RECONNECT_MOST = 5.0  # seconds between tries at most: back within 5 s of a service's return
ATTEMPT_TIMEOUT = 5.0  # seconds one attempt may take: a service that accepts and never answers


def delay(
    attempt: int,
    first: float = 0.5,
    most: float = 30.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before retry `attempt` (1, 2, …): the ceiling first, 2·first, 4·first, … at
    most `most`, with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"):
    half the ceiling plus a random part of the other half, so that workers failing together
    (a broker restart, a database outage) do not all come back in the same instant, while every
    wait keeps at least half its ceiling (full jitter could retry a failed job at once).
    `rand()` is in [0, 1); tests pass their own."""
    ceiling = float(min(first * 2 ** (attempt - 1), most))
    return ceiling / 2 + ceiling / 2 * rand()


def describe(what: str, error: BaseException) -> str:
    """One line on why `what` cannot be used now."""
    if isinstance(error, InvalidFrameError):
        return f"{what} refused the connection (is the vhost there, and may this user use it?)"
    if isinstance(error, ChannelAccessRefused):
        return f"{what} refused access to the queues (may this user configure them?): {error}"
    return f"{what} unreachable ({type(error).__name__}: {error})"


def where(url: str) -> str:
    """host:port of a service's URL, for the log (never its credentials)."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.hostname or 'localhost'}{port}"


async def keep_trying(
    what: str,
    connect: Callable[[], Awaitable[T]],
    stop: asyncio.Event | None = None,
    url: str | None = None,
    timeout: float = ATTEMPT_TIMEOUT,
) -> T | None:
    """`connect()` until it succeeds, waiting `delay(1)`, `delay(2)`, … seconds (at most
    RECONNECT_MOST) between attempts while the service is unreachable or an attempt takes
    longer than `timeout` (one log line each, no traceback); other errors propagate. None as
    soon as `stop` is set, even in the middle of an attempt. `url` names the service's
    host:port in the log."""
    stop = stop or asyncio.Event()
    attempt = 0
    while not stop.is_set():
        attempt += 1
        task = asyncio.ensure_future(asyncio.wait_for(connect(), timeout))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
        try:
            return task.result()
        except TimeoutError:
            wait = delay(attempt, most=RECONNECT_MOST)
            at = f"{what} at {where(url)}" if url else what
            log.warning(
                "%s accepted the connection but did not answer within %g s; retrying in %.1f s",
                at,
                timeout,
                wait,
            )
        except UNREACHABLE as e:
            wait = delay(attempt, most=RECONNECT_MOST)
            log.warning("%s; retrying in %.1f s", describe(what, e), wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
    return None
