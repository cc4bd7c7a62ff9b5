"""The store metadata snapshots: business_hours and store_timezones. Each ingest of an hours or
timezones file adds a snapshot under its ingest id; a report reads the snapshots that were
current when it was triggered; older ones go once no report reads them any more (none Running,
none Complete: a Complete report's drill-down explains its rows with them until it expires)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import locks
from shared.db.binarycopy import fetch_columns
from shared.db.binaryrows import Texts, binary_copy
from shared.db.ingests import CURRENT_HOURS, CURRENT_TIMEZONES
from shared.db.reports import pinned_snapshots
from shared.instants import micros_of_day
from shared.uptime.hours import StoreHours
from shared.uptime.model import DEFAULT_TIMEZONE, StoreMeta

_TABLES = {"hours": "business_hours", "timezones": "store_timezones"}
_HOURS = ["snapshot", "store_id", "day", "start_local", "end_local"]


@dataclass(frozen=True)
class Hours:
    """Business-hours rows as columns, in file order: store_id (as stored), day (0 = Monday),
    start and end (µs after local midnight)."""

    store_id: Texts
    day: npt.NDArray[np.int16]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.day)

    @classmethod
    def of_rows(cls, rows: Sequence[tuple[str, int, time, time]]) -> "Hours":
        """The columns of (store_id, day, start, end) rows."""
        ids, days, starts, ends = zip(*rows, strict=True) if rows else ((), (), (), ())
        return cls(
            Texts.of(ids),
            np.array(days, np.int16),
            np.array([micros_of_day(t) for t in starts], np.int64),
            np.array([micros_of_day(t) for t in ends], np.int64),
        )


async def add_hours(conn: asyncpg.Connection, snapshot: int, hours: Hours) -> None:
    """Store the rows under `snapshot` (one binary COPY, built by column)."""
    rows = binary_copy(
        [
            ("int8", np.full(len(hours), snapshot, np.int64)),
            ("text", hours.store_id),
            ("int2", hours.day),
            ("time", hours.start),
            ("time", hours.end),
        ]
    )
    await conn.copy_to_table("business_hours", source=rows, columns=_HOURS, format="binary")


async def add_timezones(
    conn: asyncpg.Connection, snapshot: int, zones: Iterable[tuple[str, str | None]]
) -> None:
    """Store (store_id, zone or None) under `snapshot`."""
    await conn.copy_records_to_table(
        "store_timezones", records=[(snapshot, *item) for item in zones]
    )


async def drop_unused(conn: asyncpg.Connection, kind: str, current: int) -> int:
    """Drop the snapshots of `kind` ('hours' or 'timezones') older than `current` (committed)
    but those a Running or Complete report still reads; rows dropped. A report being recorded
    meanwhile holds the pin lock, so it is seen: reports pin only the current snapshot."""
    async with conn.transaction():
        await locks.snapshots_dropping(conn)
        done = await conn.execute(
            f"DELETE FROM {_TABLES[kind]} WHERE snapshot < $1 "
            f"AND snapshot NOT IN ({pinned_snapshots(kind)})",
            current,
        )
    return int(done.split()[-1])


async def drop_unpinned(conn: asyncpg.Connection) -> int:
    """Drop the snapshots of both kinds that are neither current nor read by any report (those
    whose last reader has just expired); rows dropped."""
    dropped = 0
    for kind, current in (("hours", CURRENT_HOURS), ("timezones", CURRENT_TIMEZONES)):
        dropped += await drop_unused(conn, kind, await conn.fetchval(f"SELECT {current}"))
    return dropped


async def store_hours(
    conn: asyncpg.Connection,
    keys: npt.NDArray[np.int64],
    rank_of_key: npt.NDArray[np.int64],
    lo: int,
    hours_snapshot: int | None,
    zones_snapshot: int | None,
) -> StoreHours:
    """The business hours of the stores of `keys` (and of no other store) in the given
    snapshots, each store at its rank (`rank_of_key[key − lo]`)."""
    zone = np.full(len(keys), DEFAULT_TIMEZONE, dtype=object)
    for row in await conn.fetch(
        "SELECT s.id, z.timezone FROM stores s JOIN store_timezones z "
        "ON z.snapshot = $2 AND z.store_id = s.store_id "
        "WHERE s.id = ANY($1::int4[]) AND z.timezone IS NOT NULL",
        keys.tolist(),
        zones_snapshot,
    ):
        zone[rank_of_key[row["id"] - lo]] = row["timezone"]
    rows = await fetch_columns(
        conn,
        "SELECT s.id, h.day, h.start_local, h.end_local "
        "FROM stores s JOIN business_hours h ON h.snapshot = $2 AND h.store_id = s.store_id "
        "WHERE s.id = ANY($1::int4[])",
        keys.tolist(),
        hours_snapshot,
        columns=[("key", "int4"), ("day", "int2"), ("start", "time"), ("end", "time")],
    )
    return StoreHours(
        zone.astype(str), rank_of_key[rows["key"] - lo], rows["day"], rows["start"], rows["end"]
    )


async def store_meta(
    conn: asyncpg.Connection, store_id: str, hours_snapshot: int | None, zones_snapshot: int | None
) -> StoreMeta:
    """One store's zone (None: none given) and business-hours rows in the given snapshots."""
    zone = await conn.fetchval(
        "SELECT timezone FROM store_timezones WHERE snapshot = $1 AND store_id = $2",
        zones_snapshot,
        store_id,
    )
    rows = await conn.fetch(
        "SELECT day, start_local, end_local FROM business_hours "
        "WHERE snapshot = $1 AND store_id = $2 ORDER BY day, start_local, end_local",
        hours_snapshot,
        store_id,
    )
    return StoreMeta(zone, tuple((r["day"], r["start_local"], r["end_local"]) for r in rows))
