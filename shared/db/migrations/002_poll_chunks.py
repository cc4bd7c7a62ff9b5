"""Polls packed in chunks (see shared/pollchunks.py) instead of one row per poll: the new
table, every stored poll moved into it (the latest line of each store and instant, as readers
kept it), the old table dropped; and the reports' progress column, now derived from the shards.

A migration does the same to an old database whatever the code around it has become: it uses no
live code (the chunk layout of shared/pollchunks.py may change in a later migration), only its
own frozen copy of the layout of version 2, below."""

from datetime import date, timedelta

import asyncpg
import numpy as np

# The chunk layout of version 2 (shared/pollchunks.py as it was): a block is 4,096 store keys;
# per poll, big-endian, the store key within the block (uint16), microseconds since the Unix
# epoch (int64) and active (uint8); offsets[k] … offsets[k+1] − 1 are store k's polls.
STORE_BLOCK = 4_096
STORES, TS, ACTIVE = np.dtype(">u2"), np.dtype(">i8"), np.dtype("u1")

SCHEMA = """
-- A chunk is a block of 4,096 store keys on one UTC day; its polls are sorted by store and
-- time, one per instant. Ranks order the chunks of a block and day: the higher one wins an
-- instant held twice (an ingest takes the next rank as it commits; a compacted chunk keeps the
-- highest rank it merged). rank is NULL only inside the transaction of the ingest writing it.
CREATE SEQUENCE poll_chunk_ranks;
CREATE TABLE poll_chunks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    block integer NOT NULL,
    day date NOT NULL,
    ingest bigint NOT NULL,  -- the ingest that wrote it (compacted: the newest it merges)
    rank bigint,
    polls integer NOT NULL,
    offsets integer[] NOT NULL,  -- 4,097: store k of the block has polls offsets[k+1] … [k+2]-1
    stores bytea NOT NULL,  -- per poll, big-endian: store key - block * 4096 (uint16)
    ts bytea NOT NULL,  -- microseconds since 1970-01-01 UTC (int64)
    active bytea NOT NULL  -- 1 or 0 (uint8)
);
-- Uncompressed out-of-line values: a read of a few stores fetches only their slices.
ALTER TABLE poll_chunks ALTER stores SET STORAGE EXTERNAL, ALTER ts SET STORAGE EXTERNAL,
    ALTER active SET STORAGE EXTERNAL;
CREATE INDEX poll_chunks_block_day ON poll_chunks (block, day);
CREATE INDEX poll_chunks_ingest ON poll_chunks (ingest);
ALTER TABLE reports DROP COLUMN progress;
"""


async def apply(conn: asyncpg.Connection) -> None:
    await conn.execute("SET LOCAL TimeZone = 'UTC'")  # the days of the old partitions
    await conn.execute(SCHEMA)
    found = await conn.fetchrow(
        "SELECT min(ts) AS first, max(ts) AS last, max(store) AS top, max(seq >> 32) AS newest "
        "FROM polls"
    )
    if found["first"] is not None:
        day = found["first"].date()
        while day <= found["last"].date():
            for block in range(found["top"] // STORE_BLOCK + 1):
                await _move(conn, block, day, found["newest"])
            day += timedelta(days=1)
        await conn.execute("SELECT setval('poll_chunk_ranks', $1)", found["newest"])
    await conn.execute("DROP TABLE polls")


async def _move(conn: asyncpg.Connection, block: int, day: date, newest: int) -> None:
    """The polls of one block and day (one partition of the old table), as one chunk: sorted
    by store and time, one per instant (the latest line, the highest seq, as readers kept it),
    ranked as the newest ingest so far (ingests after the move outrank it)."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (store, ts) store, (extract(epoch FROM ts) * 1000000)::int8 AS us,"
        " active FROM polls WHERE store >= $1 AND store < $2"
        " AND ts >= $3::date AND ts < $3::date + 1 ORDER BY store, ts, seq DESC",
        block * STORE_BLOCK,
        (block + 1) * STORE_BLOCK,
        day,
    )
    if not rows:
        return
    within = np.fromiter((r["store"] - block * STORE_BLOCK for r in rows), np.int64, len(rows))
    us = np.fromiter((r["us"] for r in rows), np.int64, len(rows))
    active = np.fromiter((r["active"] for r in rows), bool, len(rows))
    offsets = np.concatenate(([0], np.cumsum(np.bincount(within, minlength=STORE_BLOCK))))
    chunk = (
        block,
        day,
        newest,  # ingest
        newest,  # rank
        len(rows),
        offsets.tolist(),
        within.astype(STORES).tobytes(),
        us.astype(TS).tobytes(),
        active.astype(ACTIVE).tobytes(),
    )
    await conn.copy_records_to_table(
        "poll_chunks",
        records=[chunk],
        columns=["block", "day", "ingest", "rank", "polls", "offsets", "stores", "ts", "active"],
    )
