"""Typed keys of the resources the application owns."""

from aiohttp import web

from api.broker import BrokerLink
from api.dblink import DatabaseLink
from shared.config import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", DatabaseLink)
BROKER = web.AppKey("broker", BrokerLink)
