"""A report's shards: ranges of store keys computed separately and merged at the end."""

import uuid
from dataclasses import dataclass

import asyncpg

from shared.db.polls import STORE_BLOCK


@dataclass(frozen=True)
class Shard:
    """Stores with lo ≤ key < hi of one report."""

    report_id: str
    number: int
    lo: int
    hi: int


def split(max_key: int, size: int) -> list[tuple[int, int]]:
    """Key ranges of at most `size` keys covering 1 … max_key, none straddling two partition
    blocks (so each shard reads only its block's partitions)."""
    ranges = []
    lo = 1
    while lo <= max_key:
        hi = min(lo + size, (lo // STORE_BLOCK + 1) * STORE_BLOCK, max_key + 1)
        ranges.append((lo, hi))
        lo = hi
    return ranges


async def plan(conn: asyncpg.Connection, report_id: str, size: int) -> list[Shard]:
    """The report's shards, made on the first call (later calls, after a redelivery, find
    them); returns those not done yet."""
    rid = uuid.UUID(report_id)
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM reports WHERE id = $1 FOR UPDATE", rid)
        if not await conn.fetchval("SELECT count(*) FROM report_shards WHERE report_id = $1", rid):
            max_key = await conn.fetchval("SELECT coalesce(max(id), 0) FROM stores")
            ranges = split(int(max_key), size) or [(1, 1)]  # no stores: one empty shard
            await conn.executemany(
                "INSERT INTO report_shards (report_id, shard, lo, hi) VALUES ($1, $2, $3, $4)",
                [(rid, n, lo, hi) for n, (lo, hi) in enumerate(ranges)],
            )
            await conn.execute(
                "UPDATE reports SET shards_total = $2 WHERE id = $1", rid, len(ranges)
            )
        rows = await conn.fetch(
            "SELECT shard, lo, hi FROM report_shards WHERE report_id = $1 AND done_at IS NULL "
            "ORDER BY shard",
            rid,
        )
    return [Shard(report_id, r["shard"], r["lo"], r["hi"]) for r in rows]


async def get(conn: asyncpg.Connection, report_id: str, number: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM report_shards WHERE report_id = $1 AND shard = $2",
        uuid.UUID(report_id),
        number,
    )


async def begin(conn: asyncpg.Connection, shard: Shard) -> None:
    """Note when this run of the shard started."""
    await conn.execute(
        "UPDATE report_shards SET started_at = now() "
        "WHERE report_id = $1 AND shard = $2 AND done_at IS NULL",
        uuid.UUID(shard.report_id),
        shard.number,
    )


async def finish(conn: asyncpg.Connection, shard: Shard, rows: int) -> None:
    """Mark the shard done (once: a second run changes nothing) and update the progress."""
    rid = uuid.UUID(shard.report_id)
    async with conn.transaction():
        await conn.execute(
            "UPDATE report_shards SET done_at = now(), rows = $3 "
            "WHERE report_id = $1 AND shard = $2 AND done_at IS NULL",
            rid,
            shard.number,
            rows,
        )
        await conn.execute(
            "UPDATE reports SET progress = (SELECT count(*) FILTER (WHERE done_at IS NOT NULL)"
            "::real / count(*) FROM report_shards WHERE report_id = $1) "
            "WHERE id = $1 AND status = 'Running'",
            rid,
        )


async def pending(conn: asyncpg.Connection, report_id: str) -> int:
    """Shards of the report not done yet (all of them before it is planned)."""
    return int(
        await conn.fetchval(
            "SELECT CASE WHEN r.shards_total IS NULL THEN -1 ELSE ("
            " SELECT count(*) FROM report_shards s WHERE s.report_id = r.id AND s.done_at IS NULL"
            ") END FROM reports r WHERE r.id = $1",
            uuid.UUID(report_id),
        )
    )


async def numbers(conn: asyncpg.Connection, report_id: str) -> list[int]:
    """The report's shard numbers, in order."""
    rows = await conn.fetch(
        "SELECT shard FROM report_shards WHERE report_id = $1 ORDER BY shard",
        uuid.UUID(report_id),
    )
    return [r["shard"] for r in rows]
