"""Housekeeping's own records: the lock that lets one worker at a time do it."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg

_LOCK = 0x5704E3  # advisory lock key: one housekeeping pass at a time, over all hosts


@contextlib.asynccontextmanager
async def turn(conn: asyncpg.Connection) -> AsyncIterator[bool]:
    """Whether this session may do housekeeping now (no other holds the turn); the turn is
    held until the block ends, or the session does."""
    mine = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK))
    try:
        yield mine
    finally:
        if mine:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)
