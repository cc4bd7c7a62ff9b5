"""Connections to PostgreSQL: the pool every process uses, and what a lost connection raises."""

import asyncpg

from shared.db.schema import check_schema

# What a lost or refused database connection raises (a restart, pg_terminate_backend, a
# network cut): worth a retry on a new connection, unlike an error in the query itself.
CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.OperatorInterventionError,
    asyncpg.exceptions.InternalClientError,  # a pooled connection broken mid-operation
    OSError,
)
# What PostgreSQL answers while it cannot serve us at all: lost connections, and connections
# refused (a database closed with ALLOW_CONNECTIONS false, no connection slots left).
DATABASE_UNAVAILABLE = (
    *CONNECTION_LOST,
    asyncpg.ObjectNotInPrerequisiteStateError,
    asyncpg.TooManyConnectionsError,
)
COMMAND_TIMEOUT = 60.0  # seconds any one statement of the API or a worker may take
CONNECT_TIMEOUT = 10.0  # seconds to open a connection


async def create_pool(url: str, **kwargs: object) -> asyncpg.Pool:
    """A connection pool whose schema has been checked."""
    options: dict[str, object] = {"command_timeout": COMMAND_TIMEOUT, "timeout": CONNECT_TIMEOUT}
    pool = await asyncpg.create_pool(url, **{**options, **kwargs})
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            await check_schema(conn)
    except BaseException:
        await pool.close()
        raise
    return pool
