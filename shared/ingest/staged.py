"""The polls ingest's general path: COPY into a staging table, check in SQL, read the parsed
rows back.

It takes every file the spec allows, whatever PostgreSQL's timestamp parser accepts, and names
the first bad line of any other; polls.py sends it the files its Arrow reader does not take.
The staging table's identity column gives every row its line number. The work is two passes
over the staged rows, each kept to cheap expressions:
- a grouping by (raw store_id, date text) whose few groups are then checked (ids, date shape,
  length) and give the store ids to key;
- a binary COPY out, in line order, of each row converted (PostgreSQL parses the timestamp)
  with its store key, for the rows whose status is `active` or `inactive`.
Only when a check fails, PostgreSQL refuses a timestamp, fewer rows came back than were read, or
an instant is out of bounds is the first bad line searched for, row by row.
"""

import asyncpg

from shared.db import stores
from shared.db.binarycopy import BinaryCopyParser
from shared.errors import FileRowError
from shared.ingest.blocks import BlockFiles
from shared.ingest.source import CsvSource, quoted
from shared.instants import EPOCH, from_us
from shared.storeids import MAX_STORE_ID_BYTES, WHITESPACE

_WHITESPACE = "E'" + "".join(f"\\{ord(c):03o}" for c in WHITESPACE) + "'"  # for btrim
_TRIMMED = f"btrim(raw_store, {_WHITESPACE})"  # a grouped store_id, as it is stored
_DATE_SHAPE = r"^\d{4}-\d\d-\d\d$"
_SHORTEST_TIMESTAMP = len("2023-01-22 12:00")
_PARSED = [("store", "int4"), ("ts", "timestamptz"), ("active", "bool")]  # the COPY out


class _Columns:
    """SQL over the staging table's text columns c0…cN, found by header name."""

    def __init__(self, source: CsvSource) -> None:
        self.names = [f"c{i}" for i in range(len(source.columns))]
        self.store = f"c{source.index('store_id')}"
        self.status = f"c{source.index('status')}"
        self.ts = f"c{source.index('timestamp_utc')}"
        trimmed = f"btrim({self.store}, {_WHITESPACE})"
        # The row-by-row check of the error path: the same rules as the fast path's ($1: the
        # latest instant allowed).
        self.row_ok = (
            f"coalesce({trimmed} <> '' AND octet_length({trimmed}) <= {MAX_STORE_ID_BYTES} "
            f"AND lower({self.status}) IN ('active', 'inactive') "
            f"AND left({self.ts}, 10) ~ '{_DATE_SHAPE}' "
            f"AND length({self.ts}) >= {_SHORTEST_TIMESTAMP} "
            f"AND {self.bound} IS NULL, false)"
        )

    @property
    def bound(self) -> str:
        """'unparseable', 'early' (before 1970), 'late' (after $1) or NULL for a timestamp."""
        return (
            f"CASE WHEN NOT storemon_is_timestamptz({self.ts}) THEN 'unparseable' "
            f"WHEN {self.ts}::timestamptz < '{EPOCH.isoformat()}' THEN 'early' "
            f"WHEN {self.ts}::timestamptz > $1 THEN 'late' END"
        )


