"""The API's link to PostgreSQL: the pool is created in the background, so the API starts (and
answers 503 on every route that needs the database, /readyz not ready) while PostgreSQL is down,
and serves as soon as it answers.

A schema older than the code is not an outage: once the database can be asked, the API refuses
to run on it (it exits with status 2 and says `run storemon migrate`), as the worker does. Why
exit rather than stay up answering 503: only an operator can fix it, and a process that stops
is the loudest signal there is (a crash loop in Kubernetes, a failed unit), while a running API
that is merely "not ready" looks like a database outage and can go unnoticed; a rolling update
keeps the old pods serving either way."""

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from aiohttp import web

from shared.backoff import keep_trying
from shared.db.connections import create_pool
from shared.errors import Unavailable

log = logging.getLogger(__name__)
CLOSE_TIMEOUT = 2.0  # seconds closing the pool gracefully may take at shut-down
FIRST_WAIT = 2.0  # seconds start-up waits for the database, to refuse an old schema at once


class DatabaseLink:
    """A pool once PostgreSQL has answered and its schema has been checked."""

    def __init__(self, url: str, **pool_options: Any) -> None:
        self._url = url
        self._pool: asyncpg.Pool | None = None
        self.fatal: BaseException | None = None  # why the API cannot run on this database
        self._task = asyncio.create_task(self._connect(pool_options))
        self._task.add_done_callback(self._report_failure)

    async def _connect(self, pool_options: dict[str, Any]) -> None:
        pool = await keep_trying(
            "PostgreSQL", lambda: create_pool(self._url, **pool_options), url=self._url
        )
        assert pool is not None  # nothing stops it: close() cancels this task
        self._pool = pool
        log.info("connected to PostgreSQL")

    async def started(self) -> None:
        """Wait a little for the first connection: an out-of-date schema (or a refused login)
        found now stops the start-up; an unreachable database leaves the link trying."""
        await asyncio.wait([self._task], timeout=FIRST_WAIT)
        if self._task.done() and not self._task.cancelled() and self._task.exception():
            self._task.remove_done_callback(self._report_failure)
            raise self._task.exception()  # type: ignore[misc]

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool; Unavailable until PostgreSQL has been reached."""
        if self._pool is None:
            raise Unavailable(
                "database unavailable: "
                + ("cannot run on it" if self.fatal else "PostgreSQL not reached yet")
            )
        return self._pool

    def acquire(self) -> Any:
        """A pooled connection (`async with link.acquire() as conn`)."""
        return self.pool.acquire()

    async def expire_connections(self) -> None:
        await self.pool.expire_connections()

    async def close(self) -> None:
        self._task.remove_done_callback(self._report_failure)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        if self._pool is not None:
            try:  # a database that stopped answering must not keep the API from exiting
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self._pool.close()
            except Exception:
                self._pool.terminate()

    def _report_failure(self, task: asyncio.Task[None]) -> None:
        """An error keep_trying does not retry (an out-of-date schema, a refused login) found
        after start-up: say so and stop the API, which then exits with that error."""
        if task.cancelled() or task.exception() is None:
            return
        self.fatal = task.exception()
        log.error("cannot run on PostgreSQL: %s; the API stops", self.fatal)
        asyncio.get_running_loop().call_soon(_stop_serving)


def _stop_serving() -> None:
    raise web.GracefulExit  # ends aiohttp's run_app as SIGTERM does
