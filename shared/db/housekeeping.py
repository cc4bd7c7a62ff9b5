"""Housekeeping's own records: the turn that lets one worker at a time do it, and what the
passes did (summed, for /metrics)."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from shared.db import locks


@contextlib.asynccontextmanager
async def turn(conn: asyncpg.Connection) -> AsyncIterator[bool]:
    """Whether this session may do housekeeping now (no other holds the turn); the turn is
    held until the block ends, or the session does."""
    mine = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", locks.HOUSEKEEPING))
    try:
        yield mine
    finally:
        if mine:
            await conn.execute("SELECT pg_advisory_unlock($1)", locks.HOUSEKEEPING)


async def count(conn: asyncpg.Connection, done: dict[str, int]) -> None:
    """Add a pass's counts (action → how many), and the pass itself."""
    await conn.executemany(
        "INSERT INTO housekeeping_counts (action, count) VALUES ($1, $2) "
        "ON CONFLICT (action) DO UPDATE SET count = housekeeping_counts.count + EXCLUDED.count",
        [("passes", 1), *done.items()],
    )


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Every action's count so far."""
    return {r["action"]: r["count"] for r in await conn.fetch("SELECT * FROM housekeeping_counts")}
