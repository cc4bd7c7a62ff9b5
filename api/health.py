"""Liveness and readiness: is the process up, and can it reach PostgreSQL and RabbitMQ."""

import asyncio

from aiohttp import web

from api.errors import json_response
from api.keys import BROKER, POOL

routes = web.RouteTableDef()
CHECK_TIMEOUT = 2.0  # seconds a readiness check may take


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    postgres = "ok"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), request.app[POOL].acquire() as conn:
            await conn.fetchval("SELECT 1")
    except Exception:
        postgres = "down"
    rabbitmq = "ok" if request.app[BROKER].ready else "down"
    ready = postgres == rabbitmq == "ok"
    body = {"status": "ready" if ready else "not ready", "postgres": postgres, "rabbitmq": rabbitmq}
    return json_response(body, 200 if ready else 503)
