"""Finished reports on the real services: a Complete report keeps explaining its rows until it
expires (its snapshots stay pinned), an Expired one still says how it ended, and housekeeping
prunes finished reports' shard rows without changing their status or /metrics."""

import asyncio
import dataclasses
import logging
import uuid
from pathlib import Path

import asyncpg
import pytest

from shared.config import Settings
from shared.db import reports, schema, shards
from shared.db.connections import create_pool
from shared.ingest import ingest_hours, ingest_timezones
from shared.instants import parse_as_of
from shared.messages import AnyJob, Job
from shared.requests import ReportRequest
from tests.sample import AS_OF, Client, load_sample, wait_until_finished
from tests.services import free_port, until
from tests.test_ops import samples
from worker import housekeeping
from worker.housekeeping import one_pass
from worker.job import JobContext, run_job
from worker.main import Worker

pytestmark = pytest.mark.usefixtures("purge_queue")


async def complete_report(client: Client) -> str:
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    report_id = str((await response.json())["report_id"])
    done = await wait_until_finished(client, report_id, timeout=60)
    assert done["status"] == "Complete", done
    return report_id


async def housekeeping_pass(settings: Settings) -> dict[str, int]:
    async def publish(job: AnyJob) -> None:
        pass

    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        done = await one_pass(pool, publish, settings)
    finally:
        await pool.close()
    assert done is not None
    return done


