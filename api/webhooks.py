"""Webhook endpoints (SPEC "The present"): register one (its signing secret shown this once),
list, show, delete, send a test, and read its deliveries with every attempt."""

import re
import uuid
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from api.database import read, write
from api.errors import json_response
from api.keys import SETTINGS
from api.routes import one_value, parse_limit
from shared import webhookurls
from shared.db import webhooks
from shared.db.events import TYPES
from shared.errors import BadInput

routes = web.RouteTableDef()
MAX_DESCRIPTION = 500
_FIELDS = {"url", "events", "description"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@routes.post("/webhooks")
async def register(request: web.Request) -> web.Response:
    body = await _json_object(request)
    if unknown := set(body) - _FIELDS:
        raise BadInput(f"unknown field {sorted(unknown)[0]!r}")
    url, types, description = body.get("url"), body.get("events"), body.get("description", "")
    if not isinstance(url, str):
        raise BadInput("url is required: an http or https URL")
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and t in TYPES for t in types)
    ):
        raise BadInput(f"events must be a non-empty list of {', '.join(TYPES)}")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise BadInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    await webhookurls.check(url, request.app[SETTINGS].webhook_allow_private)
    kinds = sorted(set(types), key=TYPES.index)
    row = await write(request, lambda conn: webhooks.create(conn, url, kinds, description))
    response = json_response(endpoint_json(row) | {"secret": row["secret"]}, 201)
    response.headers["Location"] = f"/webhooks/{row['id']}"
    return response


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise BadInput("request body is not JSON") from None
    if not isinstance(body, dict):
        raise BadInput('request body must be a JSON object like {"url": …, "events": […]}')
    return body


@routes.get("/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    rows = await read(request, webhooks.listing)
    return json_response({"webhooks": [endpoint_json(row) for row in rows]})


@routes.get("/webhooks/{webhook_id}")
async def show(request: web.Request) -> web.Response:
    webhook_id = _id(request)
    row = await read(request, lambda conn: webhooks.get(conn, webhook_id))
    if row is None:
        return _not_found(webhook_id)
    return json_response(endpoint_json(row))


@routes.delete("/webhooks/{webhook_id}")
async def delete(request: web.Request) -> web.Response:
    webhook_id = _id(request)
    if not await write(request, lambda conn: webhooks.delete(conn, webhook_id)):
        return _not_found(webhook_id)
    return json_response({"id": str(webhook_id), "deleted": True})


@routes.post("/webhooks/{webhook_id}/test")
async def test(request: web.Request) -> web.Response:
    """A webhook.test delivery, attempted once at once (also while the endpoint backs off: a
    success ends the backoff); its outcome shows in the deliveries."""
    webhook_id = _id(request)
    delivery = await write(request, lambda conn: webhooks.test(conn, webhook_id))
    if delivery is None:
        return _not_found(webhook_id)
    return json_response({"delivery_id": delivery, "state": "pending"}, 202)


@routes.get("/webhooks/{webhook_id}/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    """The endpoint's deliveries newest first, with every attempt; `before` (a delivery id)
    pages on."""
    webhook_id = _id(request)
    limit = parse_limit(request.query.getall("limit", []), 50, 200)
    before_text = one_value(request, "before")
    if before_text is not None and (not before_text.isdigit() or len(before_text) > 18):
        raise BadInput("before must be a delivery id (a whole number)")
    before = None if before_text is None else int(before_text)

    async def query(conn: Any) -> list[Any] | None:
        if await webhooks.get(conn, webhook_id) is None:
            return None
        return await webhooks.deliveries(conn, webhook_id, before, limit)

    rows = await read(request, query)
    if rows is None:
        return _not_found(webhook_id)
    return json_response(
        {
            "deliveries": [delivery_json(row) for row in rows],
            "next_before": rows[-1]["id"] if len(rows) == limit else None,
        }
    )


def _id(request: web.Request) -> uuid.UUID:
    text = request.match_info["webhook_id"]
    if not _UUID.fullmatch(text):
        raise web.HTTPNotFound(reason="no such webhook")
    return uuid.UUID(text)


def _not_found(webhook_id: uuid.UUID) -> web.Response:
    raise web.HTTPNotFound(reason=f"no webhook {webhook_id}")


def endpoint_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "events": list(row["events"]),
        "description": row["description"],
        "created_at": row["created_at"],
        "failing": row["failing_since"] is not None,
        "failing_since": row["failing_since"],
        "backing_off": row["backing_off"],
    }


def delivery_json(row: Any) -> dict[str, Any]:
    """A delivery: its event, state, and every attempt (time, status code, duration, error)."""
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "type": row["type"],
        "state": row["state"],
        "attempts": [
            attempt | {"at": datetime.fromisoformat(attempt["at"])}
            for attempt in orjson.loads(row["attempt_log"])
        ],
        "created_at": row["created_at"],
        "next_attempt_at": row["next_at"] if row["state"] == "pending" else None,
        "finished_at": row["finished_at"],
    }
