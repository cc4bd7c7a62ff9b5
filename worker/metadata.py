"""Loading the store metadata a report needs: store keys, business hours, time zones."""

from collections.abc import Sequence

import asyncpg
import numpy as np

from shared.uptime.hours import WeeklyRows
from shared.uptime.model import DEFAULT_TIMEZONE


async def store_ranks(conn: asyncpg.Connection, lo: int, hi: int) -> tuple[list[str], np.ndarray]:
    """The store_ids of keys lo ≤ key < hi in byte order, and each key's rank in that order
    (index key − lo)."""
    rows = await conn.fetch(
        'SELECT id, store_id FROM stores WHERE id >= $1 AND id < $2 ORDER BY store_id COLLATE "C"',
        lo,
        hi,
    )
    keys = np.fromiter((r["id"] for r in rows), dtype=np.int64, count=len(rows))
    rank_of_key = np.full(max(hi - lo, 0), -1, dtype=np.int64)
    rank_of_key[keys - lo] = np.arange(len(rows))
    return [r["store_id"] for r in rows], rank_of_key


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
