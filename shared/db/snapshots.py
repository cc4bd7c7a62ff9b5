"""The store metadata snapshots: business_hours and store_timezones. Each ingest of an hours or
timezones file adds a snapshot under its ingest id; a report reads the snapshots that were
current when it was triggered; older ones go once no running report reads them."""

from collections.abc import Iterable, Sequence
from datetime import time

import asyncpg
import numpy as np

from shared.db.reports import running_snapshots
from shared.uptime.hours import WeeklyRows
from shared.uptime.model import DEFAULT_TIMEZONE

_TABLES = {"hours": "business_hours", "timezones": "store_timezones"}


async def add_hours(
    conn: asyncpg.Connection, snapshot: int, rows: Iterable[tuple[str, int, time, time]]
) -> None:
    """Store (store_id, day, start, end) rows under `snapshot`."""
    await conn.copy_records_to_table("business_hours", records=[(snapshot, *row) for row in rows])


async def add_timezones(
    conn: asyncpg.Connection, snapshot: int, zones: Iterable[tuple[str, str | None]]
) -> None:
    """Store (store_id, zone or None) under `snapshot`."""
    await conn.copy_records_to_table(
        "store_timezones", records=[(snapshot, *item) for item in zones]
    )


async def drop_unused(conn: asyncpg.Connection, kind: str, current: int) -> None:
    """Drop the snapshots of `kind` ('hours' or 'timezones') but `current` and those a
    running report still reads."""
    await conn.execute(
        f"DELETE FROM {_TABLES[kind]} WHERE snapshot <> $1 "
        f"AND snapshot NOT IN ({running_snapshots(kind)})",
        current,
    )


async def weekly_rows(
    conn: asyncpg.Connection, names: Sequence[str], hours_snapshot: int, zones_snapshot: int
) -> WeeklyRows:
    """The business-hours rows of the stores `names` in the given snapshots, with zones."""
    index = {name: i for i, name in enumerate(names)}
    rows = await conn.fetch(
        "SELECT h.store_id, h.day, "
        " (extract(epoch FROM h.start_local) * 1000000)::int8 AS start_us,"
        " (extract(epoch FROM h.end_local) * 1000000)::int8 AS end_us,"
        " coalesce(z.timezone, $4) AS zone "
        "FROM business_hours h LEFT JOIN store_timezones z "
        " ON z.store_id = h.store_id AND z.snapshot = $3 "
        "WHERE h.snapshot = $2 AND h.store_id = ANY($1::text[])",
        list(names),
        hours_snapshot,
        zones_snapshot,
        DEFAULT_TIMEZONE,
    )
    return WeeklyRows(
        np.fromiter((index[r["store_id"]] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["day"] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["start_us"] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["end_us"] for r in rows), dtype=np.int64, count=len(rows)),
        np.array([r["zone"] for r in rows], dtype=str),
    )
