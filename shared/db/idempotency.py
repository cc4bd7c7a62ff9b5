"""The idempotency_keys table: a trigger's Idempotency-Key, the request it came with and the
report it made, for 24 hours. Two triggers with one key at the same instant make one report:
the second waits on the key's row until the first has recorded its report."""

import uuid

import asyncpg

KEPT_HOURS = 24


async def claim(conn: asyncpg.Connection, key: str, request: str) -> bool:
    """Take `key` for `request` (inside the transaction that records the report): True when
    it is new, or its last use is over 24 hours old; False when it is live (then `held`
    tells what it holds). A concurrent claim of the same key waits for this transaction."""
    claimed = await conn.fetchval(
        "INSERT INTO idempotency_keys (key, request) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET request = EXCLUDED.request, report_id = NULL,"
        " created_at = now() "
        f"WHERE idempotency_keys.created_at < now() - interval '{KEPT_HOURS} hours' "
        "RETURNING true",
        key,
        request,
    )
    return bool(claimed)


async def held(conn: asyncpg.Connection, key: str) -> tuple[str, str] | None:
    """The request and report id a live key holds."""
    row = await conn.fetchrow("SELECT request, report_id FROM idempotency_keys WHERE key = $1", key)
    if row is None or row["report_id"] is None:
        return None
    return row["request"], str(row["report_id"])


async def attach(conn: asyncpg.Connection, key: str, report_id: str) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET report_id = $2 WHERE key = $1", key, uuid.UUID(report_id)
    )


async def forget(conn: asyncpg.Connection, key: str) -> None:
    """Drop a key (its report could not be queued: a retry must make a new one)."""
    await conn.execute("DELETE FROM idempotency_keys WHERE key = $1", key)


async def forget_old(conn: asyncpg.Connection) -> int:
    """Drop the keys past 24 hours; how many."""
    done = await conn.execute(
        f"DELETE FROM idempotency_keys WHERE created_at < now() - interval '{KEPT_HOURS} hours'"
    )
    return int(done.split()[-1])