async def read_staged(
    conn: asyncpg.Connection, source: CsvSource, latest_us: int, spill: BlockFiles
) -> None:
    """Put the polls of `source` into `spill` (in file order, with store keys), or raise
    FileRowError naming the first bad line. Call inside a transaction (its tables go with it;
    new store ids are keyed in it)."""
    cols = _Columns(source)
    await conn.execute(
        "CREATE TEMP TABLE poll_stage (line bigint GENERATED ALWAYS AS IDENTITY (START 2), "
        + ", ".join(f"{c} text" for c in cols.names)
        + ") ON COMMIT DROP"
    )
    await _copy(conn, source, cols.names)
    # One pass, two groupings: per raw store_id (the ids to key) and per date text; both
    # small, so checking them costs nothing.
    await conn.execute(
        f"CREATE TEMP TABLE poll_groups ON COMMIT DROP AS SELECT {cols.store} AS raw_store, "
        f"left({cols.ts}, 10) AS day, min(length({cols.ts})) AS shortest, count(*) AS n "
        f"FROM poll_stage GROUP BY GROUPING SETS (1, 2)"
    )
    if await conn.fetchval(
        f"SELECT count(*) FROM poll_groups WHERE NOT coalesce(CASE WHEN day IS NULL "
        f"THEN {_TRIMMED} <> '' AND octet_length({_TRIMMED}) <= {MAX_STORE_ID_BYTES} "
        f"ELSE day ~ '{_DATE_SHAPE}' AND shortest >= {_SHORTEST_TIMESTAMP} END, false)"
    ):
        raise await _first_bad_row(conn, source, cols, latest_us)
    await _key_stores(conn)
    staged = await conn.fetchval("SELECT sum(n) FROM poll_groups WHERE day IS NULL")
    parser = BinaryCopyParser(
        _PARSED, lambda rows: spill.add(rows["store"], rows["ts"], rows["active"] != 0)
    )

    async def feed(chunk: bytes) -> None:
        parser.feed(chunk)

    try:
        async with conn.transaction():  # a savepoint: the stage stays readable on failure
            await conn.copy_from_query(
                f"SELECT m.id, p.{cols.ts}::timestamptz, lower(p.{cols.status}) = 'active' "
                f"FROM poll_stage p JOIN poll_ids m ON m.raw = p.{cols.store} "
                f"WHERE lower(p.{cols.status}) IN ('active', 'inactive') ORDER BY p.line",
                output=feed,
                format="binary",
            )
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError):
        raise await _first_bad_row(conn, source, cols, latest_us) from None  # e.g. February 30
    parser.close()
    inside = spill.first_us is None or (spill.first_us >= 0 and (spill.last_us or 0) <= latest_us)
    if spill.rows < staged or not inside:
        raise await _first_bad_row(conn, source, cols, latest_us)


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
            reason = str(e).splitlines()[0][:200]
            raise source.error(int(line) if line.isdigit() else 0, reason) from None


async def _key_stores(conn: asyncpg.Connection) -> None:
    """Key the file's store ids (new ones get keys), and map the ids as written to keys in
    poll_ids, so the COPY out joins without trimming each row."""
    raw = [
        r["raw_store"]
        for r in await conn.fetch("SELECT raw_store FROM poll_groups WHERE day IS NULL")
    ]
    trimmed = [value.strip(WHITESPACE) for value in raw]
    key_of = await stores.add(conn, sorted(set(trimmed)))
    await conn.execute("CREATE TEMP TABLE poll_ids (raw text, id integer) ON COMMIT DROP")
    await conn.copy_records_to_table(
        "poll_ids", records=[(r, key_of[t]) for r, t in zip(raw, trimmed, strict=True)]
    )


async def _first_bad_row(
    conn: asyncpg.Connection, source: CsvSource, cols: _Columns, latest_us: int
) -> FileRowError:
    """The first line that breaks a rule, checked row by row (only on the error path)."""
    latest = from_us(latest_us)
    line = await conn.fetchval(f"SELECT min(line) FROM poll_stage WHERE NOT {cols.row_ok}", latest)
    row = await conn.fetchrow(
        f"SELECT {cols.store} AS store, {cols.status} AS status, {cols.ts} AS ts, "
        f"{cols.bound} AS bound FROM poll_stage WHERE line = $2",
        latest,
        line,
    )
    if row is None:
        return source.error(0, "a row could not be stored")
    store = (row["store"] or "").strip(WHITESPACE)
    if not store:
        return source.error(line, "empty store_id")
    if len(store.encode()) > MAX_STORE_ID_BYTES:
        return source.error(
            line, f"store_id longer than {MAX_STORE_ID_BYTES} bytes: {quoted(store)}"
        )
    if (row["status"] or "").lower() not in ("active", "inactive"):
        return source.error(
            line, f"bad status {quoted(row['status'] or '')} (expected active or inactive)"
        )
    if row["bound"] == "early":
        return source.error(line, f"timestamp_utc {quoted(row['ts'])} is before 1970")
    if row["bound"] == "late":
        return source.error(
            line,
            f"timestamp_utc {quoted(row['ts'])} is more than 24 hours after the ingest's "
            f"clock ({latest:%Y-%m-%d %H:%M} UTC): an upstream clock error?",
        )
    return source.error(line, f"unparseable timestamp_utc {quoted(row['ts'] or '')}")
