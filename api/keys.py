"""Typed keys of the resources the application owns."""

import asyncpg
from aiohttp import web

from api.broker import BrokerLink
from shared.config import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
BROKER = web.AppKey("broker", BrokerLink)
