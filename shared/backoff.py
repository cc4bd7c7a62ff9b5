"""Connecting to a backing service that may not be up yet: retry with exponential backoff."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aio_pika.exceptions import AMQPConnectionError

from shared.db.connections import CONNECTION_LOST

T = TypeVar("T")
UNREACHABLE = (*CONNECTION_LOST, AMQPConnectionError, ConnectionError)
log = logging.getLogger(__name__)


async def keep_trying(
    what: str, connect: Callable[[], Awaitable[T]], first: float = 0.5, most: float = 30.0
) -> T:
    """`connect()` until it succeeds, waiting first, 2·first, … (at most `most`) seconds
    between attempts while the service is unreachable; other errors propagate."""
    delay = first
    while True:
        try:
            return await connect()
        except UNREACHABLE as e:
            log.warning("%s unreachable (%r); retrying in %.1f s", what, e, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)
