"""Reads from PostgreSQL that survive a database restart."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from aiohttp import web

from api.keys import POOL
from shared.db.connections import CONNECTION_LOST
from shared.errors import Unavailable

T = TypeVar("T")


async def read(request: web.Request, query: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """`query` on a pooled connection. Pooled connections may have died with a database
    restart: after a lost connection drop them all and retry once; Unavailable (503) if the
    database still cannot be reached. Only for reads: a retry must be harmless."""
    pool = request.app[POOL]
    for _ in range(2):
        try:
            async with pool.acquire() as conn:
                return await query(conn)
        except CONNECTION_LOST as e:
            lost = e
            await pool.expire_connections()
    raise Unavailable(f"database unavailable: {lost!r}") from lost
