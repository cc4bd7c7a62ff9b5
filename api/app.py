"""The API application factory: one cleanup context per external resource."""

from collections.abc import AsyncIterator

from aiohttp import web

from api.auth import auth_middleware
from api.broker import BrokerLink
from api.dashboard import routes as dashboard_routes
from api.dblink import DatabaseLink
from api.errors import answer_protocol_errors_in_json, error_middleware
from api.health import routes as health_routes
from api.inside import routes as inside_routes
from api.keys import BROKER, POOL, SETTINGS
from api.metrics import routes as metrics_routes
from api.openapi import openapi_json
from api.polls import routes as polls_routes
from api.present import routes as present_routes
from api.routes import routes
from api.webhooks import routes as webhooks_routes
from shared.config import Settings


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[POOL] = DatabaseLink(app[SETTINGS].database_url, min_size=1, max_size=10)
    try:
        await app[POOL].started()
    except BaseException:
        await app[POOL].close()
        raise
    yield
    await app[POOL].close()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    app[BROKER] = BrokerLink(app[SETTINGS].amqp_url)
    yield
    await app[BROKER].close()


def create_app(settings: Settings) -> web.Application:
    """The aiohttp application for `settings`."""
    answer_protocol_errors_in_json()
    # Request lines and headers up to 64 KiB reach the application (a long store id in a path
    # is answered 404 like any other); longer ones the parser answers, in JSON too.
    app = web.Application(
        middlewares=[error_middleware],
        handler_args={"max_line_size": 65_536, "max_field_size": 65_536},
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _broker])
    app.add_routes(inside_routes)  # before the catch-all of /reports/{file}
    app.add_routes(routes)
    app.add_routes(polls_routes)
    app.add_routes(present_routes)
    app.add_routes(webhooks_routes)
    app.add_routes(health_routes)
    app.add_routes(metrics_routes)
    app.router.add_get("/openapi.json", openapi_json)
    app.add_routes(dashboard_routes)
    app.middlewares.append(auth_middleware)  # innermost; a no-op unless API_TOKEN is set
    return app


def fatal_error(app: web.Application) -> BaseException | None:
    """Why a running API stopped on its own (an out-of-date schema found after start-up)."""
    return app[POOL].fatal if POOL in app else None
