"""The polls ingest's general path: COPY into a staging table, check in SQL, append to polls.

It takes every file the spec allows, whatever PostgreSQL's timestamp parser accepts, and names
the first bad line of any other; polls.py sends it the files its Arrow reader does not take.
The staging table's identity column gives every row its line number. The work is two passes
over the staged rows, each kept to cheap expressions:
- a grouping by (raw store_id, date text) whose few groups are then checked (ids, date shape,
  length) and give the new store ids, the daily partitions to create and the id mapping;
- the INSERT, which converts each row (PostgreSQL parses the timestamp) and keeps rows whose
  status is exactly `active` or `inactive`; other spellings are added by a second INSERT.
Only when a check fails, PostgreSQL refuses a timestamp, or fewer rows were stored than read
is the first bad line searched for, row by row.
"""

from datetime import date, timedelta

import asyncpg

from shared.db import ingests
from shared.db.ingests import LINE_SHIFT
from shared.db.polls import block_of, blocks_with, ensure_partitions
from shared.errors import FileRowError
from shared.ingest.pollfile import WHITESPACE
from shared.ingest.source import CsvSource

_WHITESPACE = "E'" + "".join(f"\\{ord(c):03o}" for c in WHITESPACE) + "'"  # for btrim
_TRIMMED = f"btrim(raw_store, {_WHITESPACE})"  # a grouped store_id, as it is stored
_DAY = timedelta(days=1)
_DATE_SHAPE = r"^\d{4}-\d\d-\d\d$"
_SHORTEST_TIMESTAMP = len("2023-01-22 12:00")


class _Columns:
    """SQL over the staging table's text columns c0…cN, found by header name."""

    def __init__(self, source: CsvSource) -> None:
        self.names = [f"c{i}" for i in range(len(source.columns))]
        self.store = f"c{source.index('store_id')}"
        self.status = f"c{source.index('status')}"
        self.ts = f"c{source.index('timestamp_utc')}"
        # The row-by-row check of the error path: the same rules as the fast path's.
        self.row_ok = (
            f"coalesce(btrim({self.store}, {_WHITESPACE}) <> '' "
            f"AND lower({self.status}) IN ('active', 'inactive') "
            f"AND left({self.ts}, 10) ~ '{_DATE_SHAPE}' "
            f"AND length({self.ts}) >= {_SHORTEST_TIMESTAMP} "
            f"AND storemon_is_timestamptz({self.ts}), false)"
        )


async def ingest_staged(conn: asyncpg.Connection, source: CsvSource) -> tuple[int, int]:
    """Append the polls of `source`; all or nothing. Returns (polls, distinct stores)."""
    cols = _Columns(source)
    await conn.execute(
        "CREATE TEMP TABLE poll_stage (line bigint GENERATED ALWAYS AS IDENTITY (START 2), "
        + ", ".join(f"{c} text" for c in cols.names)
        + ")"
    )
    try:
        await _copy(conn, source, cols.names)
        # One pass, two groupings: per raw store_id (the ids to add) and per date text (the
        # partitions to make); both small, so checking them costs nothing.
        await conn.execute(
            f"CREATE TEMP TABLE poll_groups AS SELECT {cols.store} AS raw_store, "
            f"left({cols.ts}, 10) AS day, min(length({cols.ts})) AS shortest, count(*) AS n "
            f"FROM poll_stage GROUP BY GROUPING SETS (1, 2)"
        )
        if await conn.fetchval(
            f"SELECT count(*) FROM poll_groups WHERE NOT coalesce(CASE WHEN day IS NULL "
            f"THEN {_TRIMMED} <> '' "
            f"ELSE day ~ '{_DATE_SHAPE}' AND shortest >= {_SHORTEST_TIMESTAMP} END, false)"
        ):
            raise await _first_bad_row(conn, source, cols)
        days = await _days(conn)
        # Partitions are made before the long transaction (readers never wait for it), for
        # the store keys the file will need; a key taken meanwhile is handled inside.
        await ensure_partitions(conn, days, await _blocks_needed(conn))
        async with conn.transaction():
            await _add_stores(conn)
            await ensure_partitions(
                conn,
                days,
                block_of(await conn.fetchval("SELECT coalesce(max(id), 0) FROM poll_ids")) + 1,
            )
            return await _insert(conn, source, cols)
    finally:
        await conn.execute("DROP TABLE IF EXISTS poll_stage, poll_groups, poll_ids")


