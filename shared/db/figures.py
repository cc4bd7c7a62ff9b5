"""The daily_figures, month_figures and figure_marks tables: each store's figures per local date
(and combined per calendar month), per block of store keys and snapshot pair (the layout is in
shared/figurerows.py), and how far each pair's figures of a block have taken the poll chunks
into account.

The figures job of a block (worker/figures.py) writes rows and advances the mark, one at a time
(an advisory lock per block); a report reads the rows of its pinned snapshots, the mark, and the
polls of chunks ranked after it (those the rows may not reflect)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import locks
from shared.db.ingests import CURRENT_HOURS, CURRENT_TIMEZONES
from shared.db.reports import PINNING
from shared.figurerows import RECORD

# A month's row is made once the block's polls reach this far past the month's end: a poll
# changes only the dates within a day of it (MARGIN), and a local date lies within a day of its
# UTC date, so on-time polls no longer change the month's dates (a late one makes it again).
RIPE = timedelta(3)


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
    but: Sequence[date] = (),
) -> list[Row]:
    """The rows of `block` on local dates first … last but those of the months `but` (their
    first dates), each holding the records of the runs of keys [starts[i], ends[i]) (relative
    to the block, in order) that it has: a row made before a key existed holds fewer records
    than the runs ask for."""
    where = "day BETWEEN $6 AND $7 AND date_trunc('month', day)::date <> ALL($8::date[])"
    return await _slices(
        conn, "daily_figures", "day", where, pair, block, starts, ends, first, last, list(but)
    )


async def read_months(
    conn: asyncpg.Connection,
    pair: Pair,
    block: int,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    months: Sequence[date],
) -> list[Row]:
    """The month rows of `block` of `months` (their first dates) that exist, as `read`'s."""
    where = "month = ANY($6::date[])"
    return await _slices(
        conn, "month_figures", "month", where, pair, block, starts, ends, list(months)
    )


async def _slices(
    conn: asyncpg.Connection,
    table: str,
    key: str,
    where: str,
    pair: Pair,
    block: int,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    *more: object,
) -> list[Row]:
    """The rows of a table of packed records (`key`: their date) under a pair and a block that
    match `where` (its parameters, from $6 on: `more`), each holding the records of the runs
    of keys asked for."""
    width = RECORD.itemsize
    rows = await conn.fetch(
        f"SELECT {key} AS day, stores, string_agg(substring(figures"
        f" FROM {width} * a + 1 FOR {width} * (b - a)), '' ORDER BY n) AS records "
        f"FROM {table}, unnest($4::int4[], $5::int4[]) WITH ORDINALITY AS r(lo, hi, n),"
        " LATERAL (SELECT least(lo, stores) AS a, least(hi, stores) AS b) clipped "
        f"WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND block = $3 AND {where} "
        f"GROUP BY {key}, stores ORDER BY {key}",
        pair.hours,
        pair.zones,
        block,
        starts.tolist(),
        ends.tolist(),
        *more,
    )
    return [Row(r["day"], r["stores"], r["records"]) for r in rows]


async def days(conn: asyncpg.Connection, pair: Pair, block: int) -> set[date]:
    """The local dates that have a row of `block` under `pair`."""
    return await _dates(conn, "daily_figures", "day", pair, block)


async def months(conn: asyncpg.Connection, pair: Pair, block: int) -> set[date]:
    """The months (their first dates) that have a row of `block` under `pair`."""
    return await _dates(conn, "month_figures", "month", pair, block)


async def _dates(
    conn: asyncpg.Connection, table: str, key: str, pair: Pair, block: int
) -> set[date]:
    rows = await conn.fetch(
        f"SELECT {key} FROM {table} "
        "WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND block = $3",
        pair.hours,
        pair.zones,
        block,
    )
    return {r[key] for r in rows}


async def write(
    conn: asyncpg.Connection, pair: Pair, block: int, rows: list[tuple[date, int, bytes]]
) -> None:
    """Store (day, stores, records) rows of `block` under `pair`, replacing those there."""
    await _upsert(conn, "daily_figures", "day", pair, block, rows)


async def write_months(
    conn: asyncpg.Connection, pair: Pair, block: int, rows: list[tuple[date, int, bytes]]
) -> None:
    """Store (month, stores, records) month rows of `block` under `pair`, replacing those
    there."""
    await _upsert(conn, "month_figures", "month", pair, block, rows)


async def _upsert(
    conn: asyncpg.Connection,
    table: str,
    key: str,
    pair: Pair,
    block: int,
    rows: list[tuple[date, int, bytes]],
) -> None:
    await conn.executemany(
        f"INSERT INTO {table} (hours_snapshot, timezones_snapshot, block, {key}, stores, figures)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        f" ON CONFLICT (hours_snapshot, timezones_snapshot, block, {key})"
        " DO UPDATE SET stores = excluded.stores, figures = excluded.figures",
        [(pair.hours, pair.zones, block, day, n, data) for day, n, data in rows],
    )


