"""Webhooks on the real services: a receiver on a loopback port checks every signature with the
standardwebhooks package; each event is accepted exactly once, in order per store, across a
worker killed (SIGKILL) in the middle of a delivery and a receiver that answers 500 three
times; URLs that reach private addresses are refused at registration and at delivery."""

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.config import Settings
from tests.conftest import api_with
from tests.receiver import Receiver, receiving
from tests.sample import Client
from tests.services import until

HEADER = "store_id,status,timestamp_utc\n"
STORES = ("s1", "s2", "s3")  # no hours, no zone: open 24x7
DOWN = "".join(
    f"{s},active,2023-01-02 10:00:00 UTC\n{s},inactive,2023-01-02 11:00:00 UTC\n" for s in STORES
)
UP = "".join(f"{s},active,2023-01-02 12:00:00 UTC\n" for s in STORES)
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE": "true",
    "WEBHOOK_RETRY_SECONDS": "0.4",
    "HOUSEKEEPING_SECONDS": "2",
}


@pytest.fixture
async def open_api(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Client]:
    """The API with WEBHOOK_ALLOW_PRIVATE=true (the receiver is on loopback)."""
    async with api_with(settings, webhook_allow_private=True) as test_client:
        yield test_client


async def _register(client: Client, receiver: Receiver, events: list[str]) -> str:
    response = await client.post(
        "/webhooks", json={"url": receiver.url, "events": events, "description": "tests"}
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["secret"].startswith("whsec_")
    receiver.secret = body["secret"]
    shown = await (await client.get(f"/webhooks/{body['id']}")).json()
    assert "secret" not in shown and shown["url"] == receiver.url  # shown once
    return str(body["id"])


async def _push(client: Client, text: str) -> None:
    response = await client.post("/polls", data=(HEADER + text).encode())
    assert response.status == 200, await response.text()


@pytest.mark.usefixtures("purge_queue")
async def test_each_event_once_in_order_across_a_killed_worker_and_failures(
    open_api: Client, conn: asyncpg.Connection, workers: Callable[..., Any], tmp_path: Path
) -> None:
    async with receiving(Receiver(hold=True, failures=3)) as receiver:
        webhook_id = await _register(open_api, receiver, ["store.down", "store.up"])
        first = workers(**WORKER_ENV)
        await _push(open_api, DOWN)

        async def all_held() -> bool:
            return receiver.held == len(STORES)

        # Every down in flight at once, held: the worker killed now leaves no request of its
        # own on the way (which would take a 500 that no worker records).
        await until(all_held, "the three downs held")
        first.send_signal(signal.SIGKILL)  # in the middle of its deliveries
        first.wait(10)
        receiver.passing.set()
        workers(**WORKER_ENV)
        await _push(open_api, UP)  # recorded while the downs are being retried

        async def all_accepted() -> bool:
            return len(receiver.accepted) >= 6

        await until(all_accepted, "six events accepted", timeout=60)
        receiver.release.set()
        await asyncio.sleep(1)  # anything sent twice would have arrived by now
    assert receiver.bad_signatures == 0
    ids = [a["webhook-id"] for a in receiver.accepted]
    assert len(ids) == len(set(ids)) == 6, ids
    events = (await (await open_api.get("/events")).json())["events"]
    assert sorted(ids) == sorted(f"evt_{e['id']}" for e in events)
    for store in STORES:
        mine = [a["type"] for a in receiver.accepted if a["data"]["store_id"] == store]
        assert mine == ["store.down", "store.up"], (store, mine)
    log = (await (await open_api.get(f"/webhooks/{webhook_id}/deliveries")).json())["deliveries"]
    assert {d["state"] for d in log} == {"delivered"} and len(log) == 6
    attempts = [a for d in log for a in d["attempts"]]
    assert sum(a["status_code"] == 500 for a in attempts) >= 3
    assert any("cut short" in (a["error"] or "") for a in attempts)  # the killed attempt
    assert all(a["duration_ms"] is not None for a in attempts if a["status_code"])


async def test_private_addresses_are_refused_at_registration(client: Client) -> None:
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/",
        "http://0.0.0.0/",
        "http://[::ffff:192.168.0.1]/",
    ):
        response = await client.post("/webhooks", json={"url": url, "events": ["store.down"]})
        assert response.status == 400, url
        assert "refused" in (await response.json())["error"], url
    for url in ("ftp://example.com/", "file:///etc/passwd", "not a url", "http:///x"):
        response = await client.post("/webhooks", json={"url": url, "events": ["store.down"]})
        assert response.status == 400, url
    bad = await client.post("/webhooks", json={"url": "http://x.test/", "events": ["nope"]})
    assert bad.status == 400


@pytest.mark.usefixtures("purge_queue")
async def test_a_name_that_resolves_to_loopback_is_refused_at_delivery(
    open_api: Client, conn: asyncpg.Connection, workers: Callable[..., Any]
) -> None:
    async with receiving(Receiver()) as receiver:
        hook = await open_api.post(
            "/webhooks",
            json={"url": f"http://localhost:{receiver.port}/hook", "events": ["store.down"]},
        )
        body = await hook.json()
        receiver.secret = body["secret"]
        workers()  # WEBHOOK_ALLOW_PRIVATE unset
        tested = await open_api.post(f"/webhooks/{body['id']}/test")
        assert tested.status == 202

        async def attempted() -> list[Any]:
            log = await (await open_api.get(f"/webhooks/{body['id']}/deliveries")).json()
            return [a for d in log["deliveries"] for a in d["attempts"] if a["duration_ms"]]

        async def refused() -> bool:
            return bool(await attempted())

        await until(refused, "the test delivery's attempt")
        [attempt] = await attempted()
        assert "refused" in attempt["error"] and "127.0.0.1" in attempt["error"]
        assert attempt["status_code"] is None and receiver.requests == 0
