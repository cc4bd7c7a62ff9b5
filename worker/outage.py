"""Telling a PostgreSQL outage from a failed job, and waiting it out: an error while the
database does not answer a fresh connection is the outage's, not the job's (no failed attempt);
the job runs again once the database is back."""

import asyncio
import logging

import asyncpg

from shared.backoff import keep_trying

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 5.0  # seconds a check that PostgreSQL answers may take


class DatabaseDown(ConnectionError):
    """PostgreSQL does not answer a fresh connection."""


class DatabaseWatch:
    """Probes PostgreSQL for the worker and waits for it to come back."""

    def __init__(self, database_url: str, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        self._url = database_url
        self._pool = pool
        self._stop = stop

    async def down(self) -> bool:
        """True when PostgreSQL does not answer now."""
        try:
            await self.probe()
        except DatabaseDown:
            return True
        return False

    async def probe(self) -> bool:
        """True when a fresh connection to PostgreSQL answers; DatabaseDown otherwise."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                conn = await asyncpg.connect(self._url)
                try:
                    await conn.fetchval("SELECT 1")
                finally:
                    await conn.close()
        except Exception as e:
            raise DatabaseDown(f"{type(e).__name__}: {e}") from e
        return True

    async def back(self) -> bool:
        """Wait until PostgreSQL answers again (True), or the worker is stopped (False)."""
        if not await keep_trying("PostgreSQL", self.probe, self._stop):
            return False  # stopped
        await self._pool.expire_connections()  # those of the pool died with the outage
        log.info("PostgreSQL is back")
        return True