async def month_days(
    conn: asyncpg.Connection, pair: Pair, block: int, month: date, end: date
) -> list[tuple[int, bytes]]:
    """The day rows (stores, records) of `block` on the dates of a month [month, end), in
    order."""
    rows = await conn.fetch(
        "SELECT stores, figures FROM daily_figures WHERE hours_snapshot = $1"
        " AND timezones_snapshot = $2 AND block = $3 AND day >= $4 AND day < $5 ORDER BY day",
        pair.hours,
        pair.zones,
        block,
        month,
        end,
    )
    return [(r["stores"], r["figures"]) for r in rows]


async def drop_months(conn: asyncpg.Connection, pair: Pair, block: int, months: list[date]) -> None:
    """Remove the rows of `months` of `block` under `pair` (some of their dates are changing)."""
    await conn.execute(
        "DELETE FROM month_figures WHERE hours_snapshot = $1 AND timezones_snapshot = $2"
        " AND block = $3 AND month = ANY($4::date[])",
        pair.hours,
        pair.zones,
        block,
        months,
    )


async def months_everywhere(
    conn: asyncpg.Connection, pair: Pair, months: Sequence[date]
) -> list[date]:
    """Those of `months` that have a row under `pair` in every block that has polls."""
    rows = await conn.fetch(
        "SELECT month FROM month_figures"
        " WHERE hours_snapshot = $1 AND timezones_snapshot = $2 AND month = ANY($3::date[])"
        " GROUP BY month"
        " HAVING count(*) >= (SELECT count(DISTINCT block) FROM poll_chunks) ORDER BY month",
        pair.hours,
        pair.zones,
        list(months),
    )
    return [r["month"] for r in rows]


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
    report that still reads them, and the rows of local dates (and months) before `keep_from`
    (some of the polls they were computed from are gone); day rows dropped."""
    unused = (
        f"NOT ((hours_snapshot, timezones_snapshot) = ({CURRENT_HOURS}, {CURRENT_TIMEZONES})"
        " OR EXISTS (SELECT 1 FROM reports r WHERE r.status IN ("
        f"{', '.join(repr(s) for s in PINNING)}) AND r.hours_snapshot = t.hours_snapshot"
        " AND r.timezones_snapshot = t.timezones_snapshot))"
    )
    await conn.execute(f"DELETE FROM figure_marks t WHERE {unused}")
    # A month row goes with the first of its dates.
    await conn.execute(f"DELETE FROM month_figures t WHERE month < $1 OR {unused}", keep_from)
    done = await conn.execute(f"DELETE FROM daily_figures t WHERE day < $1 OR {unused}", keep_from)
    return int(done.split()[-1])


async def behind(conn: asyncpg.Connection) -> list[int]:
    """The blocks whose figures of the current snapshots have work to do: polls newer than
    their mark, no mark (a new pair of snapshots), dates with polls but no figures, or a ripe
    month whose dates all have figures but that has no row (worker/figures.py)."""
    pair = await current_pair(conn)
    rows = await conn.fetch(
        "SELECT c.block FROM poll_chunks c LEFT JOIN figure_marks m"
        " ON m.hours_snapshot = $1 AND m.timezones_snapshot = $2 AND m.block = c.block "
        "GROUP BY c.block, m.rank HAVING m.rank IS NULL OR max(c.rank) > m.rank"
        " OR max(c.day) - min(c.day) + 3 > (SELECT count(*) FROM daily_figures f"
        "  WHERE f.hours_snapshot = $1 AND f.timezones_snapshot = $2 AND f.block = c.block"
        "  AND f.day BETWEEN min(c.day) - 1 AND max(c.day) + 1)"
        " OR EXISTS (SELECT FROM (SELECT date_trunc('month', f.day)::date AS month,"
        "   count(*) AS days FROM daily_figures f WHERE f.hours_snapshot = $1"
        "   AND f.timezones_snapshot = $2 AND f.block = c.block GROUP BY 1) d"
        "  WHERE (d.month + interval '1 month')::date + $3::int <= max(c.day)"
        "  AND d.days = (d.month + interval '1 month')::date - d.month"
        "  AND NOT EXISTS (SELECT FROM month_figures t WHERE t.hours_snapshot = $1"
        "   AND t.timezones_snapshot = $2 AND t.block = c.block AND t.month = d.month))",
        pair.hours,
        pair.zones,
        RIPE.days,
    )
    return [int(r["block"]) for r in rows]
