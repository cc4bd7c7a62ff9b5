"""The API application factory: one cleanup context per external resource."""

from collections.abc import AsyncIterator

import aio_pika
from aiohttp import web

from api.errors import error_middleware
from api.keys import CHANNEL, POOL, SETTINGS
from api.routes import routes
from shared.config import Settings
from shared.db import create_pool
from shared.messages import declare_queues


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[POOL] = await create_pool(app[SETTINGS].database_url, min_size=1, max_size=10)
    yield
    await app[POOL].close()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    connection = await aio_pika.connect_robust(app[SETTINGS].amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    await declare_queues(channel)
    app[CHANNEL] = channel
    yield
    await connection.close()


def create_app(settings: Settings) -> web.Application:
    """The aiohttp application for `settings`."""
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _broker])
    app.add_routes(routes)
    return app
