"""A report's shards: ranges of store keys computed separately and merged at the end. Once a
report is finished (and a while has passed: no assembly, no late shard run is still at work on
it), housekeeping prunes its shard rows, recording on the report how many were done."""

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.metrics import SHARD_BUCKETS, histogram, observe
from shared.pollchunks import STORE_BLOCK


@dataclass(frozen=True)
class Shard:
    """Stores with lo ≤ key < hi of one report."""

    report_id: str
    number: int
    lo: int
    hi: int


# For statements on reports that show how far a report has come (`r` is the reports row): the
# count recorded when its shard rows were pruned, or that of its rows.
DONE_COUNT = (
    "coalesce(r.shards_done_pruned, (SELECT count(*) FROM report_shards s"
    " WHERE s.report_id = r.id AND s.done_at IS NOT NULL))"
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
    """The shard's row; for a shard of a finished report whose rows were pruned, a stand-in
    row, done when the report finished (a late job of it is then dropped as any job of a
    finished report is, not taken for a job of an unknown report)."""
    return await conn.fetchrow(
        "SELECT report_id, shard, lo, hi, started_at, done_at, rows FROM report_shards"
        " WHERE report_id = $1 AND shard = $2 "
        "UNION ALL SELECT id, $2, NULL, NULL, NULL, finished_at, NULL FROM reports"
        " WHERE id = $1 AND shards_done_pruned IS NOT NULL AND $2 >= 0 AND $2 < shards_total"
        " LIMIT 1",
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
    """Mark the shard done (once: a second run changes nothing), its run's seconds counted
    in the same statement."""
    await conn.execute(
        "WITH s AS (UPDATE report_shards SET done_at = now(), rows = $3 "
        "WHERE report_id = $1 AND shard = $2 AND done_at IS NULL"
        " RETURNING extract(epoch FROM done_at - started_at)::float8 AS seconds),"
        f" observed AS ({observe('shard', SHARD_BUCKETS, 's')}) SELECT 1",
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


async def prune(conn: asyncpg.Connection, finished_before: datetime, limit: int = 1000) -> int:
    """Delete the shard rows of (up to `limit`) reports finished before then, recording on
    each report how many of its shards were done (so its status reads the same); rows
    deleted. Reports locked meanwhile (an assembly looking at one) are left for a next pass."""
    deleted = await conn.fetchval(
        "WITH due AS (SELECT id FROM reports WHERE status <> 'Running'"
        " AND shards_done_pruned IS NULL AND finished_at < $1 ORDER BY finished_at LIMIT $2"
        " FOR UPDATE SKIP LOCKED),"
        " gone AS (DELETE FROM report_shards s USING due WHERE s.report_id = due.id"
        " RETURNING s.report_id, s.done_at IS NOT NULL AS done),"
        " done AS (SELECT report_id, count(*) FILTER (WHERE done) AS n FROM gone"
        " GROUP BY report_id),"
        " recorded AS (UPDATE reports r SET shards_done_pruned = coalesce(done.n, 0)"
        " FROM due LEFT JOIN done ON done.report_id = due.id WHERE r.id = due.id)"
        " SELECT count(*) FROM gone",
        finished_before,
        limit,
    )
    return int(deleted)


async def duration_histogram(conn: asyncpg.Connection) -> list[float]:
    """Cumulative counts of finished shard runs per SHARD_BUCKETS bound of seconds, then their
    count and the sum of their seconds."""
    return await histogram(conn, "shard", SHARD_BUCKETS)
