"""Loading the store metadata a report needs: store keys, business hours, time zones."""

from collections import defaultdict

import asyncpg
import numpy as np

from shared.report.model import HoursRow, StoreMeta


async def store_ranks(conn: asyncpg.Connection) -> tuple[list[str], np.ndarray]:
    """Every store_id in byte order, and each internal store key's rank in that order."""
    rows = await conn.fetch('SELECT id, store_id FROM stores ORDER BY store_id COLLATE "C"')
    keys = np.fromiter((r["id"] for r in rows), dtype=np.int64, count=len(rows))
    rank_of_key = np.full(int(keys.max(initial=0)) + 1, -1, dtype=np.int64)
    rank_of_key[keys] = np.arange(len(rows))
    return [r["store_id"] for r in rows], rank_of_key


async def store_metas(conn: asyncpg.Connection, first: str, last: str) -> dict[str, StoreMeta]:
    """store_id → zone and weekly hours, for the stores first ≤ store_id ≤ last that have either."""
    hours: defaultdict[str, list[HoursRow]] = defaultdict(list)
    for r in await conn.fetch(
        "SELECT store_id, day, start_local, end_local FROM business_hours "
        "WHERE store_id BETWEEN $1 AND $2",
        first,
        last,
    ):
        hours[r["store_id"]].append((r["day"], r["start_local"], r["end_local"]))
    zones = {
        r["store_id"]: r["timezone"]
        for r in await conn.fetch(
            "SELECT store_id, timezone FROM store_timezones WHERE store_id BETWEEN $1 AND $2",
            first,
            last,
        )
    }
    # Sorted, duplicate-free rows: stores with the same schedule share one cache entry.
    return {
        store_id: StoreMeta(zones.get(store_id), tuple(sorted(set(hours.get(store_id, ())))))
        for store_id in hours.keys() | zones.keys()
    }
