"""Liveness, readiness and refusing work while RabbitMQ is unreachable."""

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from api.app import create_app
from shared.config import Settings
from tests.sample import Client


async def test_ready_when_both_services_answer(client: Client) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "postgres": "ok", "rabbitmq": "ok"}


@pytest.fixture
async def no_broker(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Client]:
    """The API with RabbitMQ unreachable (nothing listens on port 1)."""
    cut = dataclasses.replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/")
    async with TestClient(TestServer(create_app(cut))) as test_client:
        yield test_client


async def test_broker_down_is_not_ready_and_triggers_answer_503(
    no_broker: TestClient[Any, Any], conn: asyncpg.Connection
) -> None:
    assert (await no_broker.get("/healthz")).status == 200  # alive all the same
    ready = await no_broker.get("/readyz")
    assert ready.status == 503
    assert await ready.json() == {"status": "not ready", "postgres": "ok", "rabbitmq": "down"}
    response = await no_broker.post("/trigger_report")
    assert response.status == 503
    assert "message broker unavailable" in (await response.json())["error"]
    assert await conn.fetchval("SELECT count(*) FROM reports") == 0  # nothing left Running
