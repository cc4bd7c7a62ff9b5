"""Ingest of the polls feed: COPY into a staging table, validate in SQL, append to polls.

Checking and converting in PostgreSQL keeps ingest close to the speed of a bare COPY; the
staging table's identity column gives every row its physical line number for error messages.
"""

import re
from datetime import date
from pathlib import Path

import asyncpg

from shared.ingest.source import CsvSource, open_source

_LINE_SHIFT = 1 << 32  # seq = (ingest id << 32) + line: later files, then later lines, win
_WHITESPACE = r"E' \t\n\r\f\013'"  # what Python's str.strip() removes, for btrim
_TIMESTAMP = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d"
    r"(:[0-5]\d(\.\d{1,6})?)?( ?(UTC|[Zz]|[+-]([01]\d|2[0-3])(:?[0-5]\d)?))?$"
)
_COPY_LINE = re.compile(r"line (\d+)")


async def ingest_polls(conn: asyncpg.Connection, path: Path) -> tuple[int, int]:
    """Append the polls of `path`; all or nothing. Returns (polls, distinct stores)."""
    source = open_source(path, [["store_id"], ["status"], ["timestamp_utc"]])
    cols = [f"c{i}" for i in range(len(source.columns))]
    store = f"btrim(c{source.index('store_id')}, {_WHITESPACE})"
    status = f"lower(c{source.index('status')})"
    raw_ts = f"c{source.index('timestamp_utc')}"
    ts = f"btrim({raw_ts})"
    async with conn.transaction():
        await conn.execute("SET LOCAL TimeZone = 'UTC'")  # a timestamp without zone is UTC
        await conn.execute(
            "CREATE TEMP TABLE poll_stage (line bigint GENERATED ALWAYS AS IDENTITY (START 2), "
            + ", ".join(f"{c} text" for c in cols)
            + ") ON COMMIT DROP"
        )
        await _copy(conn, source, cols)
        await _validate(conn, source, store, status, raw_ts, ts)
        ingest_id = await conn.fetchval(
            "INSERT INTO ingests (kind, source) VALUES ('polls', $1) RETURNING id", str(path)
        )
        await conn.execute(
            f"INSERT INTO stores (store_id) SELECT DISTINCT {store} FROM poll_stage "
            "ON CONFLICT DO NOTHING"
        )
        try:
            async with conn.transaction():  # a savepoint: the stage stays readable on failure
                inserted = await conn.execute(
                    f"INSERT INTO polls (store, ts, active, seq) "
                    f"SELECT s.id, {ts}::timestamptz, {status} = 'active', $1 + p.line "
                    f"FROM poll_stage p JOIN stores s ON s.store_id = {store}",
                    ingest_id * _LINE_SHIFT,
                )
        except asyncpg.DataError:
            raise await _bad_timestamp(conn, source, raw_ts, ts) from None
        rows = int(inserted.split()[-1])
        stores = await conn.fetchval(f"SELECT count(DISTINCT {store}) FROM poll_stage")
        await conn.execute("UPDATE ingests SET rows = $1 WHERE id = $2", rows, ingest_id)
    return rows, int(stores)


async def _copy(conn: asyncpg.Connection, source: CsvSource, cols: list[str]) -> None:
    with source.path.open("rb") as f:
        f.seek(source.start)
        try:
            await conn.copy_to_table(
                "poll_stage", source=f, columns=cols, format="csv", header=True
            )
        except (asyncpg.DataError, asyncpg.CharacterNotInRepertoireError) as e:
            line = _COPY_LINE.search(getattr(e, "context", "") or "")
            raise source.error(int(line[1]) if line else 0, str(e)) from None


async def _validate(
    conn: asyncpg.Connection, source: CsvSource, store: str, status: str, raw_ts: str, ts: str
) -> None:
    bad = await conn.fetchrow(
        f"""SELECT line, reason FROM (
              SELECT line, CASE
                WHEN {store} IS NULL OR {store} = '' THEN 'empty store_id'
                WHEN {status} IS NULL OR {status} NOT IN ('active', 'inactive')
                  THEN format('bad status %L (expected active or inactive)', {status})
                WHEN {ts} IS NULL OR {ts} !~ $1
                  THEN format('unparseable timestamp_utc %L', {raw_ts})
              END AS reason FROM poll_stage) checked
            WHERE reason IS NOT NULL ORDER BY line LIMIT 1""",
        _TIMESTAMP,
    )
    if bad:
        raise source.error(bad["line"], bad["reason"])


async def _bad_timestamp(
    conn: asyncpg.Connection, source: CsvSource, raw_ts: str, ts: str
) -> Exception:
    """The first row whose date does not exist (e.g. February 30): all the regex lets through."""
    async with conn.transaction():
        async for row in conn.cursor(f"SELECT line, {raw_ts} AS raw, {ts} AS ts FROM poll_stage"):
            try:
                date.fromisoformat(row["ts"][:10])
            except ValueError as e:
                return source.error(row["line"], f"unparseable timestamp_utc {row['raw']!r}: {e}")
    return source.error(0, "unparseable timestamp_utc")
