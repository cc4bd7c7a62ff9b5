"""The worker's ear: one dedicated PostgreSQL connection LISTENing to the channels that ingests
and events notify as they commit. On a notification the follow-ups run (worker/followups.py),
one run at a time: news heard during a run makes one more run after it.

The connection comes back by itself after an outage of PostgreSQL (the bounded waits of
shared/backoff.py); a connection that dies without a word is found by a check every
CHECK_SECONDS. Whenever it (re)connects, the follow-ups run once, for what was committed while
nobody listened. Stopping the worker ends all of this at once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from shared.backoff import keep_trying
from shared.config import Settings
from shared.db import events, ingests
from shared.db.connections import CONNECT_TIMEOUT, DATABASE_UNAVAILABLE
from shared.messages import AnyJob
from worker import followups

log = logging.getLogger(__name__)
CHANNELS = (*sorted(set(ingests.CHANNELS.values())), events.CHANNEL)
CHECK_SECONDS = 30.0  # between checks that a quiet LISTEN connection is still alive
CHECK_TIMEOUT = 5.0


class Listener:
    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        publish: Callable[[AnyJob], Awaitable[None]],
        stop: asyncio.Event,
    ) -> None:
        self._settings = settings
        self._url = settings.database_url
        self._pool = pool
        self._publish = publish
        self._stop = stop
        self._news = asyncio.Event()

    async def run(self) -> None:
        """Listen (and run the follow-ups) until the worker stops."""
        follower = asyncio.create_task(self._follow())
        try:
            while not self._stop.is_set():
                conn = await keep_trying(
                    "PostgreSQL (LISTEN)", self._connect, self._stop, self._url
                )
                if conn is None:
                    return
                try:
                    await self._listen(conn)
                except (*DATABASE_UNAVAILABLE, TimeoutError) as e:
                    log.warning("lost the LISTEN connection (%s); reconnecting", type(e).__name__)
                finally:
                    conn.terminate()
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)

    async def _listen(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _: lost.set())
        for channel in CHANNELS:
            await conn.add_listener(channel, self._heard)
        self._news.set()  # what was committed while nobody listened
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(lost, self._stop), CHECK_SECONDS)
            if lost.is_set() or conn.is_closed():
                log.warning("lost the LISTEN connection; reconnecting")
                return
            if not self._stop.is_set():
                await asyncio.wait_for(conn.fetchval("SELECT 1"), CHECK_TIMEOUT)

    def _heard(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self._news.set()

    async def _follow(self) -> None:
        while True:
            await self._news.wait()
            self._news.clear()
            try:
                await followups.run(self._pool, self._publish, self._settings)
            except DATABASE_UNAVAILABLE as e:
                log.warning("follow-ups skipped: PostgreSQL is unavailable (%s)", type(e).__name__)
            except Exception:
                log.exception("follow-ups failed (housekeeping runs them again)")


async def _first(*happenings: asyncio.Event) -> None:
    """Until one of the events is set."""
    waits = [asyncio.ensure_future(e.wait()) for e in happenings]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
