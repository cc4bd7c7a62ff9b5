"""The present on the real services: polls pushed over HTTP (POST /polls), the workers' present
state after each ingest (GET /fleet/now) and the events it records (GET /events)."""

import gzip
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.config import Settings
from shared.ingest import ingest_hours, ingest_timezones
from tests.conftest import api_with
from tests.sample import Client
from tests.services import until
from worker.main import Worker

HEADER = "store_id,status,timestamp_utc\n"
# Store a (UTC, open 09:00–17:00 every day) goes down 10 minutes before closing on Monday and
# stays down; store b (24x7) is up. Monday 2023-01-02.
MONDAY = (
    "a,active,2023-01-02 16:45:00 UTC\n"
    "a,inactive,2023-01-02 16:55:00 UTC\n"
    "b,active,2023-01-02 16:55:00 UTC\n"
)
TUESDAY_0915 = "a,inactive,2023-01-03 09:15:00 UTC\nb,active,2023-01-03 09:15:00 UTC\n"
TUESDAY_0925 = "a,inactive,2023-01-03 09:25:00 UTC\nb,active,2023-01-03 09:25:00 UTC\n"
TUESDAY_1000 = "a,active,2023-01-03 10:00:00 UTC\nb,active,2023-01-03 10:00:00 UTC\n"


async def _metadata(conn: asyncpg.Connection, tmp_path: Path) -> None:
    hours = tmp_path / "hours.csv"
    hours.write_text(
        "store_id,day,start_time_local,end_time_local\n"
        + "".join(f"a,{d},09:00,17:00\n" for d in range(7))
    )
    zones = tmp_path / "zones.csv"
    zones.write_text("store_id,timezone_str\na,UTC\nb,UTC\n")
    await ingest_hours(conn, hours)
    await ingest_timezones(conn, zones)


async def _push(client: Client, text: str, **headers: str) -> Any:
    response = await client.post("/polls", data=(HEADER + text).encode(), headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def _events(client: Client, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def recorded() -> bool:
        found[:] = (await (await client.get("/events")).json())["events"]
        return len(found) >= count

    await until(recorded, f"{count} events")
    return found


async def _fleet(client: Client, now: str) -> dict[str, Any]:
    body: dict[str, Any] = {}

    async def caught_up() -> bool:
        body.update(await (await client.get("/fleet/now?list=all")).json())
        return bool(body["up_to_date"]) and body["now"] == now

    await until(caught_up, f"the present at {now}")
    return body


@pytest.mark.usefixtures("purge_queue")
async def test_push_polls_and_watch_the_present(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _metadata(conn, tmp_path)
    assert await _push(client, MONDAY) == {
        "polls": 3,
        "stores": 2,
        "from": "2023-01-02T16:45:00Z",
        "to": "2023-01-02T16:55:00Z",
    }
    monday = await _fleet(client, "2023-01-02T16:55:00Z")
    assert monday["counts"] == {"open_up": 1, "open_down": 1, "closed": 0, "stale": 0}
    assert monday["stores"] == [
        {
            "store_id": "a",
            "open": True,
            "status": "down",
            "since": "2023-01-02T16:50:00Z",
            "last_poll": "2023-01-02T16:55:00Z",
            "stale": False,
        },
        {
            "store_id": "b",
            "open": True,
            "status": "up",
            "since": "2022-12-25T16:55:00Z",  # up over the whole span
            "last_poll": "2023-01-02T16:55:00Z",
            "stale": False,
        },
    ]
    # Gzip, and the business time of the outage: 25 minutes by 09:15, 35 by 09:25.
    response = await client.post(
        "/polls",
        data=gzip.compress((HEADER + TUESDAY_0915).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/csv"},
    )
    assert (await response.json())["polls"] == 2
    await _fleet(client, "2023-01-03T09:15:00Z")
    assert (await (await client.get("/events")).json())["events"] == []
    await _push(client, TUESDAY_0925)
    [down] = await _events(client, 1)
    assert down["type"] == "store.down" and down["timestamp"] == "2023-01-03T09:20:00Z"
    assert down["data"]["store_id"] == "a" and down["data"]["since"] == "2023-01-02T16:50:00Z"
    assert down["data"]["down_minutes"] == 35.0
    down_list = await (await client.get("/fleet/now")).json()
    assert [s["store_id"] for s in down_list["stores"]] == ["a"]
    await _push(client, TUESDAY_0925)  # the same again: nothing new to announce
    await _push(client, TUESDAY_1000)
    _, up = await _events(client, 2)
    assert up["type"] == "store.up" and up["id"] > down["id"]
    # Up from 09:42:30, halfway between 09:25 and 10:00: 10 + 42.5 business minutes down.
    assert up["data"]["outage"] == {
        "start": "2023-01-02T16:50:00Z",
        "end": "2023-01-03T09:42:30Z",
        "business_minutes": 52.5,
    }
    await _fleet(client, "2023-01-03T10:00:00Z")
    assert len((await (await client.get("/events")).json())["events"]) == 2
    only_up = await (await client.get(f"/events?type=store.up&after={down['id'] - 1}")).json()
    assert [e["id"] for e in only_up["events"]] == [up["id"]]
    assert only_up["next_after"] == up["id"]


async def test_a_pushed_file_with_a_bad_line_stores_nothing(
    client: Client, conn: asyncpg.Connection
) -> None:
    response = await client.post(
        "/polls", data=(HEADER + MONDAY + "c,sleepy,2023-01-02 17:00:00 UTC\n").encode()
    )
    assert response.status == 400
    body = await response.json()
    assert body["line"] == 5 and "sleepy" in body["reason"] and body["error"].startswith("line 5")
    assert await conn.fetchval("SELECT count(*) FROM ingests") == 0
    assert await conn.fetchval("SELECT count(*) FROM poll_chunks") == 0


@pytest.fixture
async def small_uploads(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Client]:
    async with api_with(settings, max_polls_upload_bytes=200, api_token="t") as test_client:
        yield test_client


async def test_past_the_size_limit_is_413_and_the_token_is_needed(
    small_uploads: Client, conn: asyncpg.Connection
) -> None:
    auth = {"Authorization": "Bearer t"}
    big = (HEADER + MONDAY * 4).encode()
    assert (await small_uploads.post("/polls", data=big)).status == 401
    assert (await small_uploads.post("/polls", data=big, headers=auth)).status == 413
    # Small on the wire, too big once unzipped; and sent without a length (chunked).
    zipped = gzip.compress(big)
    assert len(zipped) < 200
    gz = {**auth, "Content-Encoding": "gzip"}
    assert (await small_uploads.post("/polls", data=zipped, headers=gz)).status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield HEADER.encode() * 3

    assert (await small_uploads.post("/polls", data=chunks(), headers=auth)).status == 413
    assert await conn.fetchval("SELECT count(*) FROM ingests") == 0
    fits = await small_uploads.post("/polls", data=(HEADER + MONDAY).encode(), headers=auth)
    assert fits.status == 200
