"""What operations staff read: /metrics, a worker's metrics, JSON logs, the management API."""

import asyncio
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.logs import REPORT_ID, JsonFormatter
from shared.messages import JOB_QUEUE
from tests.sample import AS_OF, Client, load_sample, wait_until_finished
from tests.services import free_port, until
from worker.main import Worker

MANAGEMENT = "http://127.0.0.1:15672/api"


def samples(text: str) -> dict[str, float]:
    return {
        s.name + (str(sorted(s.labels.items())) if s.labels else ""): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.usefixtures("purge_queue")
async def test_metrics_count_reports_ingest_and_queue(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    done = await wait_until_finished(client, (await response.json())["report_id"])
    assert done["status"] == "Complete"
    metrics = await client.get("/metrics")
    assert metrics.status == 200 and metrics.content_type == "text/plain"
    found = samples(await metrics.text())
    assert found["storemon_reports_triggered_total"] == 1
    assert found["storemon_reports_completed_total"] == 1
    assert found["storemon_reports_failed_total"] == 0
    assert found["storemon_polls_ingested_total"] == 6  # the sample file's six lines
    assert found["storemon_report_duration_seconds_count"] == 1
    assert found["storemon_shard_duration_seconds_count"] == 1  # one shard by default
    assert found["storemon_job_queue_messages"] == 0


def management(path: str) -> Any:
    request = urllib.request.Request(f"{MANAGEMENT}{path}")
    request.add_header("Authorization", "Basic Z3Vlc3Q6Z3Vlc3Q=")  # guest:guest
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.usefixtures("purge_queue")
async def test_worker_metrics_logs_and_the_management_api(
    client: Client,
    workers: Callable[..., Any],
    conn: asyncpg.Connection,
    vhost: str,
    tmp_path: Path,
) -> None:
    await load_sample(conn, tmp_path)
    port = free_port()
    workers(WORKER_METRICS_PORT=str(port))
    queue: dict[str, Any] = {}
    for _ in range(100):  # what ops see in the management UI: the queue and its consumer
        queue = await asyncio.to_thread(management, f"/queues/{vhost}/{JOB_QUEUE}")
        if queue.get("consumers") == 1:
            break
        await asyncio.sleep(0.2)
    assert queue["consumers"] == 1 and queue["arguments"]["x-queue-type"] == "quorum"
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    report_id = (await response.json())["report_id"]
    assert (await wait_until_finished(client, report_id))["status"] == "Complete"

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            return str(answer.read().decode())

    # Four stores, one per shard (the fixture's setting), and the planning job. A job is
    # counted once settled, a moment after it completed the report; with two jobs in hand, the
    # other may settle just after.
    shards_done = "storemon_worker_jobs_total[('kind', 'shard'), ('outcome', 'done')]"
    found: dict[str, float] = {}

    async def settled() -> bool:
        found.update(samples(await asyncio.to_thread(scrape)))
        return found.get(shards_done, 0) >= 4

    await until(settled, "every shard job counted", 5)
    assert found[shards_done] == 4
    assert found["storemon_worker_jobs_total[('kind', 'plan'), ('outcome', 'done')]"] == 1
    assert found["storemon_worker_shard_duration_seconds_count"] == 4

    lines = [json.loads(line) for line in (tmp_path / "worker-0.log").read_text().splitlines()]
    about = [line for line in lines if report_id in line["msg"]]
    assert about and all(line["report_id"] == report_id for line in about)
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])


def test_json_formatter_names_the_report() -> None:
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "shard %d done", (3,), None)
    token = REPORT_ID.set("3f2c8e9a-1b2c-4d5e-8f90-123456789abc")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REPORT_ID.reset(token)
    assert line["msg"] == "shard 3 done" and line["report_id"].startswith("3f2c8e9a")
    assert "report_id" not in json.loads(JsonFormatter().format(record))
