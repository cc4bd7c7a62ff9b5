"""The events table: what happened, in the order it was recorded. An event is recorded in the
transaction of the state it derives from (a store's present, a report's end), with a delivery
to each webhook endpoint that takes its type, and the workers are told when it commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

CHANNEL = "storemon_events"  # notified as events (or test deliveries) commit
TYPES = ("store.down", "store.up", "report.completed", "report.failed")


@dataclass(frozen=True)
class NewEvent:
    type: str
    at: datetime  # when it happened
    data: dict[str, Any]
    store: int | None = None  # the store's key, for a store's event


def json_text(data: object) -> str:
    """JSON as the API writes it (instants in UTC with a Z), for a jsonb column."""
    return orjson.dumps(data, option=orjson.OPT_UTC_Z).decode()


async def record(conn: asyncpg.Connection, events: Sequence[NewEvent]) -> list[int]:
    """Record `events` in this order, each with its deliveries; their ids."""
    if not events:
        return []
    rows = await conn.fetch(
        "WITH e AS (INSERT INTO events (type, at, store, data)"
        " SELECT type, at, store, data FROM unnest($1::text[], $2::timestamptz[], $3::int4[],"
        "  $4::jsonb[]) WITH ORDINALITY AS n(type, at, store, data, i) ORDER BY i"
        " RETURNING id, type),"
        " d AS (INSERT INTO deliveries (webhook_id, event_id)"
        "  SELECT w.id, e.id FROM e JOIN webhooks w ON e.type = ANY(w.events) ORDER BY e.id)"
        " SELECT id FROM e ORDER BY id",
        [e.type for e in events],
        [e.at for e in events],
        [e.store for e in events],
        [json_text(e.data) for e in events],
    )
    await notify(conn)
    return [r["id"] for r in rows]


async def notify(conn: asyncpg.Connection) -> None:
    """Tell the listening workers, as this transaction commits, that deliveries are waiting."""
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def page(
    conn: asyncpg.Connection, after: int, types: Sequence[str], limit: int
) -> list[asyncpg.Record]:
    """Events after id `after`, oldest first, of `types` (all when empty)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, type, at, recorded_at, data::text AS data FROM events"
        " WHERE id > $1 AND (cardinality($2::text[]) = 0 OR type = ANY($2)) ORDER BY id LIMIT $3",
        after,
        list(types),
        limit,
    )
    return rows
