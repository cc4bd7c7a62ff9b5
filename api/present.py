"""The present (SPEC "The present"): GET /fleet/now, the state of every store at the latest
poll as the workers keep it, and GET /events, the events they recorded, oldest first."""

from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from api.database import read
from api.errors import json_response
from api.routes import one_value, parse_limit
from shared import cursors
from shared.db import events, ingests, present
from shared.errors import BadInput

routes = web.RouteTableDef()
MAX_EVENTS = 1000
_FLEET_FIELDS: dict[str, cursors.Types] = {"l": str, "t": (str, type(None)), "s": str}


@routes.get("/fleet/now")
async def fleet_now(request: web.Request) -> web.Response:
    """Counts of the stores open and up, open and down, closed and stale, and a page of the
    stores: the open and down ones longest-down first (`list=down`, the default), or all of
    them in store_id order (`list=all`)."""
    listing = one_value(request, "list") or "down"
    if listing not in ("down", "all"):
        raise BadInput("list must be down or all")
    limit = parse_limit(request.query.getall("limit", []), 50, 500)
    cursor = one_value(request, "cursor")
    after = _fleet_position(cursor, listing) if cursor else None

    async def query(conn: Any) -> dict[str, Any]:
        # One snapshot: a present job committing between the statements would otherwise give
        # the stores from before it beside counts and "up to date" from after it.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            now = await ingests.latest_poll(conn)
            if now is None:
                counts = dict.fromkeys(_COUNTS, 0)
                return {"now": None, "up_to_date": True, "counts": counts, "stores": []}
            rows = await present.stores(conn, now, listing == "down", after, limit + 1)
            return {
                "now": now,
                "up_to_date": not await present.behind(conn),
                "counts": await present.counts(conn, now),
                "stores": [_store(row, now) for row in rows],
            }

    body = await read(request, query)
    stores = body["stores"]
    more = len(stores) > limit
    body["stores"] = stores[:limit]
    body["next_cursor"] = _fleet_cursor(stores[limit - 1], listing) if more else None
    return json_response(body)


_COUNTS = ("open_up", "open_down", "closed", "stale")


def _store(row: Any, now: datetime) -> dict[str, Any]:
    return {
        "store_id": row["store_id"],
        "open": row["open"],
        "status": "down" if row["down"] else "up",
        "since": row["since"],
        "last_poll": row["last_poll"],
        "stale": now - row["last_poll"] > present.STALE,
    }


def _fleet_cursor(last: dict[str, Any], listing: str) -> str:
    since = last["since"].isoformat() if listing == "down" else None
    return cursors.encode("fleet", {"l": listing, "t": since, "s": last["store_id"]})


def _fleet_position(cursor: str, listing: str) -> tuple[datetime, str]:
    data = cursors.decode(cursor, "fleet", _FLEET_FIELDS)
    if data["l"] != listing:
        raise BadInput("cursor belongs to another list: ask again without it")
    if data["t"] is None:
        return datetime.min.replace(tzinfo=UTC), data["s"]
    try:
        return datetime.fromisoformat(data["t"]), data["s"]
    except ValueError:
        raise BadInput(cursors.NOT_OURS) from None


@routes.get("/events")
async def list_events(request: web.Request) -> web.Response:
    """Events oldest first after the id `after` (0, the default: from the first), of the types
    `type` (comma-separated; all by default). `next_after` is the last id of the page (or
    `after` when it is empty): ask with it for the next page, and later for what came since."""
    limit = parse_limit(request.query.getall("limit", []), 100, MAX_EVENTS)
    after_text, type_text = one_value(request, "after"), one_value(request, "type")
    types = [t for t in (type_text or "").split(",") if t]
    if unknown := set(types) - set(events.TYPES):
        raise BadInput(f"type must be among {', '.join(events.TYPES)} (not {sorted(unknown)})")
    after = 0
    if after_text is not None:
        if not after_text.isdigit() or len(after_text) > 18:
            raise BadInput("after must be an event id (a whole number)")
        after = int(after_text)
    rows = await read(request, lambda conn: events.page(conn, after, types, limit))
    return json_response(
        {
            "events": [event_json(row) for row in rows],
            "next_after": rows[-1]["id"] if rows else after,
        }
    )


def event_json(row: Any) -> dict[str, Any]:
    """An event as the API shows it: its id, type, time, when it was recorded, its body."""
    return {
        "id": row["id"],
        "type": row["type"],
        "timestamp": row["at"],
        "recorded_at": row["recorded_at"],
        "data": orjson.loads(row["data"]),
    }