async def test_a_complete_report_explains_its_rows_after_new_hours_and_zones(
    client: Client, worker: Worker, conn: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id = await complete_report(client)
    pinned = await conn.fetchrow(
        "SELECT hours_snapshot, timezones_snapshot FROM reports WHERE id = $1::uuid", report_id
    )
    # New files, ingested after the report is done: each drops the snapshots nothing reads.
    hours, zones = tmp_path / "hours2.csv", tmp_path / "zones2.csv"
    hours.write_text("store_id,day,start_time_local,end_time_local\ns1,0,10:00:00,11:00:00\n")
    zones.write_text("store_id,timezone_str\ns1,Asia/Kolkata\n")
    await ingest_hours(conn, hours)
    await ingest_timezones(conn, zones)

    s1 = await (await client.get(f"/reports/{report_id}/stores/s1")).json()
    # The report's own snapshots: s1 in UTC, open Monday 09:00-12:00; up from 09:00 until the
    # midpoint 10:44:30 of its polls 10:14 (up) and 11:15 (down), then down until 12:00.
    assert (s1["timezone"], s1["timezone_default"]) == ("UTC", False)
    assert s1["business_hours"] == [{"day": 0, "start": "09:00:00", "end": "12:00:00"}]
    assert [(s["from"], s["to"], s["status"]) for s in s1["segments"]] == [
        ("2023-01-23T09:00:00.000000Z", "2023-01-23T10:44:30.000000Z", "up"),
        ("2023-01-23T10:44:30.000000Z", "2023-01-23T12:00:00.000000Z", "down"),
    ]
    # 6,270 s up = 1.74 h and 4,530 s down = 1.26 h over the day and the week; the last hour
    # [11:30, 12:30] holds 30 minutes of business time, all down.
    row = s1["row"]
    assert (row["uptime_last_day"], row["downtime_last_day"]) == ("1.74", "1.26")
    assert (row["uptime_last_week"], row["downtime_last_week"]) == ("1.74", "1.26")
    assert (row["uptime_last_hour"], row["downtime_last_hour"]) == ("0.00", "30.00")

    # Once the report expires, the next housekeeping pass lets its snapshots go.
    await conn.execute(
        "UPDATE reports SET requested_at = now() - interval '40 days' WHERE id = $1::uuid",
        report_id,
    )
    done = await housekeeping_pass(settings)
    assert done["reports_expired"] == 1
    assert done["snapshot_rows_dropped"] == 2  # s1's hours row and s1's zone row
    left = await conn.fetchval(
        "SELECT (SELECT count(*) FROM business_hours WHERE snapshot = $1)"
        " + (SELECT count(*) FROM store_timezones WHERE snapshot = $2)",
        pinned["hours_snapshot"],
        pinned["timezones_snapshot"],
    )
    assert left == 0
    assert await conn.fetchval("SELECT count(*) FROM business_hours") == 1  # the current one


async def test_an_expired_report_still_says_how_it_ended(
    client: Client, worker: Worker, conn: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    complete = await complete_report(client)
    failed = await client.post("/trigger_report", json={"as_of": AS_OF})
    failed_id = (await failed.json())["report_id"]
    await wait_until_finished(client, failed_id, timeout=60)
    await conn.execute(  # as a worker records a failure
        "UPDATE reports SET status = 'Failed', error = 'boom', rows = NULL WHERE id = $1::uuid",
        failed_id,
    )
    cancelled = await client.post("/trigger_report", json={"as_of": AS_OF})
    cancelled_id = (await cancelled.json())["report_id"]
    await wait_until_finished(client, cancelled_id, timeout=60)
    await conn.execute(
        "UPDATE reports SET status = 'Cancelled', rows = NULL WHERE id = $1::uuid", cancelled_id
    )
    before = {
        i: await (await client.get(f"/get_report/{i}")).json()
        for i in (complete, failed_id, cancelled_id)
    }
    await conn.execute("UPDATE reports SET requested_at = now() - interval '40 days'")
    assert (await housekeeping_pass(settings))["reports_expired"] == 3

    kept = ("report_id", "as_of", "requested_at", "finished_at")
    for report_id, final, extra in (
        (complete, "Complete", {"rows": 2}),
        (failed_id, "Failed", {"error": "boom"}),
        (cancelled_id, "Cancelled", {}),
    ):
        body = await (await client.get(f"/get_report/{report_id}")).json()
        was = before[report_id]
        assert was["status"] == final
        assert body == {
            "status": "Expired",
            "final_status": final,
            **{k: was[k] for k in kept},
            "requested_at": body["requested_at"],  # moved back by this test
            **extra,
        }
        listed = await (await client.get("/api/reports?status=Expired")).json()
        assert body in listed["reports"]


async def test_housekeeping_logs_one_line_per_pass_while_postgresql_is_down(
    conn: asyncpg.Connection, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def publish(job: AnyJob) -> None:
        pass

    # A pool of a port nothing listens on (min_size 0: it connects only when a pass asks).
    pool = await asyncpg.create_pool(
        f"postgresql://postgres@127.0.0.1:{free_port()}/storemon", min_size=0, timeout=2
    )
    often = dataclasses.replace(settings, housekeeping_seconds=0.05)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger=housekeeping.__name__)
    task = asyncio.create_task(housekeeping.run(pool, publish, often, stop))
    mine = caplog.records  # this test's records: pytest swaps the list per phase

    async def passes_skipped(n: int) -> bool:
        return sum("skipped" in r.getMessage() for r in mine) >= n

    try:
        await until(lambda: passes_skipped(3), "three passes skipped")
        pool.set_connect_args(dsn=settings.database_url)  # PostgreSQL is back

        async def back() -> bool:
            return any(r.getMessage() == "housekeeping: PostgreSQL is back" for r in mine)

        await until(back, "the pass after the outage")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await pool.close()
    skipped = [r for r in mine if "skipped" in r.getMessage()]
    for record in skipped:
        assert record.levelno == logging.WARNING
        assert record.exc_info is None and record.exc_text is None  # no traceback
        assert "\n" not in record.getMessage()
        assert "PostgreSQL is unavailable" in record.getMessage()
    assert not [r for r in mine if r.levelno >= logging.ERROR]
    # One "back" line, then the passes' own lines; and it really did a pass.
    messages = [r.getMessage() for r in mine]
    assert messages.count("housekeeping: PostgreSQL is back") == 1
    back_at = messages.index("housekeeping: PostgreSQL is back")
    assert all("skipped" not in m for m in messages[back_at:])
    assert any(m.startswith("housekeeping: ") and "reports_expired" in m for m in messages)


async def test_finished_reports_shard_rows_are_pruned_and_nothing_shown_changes(
    client: Client, conn: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    published: list[AnyJob] = []

    async def publish(job: AnyJob) -> None:
        published.append(job)

    async def planned() -> tuple[str, list[AnyJob]]:
        report = await reports.create(conn, ReportRequest(as_of=parse_as_of(AS_OF)))
        published.clear()
        assert not await run_job(context, Job(report.id))
        return report.id, list(published)

    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        context = JobContext(pool, dataclasses.replace(settings, shard_stores=1), publish)
        complete, jobs = await planned()  # a shard per store key (s0 … s3)
        n = len(jobs)
        assert n == 4
        assert [await run_job(context, job) for job in jobs] == [False] * (n - 1) + [True]
        cancelled, jobs = await planned()
        assert not await run_job(context, jobs[0])  # one shard done, then cancelled
        assert await reports.cancel(conn, cancelled)
        recent, jobs = await planned()  # Complete, but just now: its rows stay a while
        assert [await run_job(context, job) for job in jobs] == [False] * (n - 1) + [True]
        running, _ = await planned()  # never touched
        await conn.execute(
            "UPDATE reports SET finished_at = now() - interval '2 hours'"
            " WHERE id = ANY($1::uuid[])",
            [complete, cancelled],
        )
        ids = (complete, cancelled, recent, running)
        before = {i: await (await client.get(f"/get_report/{i}")).json() for i in ids}
        listed_before = await (await client.get("/api/reports")).json()
        metrics_before = samples(await (await client.get("/metrics")).text())
        assert metrics_before["storemon_shard_duration_seconds_count"] == 2 * n + 1
        assert metrics_before["storemon_report_duration_seconds_count"] == 2

        done = await housekeeping_pass(settings)
        assert done["shard_rows_pruned"] == 2 * n  # the two old finished reports' rows
        left = dict(
            await conn.fetch(
                "SELECT report_id::text, count(*) FROM report_shards GROUP BY report_id"
            )
        )
        assert left == {recent: n, running: n}
        recorded = dict(await conn.fetch("SELECT id::text, shards_done_pruned FROM reports"))
        assert (recorded[complete], recorded[cancelled]) == (n, 1)
        assert recorded[recent] is None and recorded[running] is None
        assert (await housekeeping_pass(settings))["shard_rows_pruned"] == 0  # done once
        for report_id, shards_done in ((complete, n), (cancelled, 1)):
            report = await reports.get(conn, report_id)
            assert report is not None and report.shards_done == shards_done

        for i in ids:  # every status reads as before, the listing too
            assert await (await client.get(f"/get_report/{i}")).json() == before[i]
        assert await (await client.get("/api/reports")).json() == listed_before
        metrics_after = samples(await (await client.get("/metrics")).text())
        shown = [k for k in metrics_before if not k.startswith("storemon_housekeeping")]
        assert {k: metrics_after[k] for k in shown} == {k: metrics_before[k] for k in shown}
        for report_id in (complete, cancelled):  # a late job of a pruned report is dropped
            assert not await run_job(context, Job(report_id, 1))
            row = await shards.get(conn, report_id, 1)
            assert row is not None and row["done_at"] is not None
        assert await shards.get(conn, complete, n) is None  # no such shard
    finally:
        await pool.close()


async def test_migration_005_counts_the_history_so_far(database_url: str) -> None:
    url = database_url.rsplit("/", 1)[0] + f"/storemon_migrate_{uuid.uuid4().hex[:8]}"
    try:
        await schema.migrate(url, up_to=4)
        old = await asyncpg.connect(url)
        try:
            done = uuid.uuid4()
            await old.execute(
                "INSERT INTO reports (id, status, expired_from, requested_at, finished_at) VALUES"
                " ($1, 'Complete', NULL, '2024-01-01 00:00Z', '2024-01-01 00:00:00.4Z'),"
                " ($2, 'Expired', 'Complete', '2024-01-01 00:00Z', '2024-01-01 00:00:07Z'),"
                " ($3, 'Expired', 'Failed', '2024-01-01 00:00Z', '2024-01-01 00:00:01Z'),"
                " ($4, 'Cancelled', NULL, '2024-01-01 00:00Z', '2024-01-01 00:00:01Z'),"
                " ($5, 'Running', NULL, '2024-01-01 00:00Z', NULL)",
                done, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(),
            )  # fmt: skip
            await old.execute(
                "INSERT INTO report_shards (report_id, shard, lo, hi, started_at, done_at)"
                " VALUES ($1, 0, 1, 2, '2024-01-01 00:00Z', '2024-01-01 00:00:00.2Z'),"
                " ($1, 1, 2, 3, '2024-01-01 00:00Z', '2024-01-01 00:01:40Z'),"
                " ($1, 2, 3, 4, '2024-01-01 00:00Z', NULL)",
                done,
            )
        finally:
            await old.close()
        assert await schema.migrate(url, up_to=5) == ["005_lifecycle_counters"]
        await schema.migrate(url)  # the later ones, which the code below reads with
        new = await asyncpg.connect(url)
        try:
            counts = await reports.counts(new)
            report_seconds = await reports.duration_histogram(new)
            shard_seconds = await shards.duration_histogram(new)
        finally:
            await new.close()
    finally:
        await schema.drop_database(url)
    assert counts == {"triggered": 5, "done": 2, "failed": 1, "cancelled": 1, "expired": 2}
    # Two reports Complete: 0.4 s (≤ 0.5) and 7 s (≤ 10); bounds 0.5, 1, 2, 5, 10, … 600.
    assert report_seconds == [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 7.4]
    # Two shard runs done: 0.2 s (≤ 0.25) and 100 s (past 60: +Inf only).
    assert shard_seconds == [0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 100.2]
