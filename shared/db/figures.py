"""The daily_figures and figure_marks tables: each store's figures per local date, per block of
store keys and snapshot pair (the layout is in shared/figurerows.py), and how far each pair's
figures of a block have taken the poll chunks into account.

The figures job of a block (worker/figures.py) writes rows and advances the mark, one at a time
(an advisory lock per block); a report reads the rows of its pinned snapshots, the mark, and the
polls of chunks ranked after it (those the rows may not reflect)."""

from dataclasses import dataclass
from datetime import date

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import locks
from shared.db.ingests import CURRENT_HOURS, CURRENT_TIMEZONES
from shared.db.reports import PINNING
from shared.figurerows import RECORD


@dataclass(frozen=True, order=True)
class Pair:
    """An hours snapshot and a zones snapshot (0: none ingested)."""

    hours: int
    zones: int


async def current_pair(conn: asyncpg.Connection) -> Pair:
    """The snapshots the next report would pin."""
    row = await conn.fetchrow(f"SELECT {CURRENT_HOURS} AS hours, {CURRENT_TIMEZONES} AS zones")
    assert row is not None
    return Pair(int(row["hours"]), int(row["zones"]))


@dataclass(frozen=True)
class Row:
    """A row's day, its number of records and the records read (of the runs asked for)."""

    day: date
    stores: int
    records: bytes


async def read(
    conn: asyncpg.Connection,
    pair: Pair,
    block: int,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    first: date,
    last: date,
) -> list[Row]:
    """The rows of `block` on local dates first … last, each holding the records of the runs of
    keys [starts[i], ends[i]) (relative to the block, in order) that it has: a row made before
    a key existed holds fewer records than the runs ask for."""
    width = RECORD.itemsize
    rows = await conn.fetch(
        "SELECT day, stores, string_agg(substring(figures"
        f" FROM {width} * a + 1 FOR {width} * (b - a)), '' ORDER BY n) AS records "
        "FROM daily_figures, unnest($4::int4[], $5::int4[]) WITH ORDINALITY AS r(lo, hi, n),"
        " LATERAL (SELECT least(lo, stores) AS a, least(hi, stores) AS b) clipped "
        "WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND block = $3"
        " AND day BETWEEN $6 AND $7 "
        "GROUP BY day, stores ORDER BY day",
        pair.hours,
        pair.zones,
        block,
        starts.tolist(),
        ends.tolist(),
        first,
        last,
    )
    return [Row(r["day"], r["stores"], r["records"]) for r in rows]


async def days(conn: asyncpg.Connection, pair: Pair, block: int) -> set[date]:
    """The local dates that have a row of `block` under `pair`."""
    rows = await conn.fetch(
        "SELECT day FROM daily_figures "
        "WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND block = $3",
        pair.hours,
        pair.zones,
        block,
    )
    return {r["day"] for r in rows}


async def write(
    conn: asyncpg.Connection, pair: Pair, block: int, rows: list[tuple[date, int, bytes]]
) -> None:
    """Store (day, stores, records) rows of `block` under `pair`, replacing those there."""
    await conn.executemany(
        "INSERT INTO daily_figures"
        " (hours_snapshot, timezones_snapshot, block, day, stores, figures)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (hours_snapshot, timezones_snapshot, block, day)"
        " DO UPDATE SET stores = excluded.stores, figures = excluded.figures",
        [(pair.hours, pair.zones, block, day, n, data) for day, n, data in rows],
    )


async def mark(conn: asyncpg.Connection, pair: Pair, block: int) -> int | None:
    """The rank up to which `pair`'s rows of `block` reflect every chunk (None: no mark)."""
    rank: int | None = await conn.fetchval(
        "SELECT rank FROM figure_marks "
        "WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND block = $3",
        pair.hours,
        pair.zones,
        block,
    )
    return rank


async def set_mark(conn: asyncpg.Connection, pair: Pair, block: int, rank: int) -> None:
    await conn.execute(
        "INSERT INTO figure_marks (hours_snapshot, timezones_snapshot, block, rank)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (hours_snapshot, timezones_snapshot, block)"
        " DO UPDATE SET rank = excluded.rank",
        pair.hours,
        pair.zones,
        block,
        rank,
    )


async def try_lock(conn: asyncpg.Connection, block: int) -> bool:
    """The session's hold on `block`'s figures (one job at a time); False: another has it."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", locks.FIGURES, block))


async def unlock(conn: asyncpg.Connection, block: int) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, $2)", locks.FIGURES, block)


async def drop_unused(conn: asyncpg.Connection, keep_from: date) -> int:
    """Drop the figures (and marks) of snapshot pairs that are neither current nor pinned by a
    report that still reads them, and the rows of local dates before `keep_from` (some of the
    polls they were computed from are gone); rows dropped."""
    unused = (
        f"NOT ((hours_snapshot, timezones_snapshot) = ({CURRENT_HOURS}, {CURRENT_TIMEZONES})"
        " OR EXISTS (SELECT 1 FROM reports r WHERE r.status IN ("
        f"{', '.join(repr(s) for s in PINNING)}) AND r.hours_snapshot = t.hours_snapshot"
        " AND r.timezones_snapshot = t.timezones_snapshot))"
    )
    await conn.execute(f"DELETE FROM figure_marks t WHERE {unused}")
    done = await conn.execute(f"DELETE FROM daily_figures t WHERE day < $1 OR {unused}", keep_from)
    return int(done.split()[-1])
