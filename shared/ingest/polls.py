"""Ingest of the polls feed: COPY into a staging table, then one checking INSERT into polls.

Checking and converting in PostgreSQL keeps ingest close to the speed of a bare COPY. The
staging table's identity column gives every row its physical line number for error messages.
A first, cheap pass groups the rows by (store, text date) for the new store ids and the daily
partitions; the INSERT then checks every row as it converts it, and only when it stored fewer
rows than it read (or PostgreSQL refused a timestamp) is the first bad line looked up.
"""

from datetime import date, timedelta
from pathlib import Path

import asyncpg

from shared.errors import FileRowError
from shared.ingest.source import CsvSource, open_source

_LINE_SHIFT = 1 << 32  # seq = (ingest id << 32) + line: later files, then later lines, win
_WHITESPACE = r"E' \t\n\r\f\013'"  # what Python's str.strip() removes, for btrim
_PARTITION_LOCK = 0x5704E1  # advisory lock key: concurrent ingests create partitions in turn
_DAY = timedelta(days=1)


class _Columns:
    """SQL expressions over the staging table's columns c0…cN, found by header name."""

    def __init__(self, source: CsvSource) -> None:
        self.names = [f"c{i}" for i in range(len(source.columns))]
        self.raw_store = f"c{source.index('store_id')}"
        self.raw_status = f"c{source.index('status')}"
        self.raw_ts = f"c{source.index('timestamp_utc')}"
        self.store = f"btrim({self.raw_store}, {_WHITESPACE})"
        self.status = f"lower({self.raw_status})"
        self.ts = f"btrim({self.raw_ts})"
        # The shape `YYYY-MM-DD HH:MM…` keeps out what the cast would also take ('now',
        # 'epoch', a bare date, 'Jan 22 2023'); the cast itself checks the rest.
        self.ok = (
            f"({self.status} IN ('active', 'inactive') "
            f"AND ({self.ts} LIKE '____-__-__ __:__%' OR {self.ts} LIKE '____-__-__T__:__%'))"
        )


async def ingest_polls(conn: asyncpg.Connection, path: Path) -> tuple[int, int]:
    """Append the polls of `path`; all or nothing. Returns (polls, distinct stores)."""
    source = open_source(path, [["store_id"], ["status"], ["timestamp_utc"]])
    cols = _Columns(source)
    await conn.execute("SET TimeZone = 'UTC'")  # a timestamp without zone is UTC
    await conn.execute(
        "CREATE TEMP TABLE poll_stage (line bigint GENERATED ALWAYS AS IDENTITY (START 2), "
        + ", ".join(f"{c} text" for c in cols.names)
        + ")"
    )
    try:
        await _copy(conn, source, cols.names)
        await conn.execute(
            f"CREATE TEMP TABLE poll_groups AS SELECT {cols.store} AS store, "
            f"left({cols.ts}, 10) AS day, min(line) AS line FROM poll_stage GROUP BY 1, 2"
        )
        await _create_partitions(conn, await conn.fetch("SELECT DISTINCT day FROM poll_groups"))
        async with conn.transaction():
            return await _insert(conn, source, cols, path)
    finally:
        await conn.execute("DROP TABLE IF EXISTS poll_stage, poll_groups")


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


async def _create_partitions(conn: asyncpg.Connection, days: list[asyncpg.Record]) -> None:
    """Daily partitions around every date written in the file (an offset can move an instant
    to the day before or after), each in its own short transaction before the insert, so that
    readers of polls never wait for a long ingest."""
    existing = {
        r["name"]
        for r in await conn.fetch(
            "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'polls'::regclass"
        )
    }
    wanted: set[date] = set()
    for row in days:
        try:
            day = date.fromisoformat(row["day"] or "")
        except ValueError:
            continue  # not a date: the insert will name the line
        wanted.update({day - _DAY, day, day + _DAY})
    for day in sorted(wanted):
        name = f"polls_{day:%Y%m%d}"
        if name in existing:
            continue
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _PARTITION_LOCK)
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF polls FOR VALUES "
                f"FROM ('{day}T00:00:00Z') TO ('{day + _DAY}T00:00:00Z')"
            )


async def _insert(
    conn: asyncpg.Connection, source: CsvSource, cols: _Columns, path: Path
) -> tuple[int, int]:
    ingest_id = await conn.fetchval(
        "INSERT INTO ingests (kind, source) VALUES ('polls', $1) RETURNING id", str(path)
    )
    await conn.execute(
        "INSERT INTO stores (store_id) SELECT DISTINCT store FROM poll_groups "
        "WHERE store <> '' ORDER BY store ON CONFLICT DO NOTHING"
    )
    base = ingest_id * _LINE_SHIFT
    try:
        async with conn.transaction():  # a savepoint: the stage stays readable on failure
            inserted = await conn.execute(
                f"INSERT INTO polls (store, ts, active, seq) "
                f"SELECT s.id, {cols.ts}::timestamptz, {cols.status} = 'active', $1 + p.line "
                f"FROM poll_stage p JOIN stores s ON s.store_id = {cols.store} WHERE {cols.ok}",
                base,
            )
    except (asyncpg.DataError, asyncpg.CheckViolationError):
        # A timestamp of the right shape that PostgreSQL refuses, like February 30.
        bad_line = await conn.fetchval(
            f"SELECT min(line) FROM poll_stage "
            f"WHERE NOT coalesce({cols.store} <> '' AND {cols.ok} "
            f"AND storemon_is_timestamptz({cols.ts}), false)"
        )
        raise await _bad_row(conn, source, cols, bad_line) from None
    rows = int(inserted.split()[-1])
    staged, stores = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM poll_stage), "
        "count(DISTINCT store) FILTER (WHERE store <> '') FROM poll_groups"
    )
    if rows < staged:
        bad_line = await conn.fetchval(
            f"SELECT min(line) FROM poll_stage "
            f"WHERE NOT coalesce({cols.store} <> '' AND {cols.ok}, false)"
        )
        raise await _bad_row(conn, source, cols, bad_line)
    # The latest instant lies within a day of the latest date written in the file.
    await conn.execute(
        "UPDATE ingests SET rows = $2, max_ts = (SELECT max(ts) FROM polls "
        "  WHERE ts >= (SELECT max(day) FROM poll_groups WHERE day ~ '^\\d{4}-\\d\\d-\\d\\d$')"
        "::date - 1 AND seq >= $3) WHERE id = $1",
        ingest_id,
        rows,
        base,
    )
    return rows, int(stores)


async def _bad_row(
    conn: asyncpg.Connection, source: CsvSource, cols: _Columns, line: int
) -> FileRowError:
    row = await conn.fetchrow(
        f"SELECT {cols.raw_store} AS store, {cols.raw_status} AS status, {cols.raw_ts} AS ts "
        "FROM poll_stage WHERE line = $1",
        line,
    )
    assert row is not None
    if not (row["store"] or "").strip():
        return source.error(line, "empty store_id")
    if (row["status"] or "").lower() not in ("active", "inactive"):
        return source.error(line, f"bad status {row['status']!r} (expected active or inactive)")
    return source.error(line, f"unparseable timestamp_utc {row['ts'] or ''!r}")
