"""The poll_chunks table: every stored poll, packed by block of store keys and UTC day (the
layout is in shared/pollchunks.py).

- An ingest appends chunks (its file's polls of each block and day) and, last thing before it
  commits, `seal`s them: they get the next rank, under a lock held until the commit, so ranks
  follow the order in which ingests are stored. Where two chunks hold the same store and
  instant, the higher rank wins: the later ingest, as the spec says.
- Compaction merges the chunks of a block and day into one sorted chunk carrying the highest
  rank it merged, in one transaction: readers see the old chunks or the new one, never both,
  and a chunk stored meanwhile keeps its higher rank. Nothing here blocks a reader.
- Retention deletes whole days.
"""

from collections.abc import AsyncIterable, Iterable
from datetime import date

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import locks
from shared.instants import EPOCH_DATE, day_date, day_number
from shared.pollchunks import STORE_BLOCK, Chunk, block_of, decode, encode, merge
from shared.uptime.polls import Polls

_COLUMNS = ["block", "day", "ingest", "polls", "offsets", "stores", "ts", "active"]


async def append(
    conn: asyncpg.Connection, ingest_id: int, block: int, chunks: AsyncIterable[Chunk]
) -> None:
    """Store `chunks` of `block` for an ingest; they count once the ingest is sealed."""
    records = _records(ingest_id, block, chunks)
    await conn.copy_records_to_table("poll_chunks", records=records, columns=_COLUMNS)


async def _records(
    ingest_id: int, block: int, chunks: AsyncIterable[Chunk]
) -> AsyncIterable[tuple[object, ...]]:
    async for c in chunks:
        yield block, day_date(c.day), ingest_id, c.polls, c.offsets, c.stores, c.ts, c.active


async def seal(conn: asyncpg.Connection, ingest_id: int) -> None:
    """Give the ingest's chunks the next rank; call last in its transaction (the lock taken
    here is held until the commit, so no later rank is committed first)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", locks.SEAL)
    await conn.execute(
        "UPDATE poll_chunks SET rank = nextval('poll_chunk_ranks') WHERE ingest = $1", ingest_id
    )


async def read(
    conn: asyncpg.Connection, lo: int, hi: int, first: date, last: date
) -> list[list[Polls]]:
    """The polls of the stores lo ≤ key < hi (one block) on the UTC days first … last."""
    return await read_keys(conn, np.arange(lo, hi), first, last)


async def read_keys(
    conn: asyncpg.Connection,
    keys: npt.NDArray[np.int64],
    first: date,
    last: date,
    after_rank: int | None = None,
) -> list[list[Polls]]:
    """The polls of the stores of `keys` (sorted, unique, one block) on the UTC days
    first … last: for each day that has any, its chunks in rank order (only those ranked
    after `after_rank`, when given). Only the slices of each chunk that hold those stores are
    read (one per run of consecutive keys), so a scattered list of stores costs its own polls,
    not those of the keys between them."""
    if len(keys) == 0:
        return []
    starts, ends = runs(keys)
    days = np.arange(day_number(first), day_number(last) + 1)
    return await read_runs(
        conn,
        block_of(int(keys[0])),
        np.repeat(days, len(starts)),
        np.tile(starts, len(days)),
        np.tile(ends, len(days)),
        after_rank,
    )


async def read_runs(
    conn: asyncpg.Connection,
    block: int,
    days: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    after_rank: int | None = None,
) -> list[list[Polls]]:
    """The polls of runs of store keys [starts[i], ends[i]) of `block`, each on its UTC day
    `days[i]` (days since the epoch; runs of a day in key order, apart): for each day that has
    any, its chunks in rank order (only those ranked after `after_rank`, when given)."""
    if len(days) == 0:
        return []
    base = block * STORE_BLOCK
    assert block_of(int(starts.min())) == block and block_of(int(ends.max()) - 1) == block
    # A chunk's offsets (4,097 int4, 16 KB) are TOASTed: each subscript of the column would
    # fetch and unpack all of them again (several times a run: most of the query's time on a
    # year's report). `off` is a detoasted copy, made once per chunk (OFFSET 0 keeps the
    # planner from inlining it back into each subscript); the day's runs go with their chunk.
    # No ORDER BY: sorting rows of megabytes of polls spills to disk past work_mem (a block's
    # nine days: 6 MB, 12 ms of a 14 ms query); the few rows are put in order here.
    rows = await conn.fetch(
        "SELECT c.day, c.rank, s.stores, s.ts, s.active FROM"
        " (SELECT day, array_agg(lo ORDER BY n) AS los, array_agg(hi ORDER BY n) AS his"
        "  FROM unnest($2::int4[], $3::int4[], $4::int4[]) WITH ORDINALITY AS r(day, lo, hi, n)"
        "  GROUP BY day) r"
        " JOIN poll_chunks c ON c.block = $1 AND c.day = $5::date + r.day"
        " CROSS JOIN LATERAL (SELECT c.offsets || '{}'::int4[] AS off OFFSET 0) d"
        " CROSS JOIN LATERAL (SELECT"
        "  string_agg(substring(c.stores FROM 2 * o1 + 1 FOR 2 * (o2 - o1)), '' ORDER BY k)"
        "   AS stores,"
        "  string_agg(substring(c.ts FROM 8 * o1 + 1 FOR 8 * (o2 - o1)), '' ORDER BY k) AS ts,"
        "  string_agg(substring(c.active FROM o1 + 1 FOR o2 - o1), '' ORDER BY k) AS active"
        "  FROM (SELECT d.off[lo + 1] AS o1, d.off[hi + 1] AS o2, k"  # offsets count from 1
        "   FROM unnest(r.los, r.his) WITH ORDINALITY AS u(lo, hi, k) OFFSET 0) u"
        "  WHERE o2 > o1) s "
        "WHERE ($6::bigint IS NULL OR c.rank > $6) AND s.stores IS NOT NULL",
        block,
        days.tolist(),
        (starts - base).tolist(),
        (ends - base).tolist(),
        EPOCH_DATE,
        after_rank,
    )
    found: dict[date, list[Polls]] = {}
    for row in sorted(rows, key=lambda r: (r["day"], r["rank"] is None, r["rank"] or 0)):
        found.setdefault(row["day"], []).append(
            decode(block, row["stores"], row["ts"], row["active"])
        )
    return list(found.values())


async def latest_rank(conn: asyncpg.Connection, block: int) -> int:
    """The highest rank of a chunk of `block` (0: none)."""
    return int(
        await conn.fetchval(
            "SELECT coalesce(max(rank), 0) FROM poll_chunks WHERE block = $1", block
        )
    )


async def day_range(conn: asyncpg.Connection, block: int) -> tuple[date, date] | None:
    """The first and last UTC day with polls of `block` (None: none)."""
    row = await conn.fetchrow(
        "SELECT min(day) AS first, max(day) AS last FROM poll_chunks WHERE block = $1", block
    )
    return None if row is None or row["first"] is None else (row["first"], row["last"])


def runs(keys: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The runs of consecutive values of sorted, unique `keys`, as [start, end) bounds."""
    breaks = np.flatnonzero(np.diff(keys) != 1) + 1
    starts = keys[np.concatenate([[0], breaks])]
    ends = keys[np.concatenate([breaks - 1, [len(keys) - 1]])] + 1
    return starts, ends


