"""A report's shards: ranges of store keys computed separately and merged at the end."""

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.metrics import SHARD_BUCKETS, histogram
from shared.pollchunks import STORE_BLOCK


@dataclass(frozen=True)
class Shard:
    """Stores with lo ≤ key < hi of one report."""

    report_id: str
    number: int
    lo: int
    hi: int


# For statements on reports that show how far a report has come (`r` is the reports row).
DONE_COUNT = (
    "(SELECT count(*) FROM report_shards s WHERE s.report_id = r.id AND s.done_at IS NOT NULL)"
)


def split(keys: Sequence[int], size: int) -> list[tuple[int, int]]:
    """Key ranges [lo, hi) holding at most `size` of the (sorted) `keys` each, covering them
    all, none straddling two blocks (so each shard reads its block's chunks only)."""
    ranges = []
    i = 0
    while i < len(keys):
        block_end = (keys[i] // STORE_BLOCK + 1) * STORE_BLOCK
        j = min(i + size, bisect.bisect_left(keys, block_end, i))
        ranges.append((keys[i], keys[j - 1] + 1))
        i = j
    return ranges


async def count(conn: asyncpg.Connection, report_id: str) -> int:
    """How many shards the report has (0 before it is planned)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM report_shards WHERE report_id = $1", uuid.UUID(report_id)
        )
    )


async def add(conn: asyncpg.Connection, report_id: str, ranges: list[tuple[int, int]]) -> None:
    """Record the report's shards, numbered from 0, one per key range."""
    rid = uuid.UUID(report_id)
    await conn.executemany(
        "INSERT INTO report_shards (report_id, shard, lo, hi) VALUES ($1, $2, $3, $4)",
        [(rid, n, lo, hi) for n, (lo, hi) in enumerate(ranges)],
    )


async def todo(conn: asyncpg.Connection, report_id: str) -> list[Shard]:
    """The report's shards not done yet."""
    rows = await conn.fetch(
        "SELECT shard, lo, hi FROM report_shards WHERE report_id = $1 AND done_at IS NULL "
        "ORDER BY shard",
        uuid.UUID(report_id),
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
    """Mark the shard done (once: a second run changes nothing)."""
    await conn.execute(
        "UPDATE report_shards SET done_at = now(), rows = $3 "
        "WHERE report_id = $1 AND shard = $2 AND done_at IS NULL",
        uuid.UUID(shard.report_id),
        shard.number,
        rows,
    )


async def redo(conn: asyncpg.Connection, report_id: str, numbers: list[int]) -> None:
    """Mark those of the report's shards not done (their parts are gone)."""
    await conn.execute(
        "UPDATE report_shards SET done_at = NULL, started_at = NULL, rows = NULL "
        "WHERE report_id = $1 AND shard = ANY($2::int[])",
        uuid.UUID(report_id),
        numbers,
    )


async def numbers(conn: asyncpg.Connection, report_id: str) -> list[int]:
    """The report's shard numbers, in order."""
    rows = await conn.fetch(
        "SELECT shard FROM report_shards WHERE report_id = $1 ORDER BY shard",
        uuid.UUID(report_id),
    )
    return [r["shard"] for r in rows]


async def duration_histogram(conn: asyncpg.Connection) -> list[float]:
    """Cumulative counts of finished shard runs per SHARD_BUCKETS bound of seconds, then their
    count and the sum of their seconds."""
    return await histogram(
        conn,
        "extract(epoch FROM done_at - started_at)",
        SHARD_BUCKETS,
        "FROM report_shards WHERE done_at IS NOT NULL AND started_at IS NOT NULL",
    )
