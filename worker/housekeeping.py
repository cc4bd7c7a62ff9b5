"""Housekeeping, done by one worker at a time over all hosts (whichever takes the turn, a
PostgreSQL advisory lock), every HOUSEKEEPING_SECONDS: queue the compaction of poll days stored
in more than one chunk. A pass runs short statements and publishes jobs; nothing in it blocks a
report."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from shared.db import housekeeping, polls
from shared.messages import AnyJob, Compaction

log = logging.getLogger(__name__)


async def run(
    pool: asyncpg.Pool,
    publish: Callable[[AnyJob], Awaitable[None]],
    every: float,
    stop: asyncio.Event,
) -> None:
    """A pass every `every` seconds (the first one after `every`) until `stop`; a failed pass
    is logged and the next one tries again."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            await one_pass(pool, publish)
        except Exception:
            log.exception("housekeeping pass failed")


async def one_pass(
    pool: asyncpg.Pool, publish: Callable[[AnyJob], Awaitable[None]]
) -> dict[str, int] | None:
    """One pass if it is this worker's turn: what it did (None: another worker's turn)."""
    async with pool.acquire() as conn, housekeeping.turn(conn) as mine:
        if not mine:
            return None
        fragmented = await polls.fragmented(conn)
    for block, day in fragmented:
        await publish(Compaction(block, day))
    done = {"compactions_queued": len(fragmented)}
    log.info("housekeeping: %s", ", ".join(f"{n} {what}" for what, n in done.items()))
    return done