async def fragmented(conn: asyncpg.Connection, limit: int = 1000) -> list[tuple[int, date]]:
    """Blocks and days stored in more than one chunk, oldest day first."""
    rows = await conn.fetch(
        "SELECT block, day FROM poll_chunks WHERE rank IS NOT NULL GROUP BY block, day "
        "HAVING count(*) > 1 ORDER BY day, block LIMIT $1",
        limit,
    )
    return [(r["block"], r["day"]) for r in rows]


async def compact(conn: asyncpg.Connection, block: int, day: date) -> int:
    """Merge the chunks of `block` on `day` into one; the number merged (0: nothing to do).
    Idempotent and crash-safe: one transaction, and a second run finds one chunk."""
    async with conn.transaction():
        # One compaction of a block's day at a time (the two-key form: its own name space).
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", block, day_number(day))
        rows = await conn.fetch(
            "SELECT id, ingest, rank, stores, ts, active FROM poll_chunks "
            "WHERE block = $1 AND day = $2 AND rank IS NOT NULL ORDER BY rank",
            block,
            day,
        )
        if len(rows) < 2:
            return 0
        merged = merge([decode(block, r["stores"], r["ts"], r["active"]) for r in rows])
        chunk = encode(day_number(day), block, merged)
        newest = rows[-1]
        await conn.execute(
            f"INSERT INTO poll_chunks ({', '.join(_COLUMNS)}, rank) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            block,
            day,
            newest["ingest"],
            chunk.polls,
            chunk.offsets,
            chunk.stores,
            chunk.ts,
            chunk.active,
            newest["rank"],
        )
        await conn.execute(
            "DELETE FROM poll_chunks WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
    return len(rows)


async def drop_before(conn: asyncpg.Connection, day: date) -> int:
    """Drop every poll of the UTC days before `day` (retention); how many days had any."""
    dropped = await conn.fetchval(
        "WITH gone AS (DELETE FROM poll_chunks WHERE day < $1 RETURNING day) "
        "SELECT count(DISTINCT day) FROM gone",
        day,
    )
    return int(dropped)


async def stored(conn: asyncpg.Connection) -> int:
    """Polls stored (a poll sent twice counts twice until its day is compacted)."""
    return int(await conn.fetchval("SELECT coalesce(sum(polls), 0) FROM poll_chunks"))


async def blocks(conn: asyncpg.Connection) -> list[int]:
    """The blocks that hold any poll."""
    return [r["block"] for r in await conn.fetch("SELECT DISTINCT block FROM poll_chunks")]


async def days(conn: asyncpg.Connection) -> Iterable[date]:
    """The UTC days that hold any poll."""
    return [r["day"] for r in await conn.fetch("SELECT DISTINCT day FROM poll_chunks")]
