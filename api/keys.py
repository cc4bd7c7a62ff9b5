"""Typed keys of the resources the application owns."""

import asyncpg
from aio_pika.abc import AbstractChannel
from aiohttp import web

from shared.config import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
CHANNEL = web.AppKey("channel", AbstractChannel)
