"""The ingests table: one row per ingested file. A polls file's id orders its polls after
earlier files'; an hours or timezones file's id names its snapshot."""

from datetime import datetime
from pathlib import Path

import asyncpg

LINE_SHIFT = 1 << 32  # a poll's seq = (ingest id << 32) + line: later files, then later lines, win
# Subqueries for statements that must read them atomically with their own work (a report's
# default as_of and pinned snapshots are read in the statement that records it).
LATEST_POLL = "(SELECT max(max_ts) FROM ingests WHERE kind = 'polls')"
CURRENT_HOURS = "(SELECT coalesce(max(id), 0) FROM ingests WHERE kind = 'hours')"
CURRENT_TIMEZONES = "(SELECT coalesce(max(id), 0) FROM ingests WHERE kind = 'timezones')"


async def new(conn: asyncpg.Connection, kind: str, path: Path, rows: int = 0) -> int:
    """Record an ingest of `kind` ('polls', 'hours' or 'timezones'); its id."""
    return int(
        await conn.fetchval(
            "INSERT INTO ingests (kind, source, rows) VALUES ($1, $2, $3) RETURNING id",
            kind,
            str(path),
            rows,
        )
    )


async def close_polls(
    conn: asyncpg.Connection, ingest_id: int, rows: int, latest: datetime | None
) -> None:
    """Record a polls ingest's rows and latest instant (the default as_of needs no scan)."""
    await conn.execute(
        "UPDATE ingests SET rows = $2, max_ts = $3 WHERE id = $1", ingest_id, rows, latest
    )


async def latest_poll(conn: asyncpg.Connection) -> datetime | None:
    """The latest poll instant ever ingested (the default as_of)."""
    latest: datetime | None = await conn.fetchval(f"SELECT {LATEST_POLL}")
    return latest


async def polls_ingested(conn: asyncpg.Connection) -> int:
    """Poll rows ingested over all files."""
    return int(
        await conn.fetchval("SELECT coalesce(sum(rows), 0) FROM ingests WHERE kind = 'polls'")
    )


# The channels an ingest notifies as it commits: workers LISTEN to them and queue the follow-up
# work (worker/followups.py). The payload is the ingest's id; listeners look at the database.
CHANNELS = {
    "polls": "storemon_polls",
    "hours": "storemon_snapshots",
    "timezones": "storemon_snapshots",
}


async def notify(conn: asyncpg.Connection, kind: str, ingest_id: int) -> None:
    """Tell the listening workers, when (and only if) this transaction commits, that an ingest
    of `kind` was stored."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNELS[kind], str(ingest_id))
