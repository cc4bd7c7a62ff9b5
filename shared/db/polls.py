"""The polls table: daily partitions, each split into blocks of store keys; rows in and out as
PostgreSQL binary COPY (see pollcopy.py)."""

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta

import asyncpg

STORE_BLOCK = 4_096  # store keys per sub-partition; report shards never straddle two
_LOCK = 0x5704E1  # advisory lock key: concurrent ingests create partitions in turn
_DAY = timedelta(days=1)


def block_of(store_key: int) -> int:
    return store_key // STORE_BLOCK


async def blocks_with(conn: asyncpg.Connection, new_stores: int) -> int:
    """Store-key blocks needed once `new_stores` more stores get keys, if no one else adds."""
    last_key = await conn.fetchval(
        "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('stores', 'id')), 0)"
    )
    return block_of(int(last_key) + new_stores) + 1


async def ensure_partitions(conn: asyncpg.Connection, days: Iterable[date], blocks: int) -> None:
    """Make the partitions for `days` and store blocks 0 … blocks-1 that do not exist yet.

    Each partition is made in its own short transaction, outside any long ingest, so readers
    of polls never wait for one.
    """
    existing = {
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relname LIKE 'polls\\_%' AND relkind IN ('p', 'r')"
        )
    }
    for day in sorted(set(days)):
        parent = f"polls_{day:%Y%m%d}"
        if parent not in existing:
            await _create(
                conn,
                f"CREATE TABLE IF NOT EXISTS {parent} PARTITION OF polls FOR VALUES "
                f"FROM ('{day}T00:00:00Z') TO ('{day + _DAY}T00:00:00Z') "
                "PARTITION BY RANGE (store)",
            )
        for block in range(blocks):
            leaf = f"{parent}_b{block:04d}"
            if leaf not in existing:
                await _create(
                    conn,
                    f"CREATE TABLE IF NOT EXISTS {leaf} PARTITION OF {parent} FOR VALUES "
                    f"FROM ({block * STORE_BLOCK}) TO ({(block + 1) * STORE_BLOCK})",
                )


async def _create(conn: asyncpg.Connection, ddl: str) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await conn.execute(ddl)


async def copy_in(conn: asyncpg.Connection, rows: AsyncIterable[bytes]) -> None:
    """Append rows (store, ts, active, seq) given as a binary COPY stream."""
    await conn.copy_to_table(
        "polls", source=rows, columns=["store", "ts", "active", "seq"], format="binary"
    )


async def copy_span(
    conn: asyncpg.Connection,
    first: datetime,
    last: datetime,
    lo: int,
    hi: int,
    sink: Callable[[bytes], Awaitable[None]],
) -> None:
    """Every stored poll (store, ts, active, seq) of the stores lo ≤ key < hi with first ≤ ts ≤
    last, duplicates included, unordered, as a binary COPY stream into `sink`. Partition pruning
    limits the read to those days and that block."""
    await conn.copy_from_query(
        "SELECT store, ts, active, seq FROM polls "
        "WHERE ts BETWEEN $1 AND $2 AND store >= $3 AND store < $4",
        first,
        last,
        lo,
        hi,
        output=sink,
        format="binary",
    )
