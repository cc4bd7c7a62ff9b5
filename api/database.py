"""The API's use of PostgreSQL: every query runs through `read` or `write`, on a pooled
connection; a lost or refused database becomes Unavailable, which the error middleware answers
with 503 JSON whatever the route."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from aiohttp import web

from api.keys import POOL
from shared.db.connections import CONNECTION_LOST, DATABASE_UNAVAILABLE
from shared.errors import Unavailable

T = TypeVar("T")
Query = Callable[[asyncpg.Connection], Awaitable[T]]


async def read(request: web.Request, query: Query[T]) -> T:
    """`query` on a pooled connection. Pooled connections may have died with a database
    restart: after a lost connection drop them all and try once more. Only for reads: a retry
    must be harmless."""
    try:
        return await write(request, query)
    except Unavailable as e:
        if not isinstance(e.__cause__, CONNECTION_LOST):
            raise
        await request.app[POOL].expire_connections()
    return await write(request, query)


async def write(request: web.Request, query: Query[T]) -> T:
    """`query` on a pooled connection, once."""
    try:
        async with request.app[POOL].acquire() as conn:
            return await query(conn)
    except DATABASE_UNAVAILABLE as e:
        raise Unavailable(f"database unavailable: {type(e).__name__}: {e}") from e
