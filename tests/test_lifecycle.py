"""The lifecycle of a report on the real services: Location and Retry-After, Idempotency-Key
(under concurrent duplicates too), cancel (while a worker holds a shard, and racing the final
merge), the paged list, and housekeeping: retention, tombstones, stalls, a pass killed
halfway."""

import asyncio
import dataclasses
import signal
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from shared import reportfiles
from shared.config import Settings
from shared.csvfile import report_path
from shared.db import reports
from shared.db.connections import create_pool
from shared.ingest import ingest_hours
from shared.instants import parse_as_of
from shared.messages import AnyJob, Job
from shared.requests import ReportRequest
from tests.sample import AS_OF, EXPECTED, Client, load_sample, wait_until_finished
from tests.services import holding_shards, logged, settled, until, until_waiting
from tests.test_ingest import polls_of
from worker import compute
from worker.child import Child
from worker.housekeeping import one_pass
from worker.job import JobContext, run_job

pytestmark = pytest.mark.usefixtures("purge_queue")
T = TypeVar("T")


async def trigger(client: Client, **headers: str) -> tuple[int, dict[str, object], object]:
    response = await client.post("/trigger_report", json={"as_of": AS_OF}, headers=headers)
    return response.status, await response.json(), response.headers


async def count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM reports"))


async def test_a_trigger_says_where_to_follow_and_when(client: Client) -> None:
    status, body, headers = await trigger(client)
    assert status == 202
    assert headers["Location"] == f"/get_report/{body['report_id']}"  # type: ignore[index]
    assert headers["Retry-After"] == "1"  # type: ignore[index]
    running = await client.get(str(headers["Location"]))  # type: ignore[index]
    assert (await running.json())["status"] == "Running"
    assert running.headers["Retry-After"] == "1"


async def test_an_idempotency_key_makes_one_report(
    client: Client, conn: asyncpg.Connection
) -> None:
    status, first, _ = await trigger(client, **{"Idempotency-Key": "order-1"})
    assert status == 202
    again, same, _ = await trigger(client, **{"Idempotency-Key": "order-1"})
    assert (again, same["report_id"], same["status"]) == (200, first["report_id"], "Running")
    other = await client.post(
        "/trigger_report", headers={"Idempotency-Key": "order-1"}
    )  # as_of default
    assert other.status == 409 and "another request" in (await other.json())["error"]
    assert await count(conn) == 1
    for bad in ["", "x" * 256, "é"]:
        response = await client.post("/trigger_report", headers={"Idempotency-Key": bad})
        assert response.status == 400, bad
    # After 24 hours a key is free again.
    await conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    later, renewed, _ = await trigger(client, **{"Idempotency-Key": "order-1"})
    assert later == 202 and renewed["report_id"] != first["report_id"]
    assert await count(conn) == 2


async def test_concurrent_duplicate_triggers_make_one_report(
    client: Client, conn: asyncpg.Connection
) -> None:
    answers = await asyncio.gather(
        *(trigger(client, **{"Idempotency-Key": "burst"}) for _ in range(12))
    )
    assert sorted(status for status, _, _ in answers) == [200] * 11 + [202]
    assert len({body["report_id"] for _, body, _ in answers}) == 1
    assert await count(conn) == 1


async def test_cancel_answers(client: Client, conn: asyncpg.Connection) -> None:
    _, body, _ = await trigger(client)
    report_id = str(body["report_id"])
    first = await client.post(f"/reports/{report_id}/cancel")
    assert first.status == 202 and (await first.json())["status"] == "Cancelled"
    again = await client.post(f"/reports/{report_id}/cancel")
    assert again.status == 200 and (await again.json())["status"] == "Cancelled"
    csv = await client.get(f"/reports/{report_id}.csv")
    assert csv.status == 409 and (await csv.json())["status"] == "Cancelled"
    failed = uuid.uuid4()
    await conn.execute(
        "INSERT INTO reports (id, status, error, finished_at) VALUES ($1, 'Failed', 'x', now())",
        failed,
    )
    assert (await client.post(f"/reports/{failed}/cancel")).status == 409
    assert (await client.post(f"/reports/{uuid.uuid4()}/cancel")).status == 404
    assert (await client.post("/reports/nope/cancel")).status == 404