async def _copy(conn: asyncpg.Connection, source: CsvSource, cols: list[str]) -> None:
    with source.path.open("rb") as f:
        f.seek(source.start)
        try:
            await conn.copy_to_table(
                "poll_stage", source=f, columns=cols, format="csv", header=True
            )
        except (asyncpg.DataError, asyncpg.CharacterNotInRepertoireError) as e:
            context = getattr(e, "context", "") or ""
            line = context.split("line ", 1)[-1].split(":")[0].split(",")[0]
            raise source.error(int(line) if line.isdigit() else 0, str(e)) from None


async def _add_stores(conn: asyncpg.Connection) -> None:
    """Give new store ids their keys, and map the staged ids as written to keys, so the big
    INSERT joins without trimming each row."""
    await conn.execute(
        f"INSERT INTO stores (store_id) SELECT DISTINCT {_TRIMMED} "
        "FROM poll_groups WHERE day IS NULL ORDER BY 1 ON CONFLICT DO NOTHING"
    )
    await conn.execute(
        f"CREATE TEMP TABLE poll_ids AS SELECT g.raw_store AS raw, s.id FROM poll_groups g "
        f"JOIN stores s ON s.store_id = {_TRIMMED} WHERE g.day IS NULL"
    )


async def _days(conn: asyncpg.Connection) -> set[date]:
    """The UTC days the file's polls can fall on: each date written, and the day either side
    (an offset can move an instant across midnight)."""
    days = set()
    for row in await conn.fetch("SELECT day FROM poll_groups WHERE day IS NOT NULL"):
        try:
            day = date.fromisoformat(row["day"])
        except ValueError:
            continue  # not a date (February 30): the insert will name the line
        days |= {day - _DAY, day, day + _DAY}
    return days


async def _blocks_needed(conn: asyncpg.Connection) -> int:
    """Store-key blocks for the stores known and the file's new ones, if no one else adds."""
    return await blocks_with(
        conn,
        await conn.fetchval(
            f"SELECT count(*) FROM poll_groups g WHERE g.day IS NULL AND NOT EXISTS ("
            f"SELECT 1 FROM stores s WHERE s.store_id = {_TRIMMED})"
        ),
    )


async def _insert(conn: asyncpg.Connection, source: CsvSource, cols: _Columns) -> tuple[int, int]:
    ingest_id = await ingests.new(conn, "polls", source.path)
    base = ingest_id * LINE_SHIFT
    exact = f"(p.{cols.status} = 'active' OR p.{cols.status} = 'inactive')"

    def insert(status: str, where: str) -> str:
        return (
            f"INSERT INTO polls (store, ts, active, seq) "
            f"SELECT m.id, p.{cols.ts}::timestamptz, {status} = 'active', $1 + p.line "
            f"FROM poll_stage p JOIN poll_ids m ON m.raw = p.{cols.store} WHERE {where}"
        )

    staged, stores = await conn.fetchrow(
        f"SELECT sum(n), count(DISTINCT {_TRIMMED}) FROM poll_groups WHERE day IS NULL"
    )
    try:
        async with conn.transaction():  # a savepoint: the stage stays readable on failure
            rows = _count(await conn.execute(insert(f"p.{cols.status}", exact), base))
            if rows < staged:  # statuses in other letter cases
                lower = f"lower(p.{cols.status})"
                other = f"NOT {exact} AND {lower} IN ('active', 'inactive')"
                rows += _count(await conn.execute(insert(lower, other), base))
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError):
        raise await _first_bad_row(conn, source, cols) from None  # e.g. February 30
    if rows < staged:
        raise await _first_bad_row(conn, source, cols)
    # The latest instant lies within a day of the latest date written in the file.
    latest = await conn.fetchval(
        "SELECT max(ts) FROM polls WHERE ts >= $1::date - 1 AND seq >= $2",
        await conn.fetchval("SELECT max(day)::date FROM poll_groups"),
        base,
    )
    await ingests.close_polls(conn, ingest_id, rows, latest)
    return rows, int(stores)


def _count(status: str) -> int:
    return int(status.split()[-1])


async def _first_bad_row(
    conn: asyncpg.Connection, source: CsvSource, cols: _Columns
) -> FileRowError:
    """The first line that breaks a rule, checked row by row (only on the error path)."""
    line = await conn.fetchval(f"SELECT min(line) FROM poll_stage WHERE NOT {cols.row_ok}")
    row = await conn.fetchrow(
        f"SELECT {cols.store} AS store, {cols.status} AS status, {cols.ts} AS ts "
        "FROM poll_stage WHERE line = $1",
        line,
    )
    if row is None:
        return source.error(0, "a row could not be stored")
    if not (row["store"] or "").strip():
        return source.error(line, "empty store_id")
    if (row["status"] or "").lower() not in ("active", "inactive"):
        return source.error(line, f"bad status {row['status']!r} (expected active or inactive)")
    return source.error(line, f"unparseable timestamp_utc {row['ts'] or ''!r}")
