"""Loading the store metadata a report needs: store keys, business hours, time zones."""

from collections.abc import Sequence

import asyncpg
import numpy as np

from shared.report.hours import WeeklyRows
from shared.report.model import DEFAULT_TIMEZONE


async def store_ranks(conn: asyncpg.Connection) -> tuple[list[str], np.ndarray]:
    """Every store_id in byte order, and each internal store key's rank in that order."""
    rows = await conn.fetch('SELECT id, store_id FROM stores ORDER BY store_id COLLATE "C"')
    keys = np.fromiter((r["id"] for r in rows), dtype=np.int64, count=len(rows))
    rank_of_key = np.full(int(keys.max(initial=0)) + 1, -1, dtype=np.int64)
    rank_of_key[keys] = np.arange(len(rows))
    return [r["store_id"] for r in rows], rank_of_key


async def weekly_rows(conn: asyncpg.Connection, names: Sequence[str]) -> WeeklyRows:
    """The business-hours rows of the stores `names` (sorted store_ids), with their zones."""
    index = {name: i for i, name in enumerate(names)}
    rows = await conn.fetch(
        "SELECT h.store_id, h.day, "
        " (extract(epoch FROM h.start_local) * 1000000)::int8 AS start_us,"
        " (extract(epoch FROM h.end_local) * 1000000)::int8 AS end_us,"
        " coalesce(z.timezone, $3) AS zone "
        "FROM business_hours h LEFT JOIN store_timezones z USING (store_id) "
        "WHERE h.store_id BETWEEN $1 AND $2",
        names[0],
        names[-1],
        DEFAULT_TIMEZONE,
    )
    rows = [r for r in rows if r["store_id"] in index]  # hours of stores never polled
    return WeeklyRows(
        np.fromiter((index[r["store_id"]] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["day"] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["start_us"] for r in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((r["end_us"] for r in rows), dtype=np.int64, count=len(rows)),
        np.array([r["zone"] for r in rows], dtype=str),
    )
