"""The HTTP API and the whole path trigger → RabbitMQ → worker → CSV, on the real services."""

import asyncio
import json
import stat
import uuid
from pathlib import Path

import asyncpg
import pytest

from shared.csvfile import STANDARD_EXTRAS
from shared.reportparts import STORE_FIELDS
from shared.rowsindex import STORE_SORTS
from tests.sample import AS_OF, EXPECTED, HEADER, Client, load_sample, wait_until_finished
from worker.main import Worker


@pytest.mark.usefixtures("purge_queue")
async def test_trigger_worker_complete_csv(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    assert response.status == 202
    started = await response.json()
    assert started["status"] == "Running" and started["as_of"] == AS_OF
    report_id = started["report_id"]
    assert str(uuid.UUID(report_id)) == report_id

    done = await wait_until_finished(client, report_id)
    assert done["status"] == "Complete", done
    assert done["rows"] == 2 and done["csv_url"] == f"/reports/{report_id}.csv"
    assert done["as_of"] == AS_OF and done["finished_at"] >= done["requested_at"]

    by_url = await client.get(done["csv_url"])
    assert by_url.status == 200 and by_url.content_type == "text/csv"
    assert await by_url.text() == EXPECTED
    by_accept = await client.get(f"/get_report/{report_id}", headers={"Accept": "text/csv"})
    assert by_accept.headers["Content-Disposition"].startswith("attachment")
    assert await by_accept.text() == EXPECTED
    by_query = await client.get("/get_report", params={"report_id": report_id, "format": "csv"})
    assert await by_query.text() == EXPECTED
    row = await conn.fetchrow("SELECT * FROM reports WHERE id = $1", uuid.UUID(report_id))
    assert row["started_at"] >= row["requested_at"] and row["rows"] == 2
    reports_dir = worker.settings.reports_dir
    assert sorted(p.name for p in reports_dir.iterdir()) == [".parts", ".rows", f"{report_id}.csv"]
    assert list((reports_dir / ".parts").iterdir()) == []  # no temp file or part left
    columns = HEADER.split(",")[1:] + list(STANDARD_EXTRAS)
    stores = [f"stores_{name}.npy" for name in ("bucket", "first_row", *STORE_FIELDS)]
    stores += [f"stores_order_{name}.npy" for name in STORE_SORTS]
    assert sorted(p.name for p in (reports_dir / ".rows" / report_id).iterdir()) == sorted(
        [
            "extras.npy",
            "meta.json",
            "offsets.npy",
            *(f"order_{column}.npy" for column in columns),
            *stores,
            "summary.json",
        ]
    )
    # Readable by an API running as another user: what the umask (022 here) gives a new file.
    assert stat.S_IMODE((reports_dir / f"{report_id}.csv").stat().st_mode) == 0o644


@pytest.mark.usefixtures("purge_queue")
async def test_default_as_of_is_latest_poll_and_empty_data_gives_header(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    empty = await (await client.post("/trigger_report")).json()
    assert empty["as_of"] is None
    done = await wait_until_finished(client, empty["report_id"])
    assert done["status"] == "Complete" and done["rows"] == 0
    assert await (await client.get(done["csv_url"])).text() == HEADER + "\n"

    await load_sample(conn, tmp_path)
    response = await client.get("/trigger_report")
    assert (await response.json())["as_of"] == "2023-01-23T13:00:00Z"  # s0's poll


async def test_running_report_answers_202_for_csv_and_failed_409(
    client: Client, conn: asyncpg.Connection
) -> None:
    response = await client.post("/trigger_report", json={"as_of": "2023-01-23T12:30:00+01:00"})
    started = await response.json()
    assert started["as_of"] == "2023-01-23T11:30:00Z"  # an offset is converted to UTC
    running = await client.get("/get_report", params={"report_id": started["report_id"]})
    body = await running.json()
    assert running.status == 200 and body["status"] == "Running" and body["progress"] == 0
    assert set(body) == {
        "report_id",
        "status",
        "as_of",
        "requested_at",
        "progress",
        "shards_total",
        "shards_done",
    }
    assert body["shards_total"] is None and body["shards_done"] == 0  # not planned: no worker
    as_csv = await client.get(f"/get_report/{started['report_id']}?format=csv")
    assert as_csv.status == 202 and (await as_csv.json())["status"] == "Running"
    file = await client.get(f"/reports/{started['report_id']}.csv")
    assert file.status == 202 and (await file.json())["status"] == "Running"

    failed_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO reports (id, status, error, finished_at) VALUES ($1, 'Failed', 'boom', now())",
        failed_id,
    )
    failed = await client.get(f"/get_report/{failed_id}", headers={"Accept": "text/csv"})
    assert failed.status == 409
    assert (await failed.json())["error"] == "boom"
    failed_file = await client.get(f"/reports/{failed_id}.csv")
    assert failed_file.status == 409 and (await failed_file.json())["error"] == "boom"


@pytest.mark.parametrize(
    "body",
    ['{"as_of": "yesterday"}', '{"as_of": 5}', "[1]", "not json", '{"as_of": "2023-13-01"}'],
)
async def test_bad_as_of_is_400_json(client: Client, body: str) -> None:
    response = await client.post("/trigger_report", data=body)
    assert response.status == 400
    assert "error" in await response.json()


@pytest.mark.parametrize(
    "report_id",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "x" * 300,
        "abc%00",
        str(uuid.UUID(int=7)).upper(),
        str(uuid.UUID(int=7)),
        "{" + str(uuid.UUID(int=7)) + "}",
    ],
)
async def test_unknown_and_hostile_ids_are_404_not_found(client: Client, report_id: str) -> None:
    for path in (f"/get_report/{report_id}", f"/get_report?report_id={report_id}"):
        response = await client.get(path)
        assert response.status == 404, path
        assert (await response.json())["status"] == "Not Found"
    for path in (f"/reports/{report_id}.csv", f"/reports/{report_id}"):
        response = await client.get(path)
        assert response.status == 404 and response.content_type == "application/json"


async def test_unknown_path_is_json_404(client: Client) -> None:
    response = await client.get("/no/such/thing")
    assert response.status == 404 and "error" in await response.json()
    response = await client.delete("/trigger_report")
    assert response.status == 405 and "error" in await response.json()
    assert set(response.headers["Allow"].split(",")) == {"GET", "POST"}
    head = await client.head("/trigger_report")
    assert head.status == 405  # a HEAD never creates a report


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /get_report/" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 70_000 + b"\r\n\r\n",
    ],
    ids=["url", "header"],
)
async def test_an_over_long_url_or_header_answers_json(
    client: Client, request_bytes: bytes
) -> None:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(request_bytes)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") or head.startswith(b"HTTP/1.0 400")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"].startswith("Bad Request: Got more than 65536 bytes")