async def test_a_cancel_while_a_worker_holds_a_shard_discards_it(
    client: Client,
    conn: asyncpg.Connection,
    database_url: str,
    settings: Settings,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    await load_sample(conn, settings.reports_dir.parent)
    workers()  # one store per shard: four shards
    await settled(conn)  # else the session waiting below may be a figures or present job
    async with holding_shards(database_url) as hold:
        _, body, _ = await trigger(client)
        report_id = str(body["report_id"])
        await until_waiting(conn)  # the first shard is in the worker's hands
        assert (await client.post(f"/reports/{report_id}/cancel")).status == 202
        await hold.release()
    log = settings.reports_dir.parent / "worker-0.log"
    await until(
        lambda: asyncio.to_thread(logged, log, "report Cancelled meanwhile, part removed"),
        "the worker to discard the shard it held",
    )
    done = await conn.fetch(
        "SELECT shard FROM report_shards WHERE report_id = $1 AND done_at IS NOT NULL",
        uuid.UUID(report_id),
    )
    assert not done  # the held one's part removed unmarked, the other three never computed
    assert (await (await client.get(f"/get_report/{report_id}")).json())["status"] == "Cancelled"
    assert reportfiles.with_files(settings.reports_dir).get(report_id) is None  # no file at all


async def test_a_cancel_racing_the_final_merge_is_consistent(
    client: Client,
    conn: asyncpg.Connection,
    database_url: str,
    settings: Settings,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    """Exactly one of Complete and Cancelled wins, the same in the row and on disk."""
    await load_sample(conn, settings.reports_dir.parent)
    workers(STOREMON_SHARD_STORES="4096")  # one shard: its end is the merge
    outcomes = set()
    for _ in range(6):
        # A new hours snapshot each time: the worker reads it (no cached hours), and waits.
        await ingest_hours(conn, settings.reports_dir.parent / "menu_hours.csv")
        async with holding_shards(database_url) as hold:
            _, body, _ = await trigger(client)
            report_id = str(body["report_id"])
            await until_waiting(conn)
            await hold.release()
            cancel = await client.post(f"/reports/{report_id}/cancel")
        status = (await wait_until_finished(client, report_id))["status"]
        files = reportfiles.with_files(settings.reports_dir).get(report_id, set())
        if status == "Complete":
            assert cancel.status == 409
            text = await (await client.get(f"/reports/{report_id}.csv")).text()
            assert text == EXPECTED and {"csv", "rows"} <= files
        else:
            assert (status, cancel.status) == ("Cancelled", 202)

            async def quiet(rid: str = report_id) -> bool:
                return not reportfiles.with_files(settings.reports_dir).get(rid)

            await until(quiet, "the cancelled report's parts discarded")
        outcomes.add(status)
    assert outcomes <= {"Complete", "Cancelled"}


async def test_the_list_pages_and_filters(client: Client, conn: asyncpg.Connection) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(25)]
    for n, report_id in enumerate(ids):
        await conn.execute(
            "INSERT INTO reports (id, status, requested_at, finished_at) VALUES ($1, $2, $3, $3)",
            report_id,
            "Complete" if n % 5 else "Cancelled",
            start + timedelta(minutes=n // 2),  # ties in requested_at: the id decides
        )
    expected = [
        r["id"]
        for r in await conn.fetch(
            "SELECT id::text FROM reports ORDER BY requested_at DESC, id DESC"
        )
    ]
    got, cursor, pages = [], "", 0
    while True:
        page = await (await client.get(f"/api/reports?limit=10&cursor={cursor}")).json()
        got += [r["report_id"] for r in page["reports"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert (got, pages) == (expected, 3)
    cancelled = await (await client.get("/api/reports?status=Cancelled")).json()
    assert [r["report_id"] for r in cancelled["reports"]] == [
        str(ids[n]) for n in (20, 15, 10, 5, 0)
    ]
    first = await (await client.get("/api/reports?limit=2&status=Complete")).json()
    other = await client.get(f"/api/reports?status=Cancelled&cursor={first['next_cursor']}")
    assert other.status == 400  # a cursor of another filter
    for bad in ["status=Done", "cursor=nope", "status=Complete&status=Failed"]:
        assert (await client.get(f"/api/reports?{bad}")).status == 400, bad


async def old_report(
    conn: asyncpg.Connection,
    settings: Settings,
    status: str,
    days_ago: float,
    files: tuple[str, ...],
) -> str:
    """A report requested `days_ago` with some of its files."""
    report_id = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO reports (id, status, as_of, requested_at, finished_at, rows) "
        "VALUES ($1, $2, '2023-01-23 12:30Z', now() - $3::interval, now(), $4)",
        uuid.UUID(report_id),
        status,
        timedelta(days=days_ago),
        1 if status == "Complete" else None,
    )
    for kind, path in reportfiles.paths(settings.reports_dir, report_id).items():
        if kind in files:
            if kind == "csv":
                path.write_text("store_id\n")
            else:
                path.mkdir(parents=True)
                (path / "x").write_text("x")
    return report_id


async def test_housekeeping_killed_halfway_is_finished_by_the_next_pass(
    client: Client,
    conn: asyncpg.Connection,
    database_url: str,
    settings: Settings,
    workers: Callable[..., subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    await load_sample(conn, tmp_path)  # polls of 2023-01-10 … 2023-01-23 13:00
    expired = {
        status: await old_report(conn, settings, status, 40, files)
        for status, files in (
            ("Complete", ("csv", "rows")),
            ("Failed", ("parts",)),
            ("Cancelled", ("parts", "csv")),
        )
    }
    recent = await old_report(conn, settings, "Complete", 1, ("csv", "rows"))
    leftover = await old_report(conn, settings, "Complete", 1, ("csv", "rows", "parts"))
    running = await old_report(conn, settings, "Running", 40, ("parts",))  # never touched
    env = {
        "HOUSEKEEPING_SECONDS": "0.3",
        "POLLS_RETENTION_DAYS": "5",  # s3's poll of Jan 10 goes, but Running needs Jan 14 on
        "REPORT_STALL_SECONDS": "1000000000",  # the old Running report is not stalled here
    }
    # The pass is held where it drops polls: reports already Expired, files not yet removed.
    blocker = await asyncpg.connect(
        database_url, server_settings={"application_name": "storemon-tests-hold"}
    )
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE poll_chunks IN ACCESS EXCLUSIVE MODE")
            doomed = workers(**env)

            async def expired_all() -> bool:
                found = await conn.fetch(
                    "SELECT status FROM reports WHERE id = ANY($1::uuid[])", list(expired.values())
                )
                return {r["status"] for r in found} == {"Expired"}

            await until(expired_all, "the pass to expire the old reports")
            # Then the pass and the follow-ups (run when the worker starts listening) wait for
            # the polls.
            await until_waiting(conn, 2)
            statuses = dict(await conn.fetch("SELECT id::text, status FROM reports"))
            assert {statuses[i] for i in expired.values()} == {"Expired"}
            assert statuses[running] == "Running" and statuses[recent] == "Complete"
            assert set(reportfiles.with_files(settings.reports_dir)) >= set(expired.values())
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
    finally:
        await blocker.close()
    workers(**env)

    async def finished() -> bool:
        passes = await conn.fetchval(
            "SELECT count FROM housekeeping_counts WHERE action = 'passes'"
        )
        return (passes or 0) > 0

    await until(finished, "a whole housekeeping pass")
    files = reportfiles.with_files(settings.reports_dir)
    assert not set(expired.values()) & set(files)  # finished: the Expired reports' files gone
    assert files[recent] == {"csv", "rows"} and files[leftover] == {"csv", "rows"}
    assert files[running] == {"parts"}
    csv = await client.get(f"/reports/{expired['Complete']}.csv")
    assert csv.status == 410 and (await csv.json())["status"] == "Expired"
    stored = {str(at.date()) for _, at, _ in await polls_of(conn)}
    # The latest poll is Jan 23: older than Jan 18 goes, but the Running report (as of Jan 23
    # 12:30) reads its span from Jan 15 on.
    assert min(stored) >= "2023-01-15" and "2023-01-10" not in stored
    metrics = await (await client.get("/metrics")).text()
    # The killed pass counted nothing; the next one removed the files (csv, rows and parts of
    # the three Expired reports: 5) and the leftover's parts.
    assert 'storemon_housekeeping_actions_total{action="files_removed"} 6.0' in metrics
    assert "storemon_housekeeping_passes_total" in metrics


async def test_a_stalled_report_is_planned_again_then_failed(
    conn: asyncpg.Connection, settings: Settings
) -> None:
    report_id = await old_report(conn, settings, "Running", 1, ())
    published: list[AnyJob] = []

    async def publish(job: AnyJob) -> None:
        published.append(job)

    stalling = dataclasses.replace(settings, report_stall_seconds=0.001)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        for _ in range(3):
            done = await one_pass(pool, publish, stalling)
            assert done is not None
    finally:
        await pool.close()
    assert published.count(Job(report_id)) == 2  # planned again twice
    row = await conn.fetchrow(
        "SELECT status, error, stalls FROM reports WHERE id = $1", uuid.UUID(report_id)
    )
    assert (row["status"], row["stalls"]) == ("Failed", 3)
    assert "stalled 3 times" in row["error"]


async def test_a_done_shard_whose_part_is_gone_is_computed_again(
    conn: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    # A part of another format (a worker of another version wrote it) looks gone to assembly.
    await load_sample(conn, tmp_path)
    published: list[AnyJob] = []

    async def publish(job: AnyJob) -> None:
        published.append(job)

    one_store_shards = dataclasses.replace(settings, shard_stores=1)  # s1 and s2 apart
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        context = JobContext(pool, one_store_shards, publish)
        report = await reports.create(conn, ReportRequest(as_of=parse_as_of(AS_OF)))
        report_id = report.id
        assert not await run_job(context, Job(report_id))  # the plan
        shards = list(published)
        assert len(shards) > 1 and all(
            isinstance(j, Job) and j.report_id == report_id for j in shards
        )
        for job in shards[:-1]:
            assert not await run_job(context, job)
        first = reportfiles.part_path(settings.reports_dir, report_id, 0)
        first.rename(first.with_suffix(".csv"))
        published.clear()
        assert not await run_job(context, shards[-1])  # the last: shard 0 is to be redone
        assert published == [Job(report_id, 0)]
        report = await reports.get(conn, report_id)
        assert report is not None and report.shards_done == len(shards) - 1
        assert await run_job(context, Job(report_id, 0))  # now it completes
    finally:
        await pool.close()
    report = await reports.get(conn, report_id)
    assert report is not None and report.status == "Complete"
    csv = report_path(settings.reports_dir, report_id).read_text()
    assert csv == EXPECTED
    assert not reportfiles.parts_dir(settings.reports_dir, report_id).exists()


class _SlowAssembly(Child):
    """A computing child whose assemblies start 0.2 s late (a large report's merge)."""

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if function is compute.assemble:
            await asyncio.sleep(0.2)
        return await super().call(function, *args, **kwargs)


async def test_a_report_finishes_when_its_files_exist(
    conn: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    """finished_at (and so the duration counted) comes after the assembly wrote the CSV: the
    assembly runs in the transaction that completes the report, and that transaction's start
    is 0.2 s earlier here."""
    await load_sample(conn, tmp_path)
    published: list[AnyJob] = []

    async def publish(job: AnyJob) -> None:
        published.append(job)

    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    child = _SlowAssembly()
    try:
        context = JobContext(pool, settings, publish, child=child)
        report = await reports.create(conn, ReportRequest(as_of=parse_as_of(AS_OF)))
        assert not await run_job(context, Job(report.id))
        assert [await run_job(context, job) for job in published][-1]
    finally:
        child.close()
        await pool.close()
    done = await reports.get(conn, report.id)
    assert done is not None and done.status == "Complete" and done.finished_at is not None
    written = report_path(settings.reports_dir, report.id).stat().st_mtime_ns
    assert done.finished_at.timestamp() * 1e9 >= written
