"""The stores table: every store_id ever ingested, with the small integer key its polls are
stored under (stores are never deleted, so a key once given stays)."""

import asyncpg
import numpy as np


async def keys(conn: asyncpg.Connection, ids: list[str]) -> dict[str, int]:
    """The keys of those of `ids` that are stored."""
    rows = await conn.fetch(
        "SELECT s.store_id, s.id FROM unnest($1::text[]) i JOIN stores s ON s.store_id = i", ids
    )
    return {row["store_id"]: row["id"] for row in rows}


async def add(conn: asyncpg.Connection, ids: list[str]) -> dict[str, int]:
    """Give keys to those of `ids` that have none (in this order); the keys of all of `ids`.
    Known ids are looked up first: an hourly file names stores that are nearly all known."""
    found = await keys(conn, ids)
    new = [store_id for store_id in ids if store_id not in found]
    if new:
        await conn.execute(
            "INSERT INTO stores (store_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", new
        )
        found |= await keys(conn, new)
    return found


async def key(conn: asyncpg.Connection, store_id: str) -> int | None:
    """The key of one store_id (None: never ingested)."""
    found: int | None = await conn.fetchval("SELECT id FROM stores WHERE store_id = $1", store_id)
    return found


async def max_key(conn: asyncpg.Connection) -> int:
    """The highest key given so far (0 when there are no stores)."""
    return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM stores"))


async def all_ids(conn: asyncpg.Connection) -> list[str]:
    """Every store_id, in key order."""
    return [r["store_id"] for r in await conn.fetch("SELECT store_id FROM stores ORDER BY id")]


async def ranks(
    conn: asyncpg.Connection, lo: int, hi: int, only: list[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """The store_ids of keys lo ≤ key < hi (those of `only`, when given) in byte order, and
    each key's rank in that order (index key − lo; −1 for another key)."""
    rows = await conn.fetch(
        "SELECT id, store_id FROM stores WHERE id >= $1 AND id < $2 "
        'AND ($3::text[] IS NULL OR store_id = ANY($3)) ORDER BY store_id COLLATE "C"',
        lo,
        hi,
        only,
    )
    found = np.fromiter((r["id"] for r in rows), dtype=np.int64, count=len(rows))
    rank_of_key = np.full(max(hi - lo, 0), -1, dtype=np.int64)
    rank_of_key[found - lo] = np.arange(len(rows))
    return [r["store_id"] for r in rows], rank_of_key


async def ids_of(conn: asyncpg.Connection, store_keys: list[int]) -> dict[int, str]:
    """The store_ids of those keys."""
    rows = await conn.fetch(
        "SELECT id, store_id FROM stores WHERE id = ANY($1::int4[])", store_keys
    )
    return {row["id"]: row["store_id"] for row in rows}
