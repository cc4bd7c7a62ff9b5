"""The present state of the stores (store_present) and what each block of stores was last
evaluated on (present_blocks): a block behind the latest poll, the latest polls ingest or the
current snapshots is evaluated again (worker/present.py)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import numpy as np

from shared.db.ingests import CURRENT_HOURS, CURRENT_TIMEZONES, LATEST_POLL
from shared.instants import from_us
from shared.pollchunks import STORE_BLOCK
from shared.uptime.compute import SPAN_US
from shared.uptime.present import States

SPAN = timedelta(microseconds=SPAN_US)
STALE = timedelta(hours=2)  # a store without a poll this long before now is stale


@dataclass(frozen=True)
class Watermark:
    """What the present is evaluated on: the latest poll (now), the latest polls ingest, the
    current snapshots of hours and zones."""

    now: datetime | None
    ingest: int
    hours_snapshot: int
    timezones_snapshot: int


_CURRENT = (
    f"SELECT {LATEST_POLL} AS now,"
    " (SELECT coalesce(max(id), 0) FROM ingests WHERE kind = 'polls') AS ingest,"
    f" {CURRENT_HOURS} AS hours_snapshot, {CURRENT_TIMEZONES} AS timezones_snapshot"
)
# The blocks with polls in the span of the latest poll that were evaluated on anything older.
_BEHIND = (
    f"WITH w AS ({_CURRENT}) SELECT b.block FROM w,"
    " (SELECT DISTINCT block FROM poll_chunks, w WHERE rank IS NOT NULL"
    "  AND day >= (w.now - $1::interval)::date) b"
    " LEFT JOIN present_blocks p ON p.block = b.block"
    " WHERE p.block IS NULL OR p.evaluated_now < w.now OR p.ingest < w.ingest"
    " OR p.hours_snapshot <> w.hours_snapshot OR p.timezones_snapshot <> w.timezones_snapshot"
    " ORDER BY b.block"
)


async def current(conn: asyncpg.Connection) -> Watermark:
    row = await conn.fetchrow(_CURRENT)
    assert row is not None
    return Watermark(**dict(row))


async def behind(conn: asyncpg.Connection) -> list[int]:
    """The blocks whose present is older than the latest data."""
    return [r["block"] for r in await conn.fetch(_BEHIND, SPAN)]


async def evaluated(conn: asyncpg.Connection, block: int) -> Watermark | None:
    row = await conn.fetchrow(
        "SELECT evaluated_now AS now, ingest, hours_snapshot, timezones_snapshot"
        " FROM present_blocks WHERE block = $1",
        block,
    )
    return None if row is None else Watermark(**dict(row))


async def announced(conn: asyncpg.Connection, block: int) -> dict[int, datetime]:
    """The block's stores with an outage announced (store.down sent, no store.up yet): the
    outage's start."""
    rows = await conn.fetch(
        "SELECT store, alerted_since FROM store_present"
        " WHERE block = $1 AND alerted_since IS NOT NULL",
        block,
    )
    return {r["store"]: r["alerted_since"] for r in rows}


async def save(
    conn: asyncpg.Connection,
    block: int,
    keys: np.ndarray,
    states: States,
    announced: dict[int, datetime],
    mark: Watermark,
) -> None:
    """Store the block's new states (`keys`: the store key of each state) and the outages
    announced, and record what they were evaluated on."""
    n = len(keys)
    us = [states.since, states.last_poll]
    since, last_poll = ([from_us(int(v)) for v in column.tolist()] for column in us)
    await conn.execute(
        "INSERT INTO store_present (store, block, open, down, since, last_poll, alerted_since)"
        " SELECT * FROM unnest($1::int4[], $2::int4[], $3::bool[], $4::bool[],"
        "  $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])"
        " ON CONFLICT (store) DO UPDATE SET open = excluded.open, down = excluded.down,"
        " since = excluded.since, last_poll = excluded.last_poll,"
        " alerted_since = excluded.alerted_since",
        keys.tolist(),
        [block] * n,
        states.open.tolist(),
        states.down.tolist(),
        since,
        last_poll,
        [announced.get(int(k)) for k in keys.tolist()],
    )
    await conn.execute(
        "INSERT INTO present_blocks (block, evaluated_now, ingest, hours_snapshot,"
        " timezones_snapshot) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (block) DO UPDATE SET"
        " evaluated_now = excluded.evaluated_now, ingest = excluded.ingest,"
        " hours_snapshot = excluded.hours_snapshot,"
        " timezones_snapshot = excluded.timezones_snapshot",
        block,
        mark.now,
        mark.ingest,
        mark.hours_snapshot,
        mark.timezones_snapshot,
    )


def block_keys(block: int) -> tuple[int, int]:
    """The store keys of a block: lo ≤ key < hi."""
    return max(block * STORE_BLOCK, 1), (block + 1) * STORE_BLOCK


# --- what the API reads ----------------------------------------------------------------------

# Stores with a poll in the span before now ($1; $2 the span); stale: none in the last 2 hours.
_FLEET = (
    "FROM store_present p JOIN stores s ON s.id = p.store"
    " WHERE p.last_poll >= $1::timestamptz - $2::interval"
)


async def counts(conn: asyncpg.Connection, now: datetime) -> dict[str, int]:
    """Stores with a poll in the span before `now`: open and up, open and down, closed; and
    stale (no poll in the last 2 hours: any of the others too)."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE open AND NOT down) AS open_up,"
        " count(*) FILTER (WHERE open AND down) AS open_down,"
        " count(*) FILTER (WHERE NOT open) AS closed,"
        f" count(*) FILTER (WHERE p.last_poll < $1::timestamptz - $3::interval) AS stale {_FLEET}",
        now,
        SPAN,
        STALE,
    )
    assert row is not None
    return {name: int(row[name]) for name in ("open_up", "open_down", "closed", "stale")}


async def stores(
    conn: asyncpg.Connection,
    now: datetime,
    down_only: bool,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[asyncpg.Record]:
    """A page of the stores: the open and down ones longest-down first (by since, then
    store_id), or every one in store_id order; after `after` (the since and store_id of the
    last of the previous page)."""
    select = f"SELECT s.store_id, p.open, p.down, p.since, p.last_poll {_FLEET}"
    if down_only:
        rows: Sequence[asyncpg.Record] = await conn.fetch(
            f"{select} AND p.open AND p.down AND ($4::timestamptz IS NULL"
            " OR (p.since, s.store_id) > ($4, $5::text)) ORDER BY p.since, s.store_id LIMIT $3",
            now,
            SPAN,
            limit,
            None if after is None else after[0],
            None if after is None else after[1],
        )
    else:
        rows = await conn.fetch(
            f"{select} AND ($4::text IS NULL OR s.store_id > $4) ORDER BY s.store_id LIMIT $3",
            now,
            SPAN,
            limit,
            None if after is None else after[1],
        )
    return rows
