"""Loading the store metadata a report needs: ids, business hours, time zones."""

from collections import defaultdict

import asyncpg

from shared.report.model import HoursRow, StoreMeta


async def store_ids(conn: asyncpg.Connection) -> dict[int, str]:
    """Internal store key → the upstream store_id."""
    return {r["id"]: r["store_id"] for r in await conn.fetch("SELECT id, store_id FROM stores")}


async def store_metas(conn: asyncpg.Connection) -> dict[str, StoreMeta]:
    """store_id → zone and weekly hours, for every store that has either."""
    hours: defaultdict[str, list[HoursRow]] = defaultdict(list)
    for r in await conn.fetch("SELECT store_id, day, start_local, end_local FROM business_hours"):
        hours[r["store_id"]].append((r["day"], r["start_local"], r["end_local"]))
    zones = {
        r["store_id"]: r["timezone"]
        for r in await conn.fetch("SELECT store_id, timezone FROM store_timezones")
    }
    # Sorted, duplicate-free rows: stores with the same schedule share one cache entry.
    return {
        store_id: StoreMeta(zones.get(store_id), tuple(sorted(set(hours.get(store_id, ())))))
        for store_id in hours.keys() | zones.keys()
    }
