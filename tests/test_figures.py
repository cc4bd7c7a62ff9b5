"""Reports from daily figures against reports from every poll, through the service's own jobs
on the real PostgreSQL (and, at the end, the real queue and worker processes): the CSV byte for
byte, and what the API serves beside it (each row's percents and polls, each store's totals,
the summary), on randomized stores over DST changes, odd shifts and ragged polls
(tests/test_service_reference.py's), while figures are missing, stale, being rebuilt for new
snapshots, after late polls, compaction, a retention drop, and jobs killed half way.

The figures path's numbers are the from-polls path's (STOREMON_DAILY_FIGURES=off), which
tests/test_service_reference.py and test_report_reference.py compare with the reference."""

import asyncio
import dataclasses
import random
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from shared import rowsindex
from shared.config import Settings
from shared.csvfile import report_path
from shared.db import figures, polls, reports
from shared.db.connections import create_pool
from shared.db.figures import Pair
from shared.figurerows import RECORD
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.messages import AnyJob, Job
from shared.requests import ReportRequest
from shared.uptime.periods import Range, next_month
from tests.inputfiles import Poll, write_metadata, write_polls
from tests.services import figures_up_to_date, purge_jobs, until
from tests.test_service_reference import CENTRE, POLLS, SEED, STORE_META
from worker import figures as figures_job
from worker.child import Child
from worker.hours_cache import HoursCache
from worker.job import JobContext, run_job

AS_OF = CENTRE + timedelta(hours=2, minutes=17)
EARLIER = datetime(2023, 10, 29, 5, 30, 0, 500001, tzinfo=UTC)  # a day after Europe's change
REQUESTS = {
    "standard": ReportRequest(as_of=AS_OF),
    "standard-earlier": ReportRequest(as_of=EARLIER),
    "day": ReportRequest(AS_OF, Range(date(2023, 10, 27), date(2023, 11, 7), "day")),
    "week": ReportRequest(AS_OF, Range(date(2023, 9, 27), date(2023, 11, 7), "week")),
    "month": ReportRequest(AS_OF, Range(date(2023, 9, 28), date(2023, 11, 7), "month")),
    # as_of inside October, which has a month row: the month is cut, so computed from polls.
    "month-cut": ReportRequest(
        datetime(2023, 10, 17, 9, 41, tzinfo=UTC),
        Range(date(2023, 9, 28), date(2023, 11, 7), "month"),
    ),
    "total": ReportRequest(
        datetime(2023, 11, 5, 6, 30, tzinfo=UTC),
        Range(date(2023, 10, 1), date(2023, 11, 6), "total"),
    ),
}


@pytest.fixture(autouse=True)
def figures_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report from figures, the standard one and short ranges too (the service keeps
    those to polls, where figures do not pay: worker.job.FIGURES_FROM_DATES)."""
    monkeypatch.setattr("worker.job.FIGURES_FROM_DATES", 0)


@pytest.fixture(scope="module")
def child() -> AsyncIterator[Child]:
    computing = Child()
    yield computing
    computing.close()


@pytest.fixture
async def pool(database_url: str, conn: asyncpg.Connection) -> AsyncIterator[asyncpg.Pool]:
    opened = await create_pool(database_url, min_size=1, max_size=3)
    yield opened
    await opened.close()


async def ingest(
    conn: asyncpg.Connection, tmp_path: Path, rng: random.Random, polls_: list[Poll]
) -> None:
    path = tmp_path / f"polls-{rng.getrandbits(32):x}.csv"
    await ingest_polls(conn, write_polls(rng, path, polls_))


async def load(conn: asyncpg.Connection, tmp_path: Path) -> random.Random:
    rng = random.Random(SEED)
    hours, zones = write_metadata(rng, tmp_path, STORE_META)
    await ingest_timezones(conn, zones)
    await ingest_hours(conn, hours)
    await ingest(conn, tmp_path, rng, POLLS)
    return rng


Served = tuple[bytes, bytes, dict[str, bytes]]


async def computed(
    pool: asyncpg.Pool, settings: Settings, child: Child, request: ReportRequest, on: bool
) -> Served:
    """A report computed by the service's jobs in this process (plan, shards, assembly): its
    CSV, summary and the arrays of its index (the values the API serves beside the CSV)."""
    async with pool.acquire() as conn:
        report = await reports.create(conn, request)
    published: list[AnyJob] = []

    async def publish(job: AnyJob) -> None:
        published.append(job)

    context = JobContext(
        pool,
        dataclasses.replace(settings, daily_figures=on, shard_stores=37),
        publish,
        HoursCache(),
        child,
    )
    assert not await run_job(context, Job(report.id))
    shards = list(published)
    done = [await run_job(context, job) for job in shards]
    assert done[-1] and not any(done[:-1])
    index = rowsindex.index_path(settings.reports_dir, report.id)
    arrays = {p.name: p.read_bytes() for p in sorted(index.iterdir()) if p.suffix == ".npy"}
    return (
        report_path(settings.reports_dir, report.id).read_bytes(),
        (index / "summary.json").read_bytes(),
        arrays,
    )


async def agree(
    pool: asyncpg.Pool, settings: Settings, child: Child, names: list[str] | None = None
) -> None:
    """Each report of `names` (default: all of REQUESTS) the same on both paths."""
    for name in names or list(REQUESTS):
        request = REQUESTS[name]
        mine = await computed(pool, settings, child, request, on=True)
        theirs = await computed(pool, settings, child, request, on=False)
        assert mine[0] == theirs[0], f"{name}: the CSVs differ"
        assert mine[1] == theirs[1], f"{name}: the summaries differ"
        assert mine[2] == theirs[2], f"{name}: the index's arrays differ"
        assert mine[0].count(b"\n") > 50, name  # many rows: a real comparison


async def figure_rows(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM daily_figures"))


async def test_every_report_agrees_with_and_without_figures(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, child: Child, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    await load(conn, tmp_path)
    await agree(pool, settings, child, ["standard", "day"])  # no figures yet: all from polls
    assert await figures_up_to_date(settings.database_url) > 0
    assert await figure_rows(conn) > 0
    await agree(pool, settings, child)
    # Polls read a few stores at a time: the groups of a shard add up the same.
    monkeypatch.setattr("worker.job.SHARD_STORE_DAYS", 40)
    await agree(pool, settings, child, ["standard", "week"])


async def months_are_their_dates(conn: asyncpg.Connection) -> tuple[int, int]:
    """Check every month row against its day rows, summed here record by record: the month's
    business time and polls; its first observation the first date's with one, its last the
    last's; its active time where every date's figure is complete (the others' months are
    computed whole from their polls: the reports' agreement checks those); how many month rows
    and how many such stores in them there are."""
    months = await conn.fetch("SELECT * FROM month_figures")
    whole = 0
    for row in months:
        pair = Pair(row["hours_snapshot"], row["timezones_snapshot"])
        month, end = row["month"], next_month(row["month"])
        days = await figures.month_days(conn, pair, row["block"], month, end)
        assert len(days) == (end - month).days
        assert row["stores"] == min(n for n, _ in days)
        combined = np.frombuffer(row["figures"], RECORD)
        for store in range(row["stores"]):
            mine = [np.frombuffer(data, RECORD)[store] for _, data in days]
            seen = [r for r in mine if r["flags"] & 1]
            got = combined[store]
            names = ["business", "polls"]
            if all(r["flags"] & 8 for r in mine):
                names.append("active")
                assert got["flags"] & 8
            else:
                whole += 1
            for name in names:
                assert got[name] == sum(int(r[name]) for r in mine), (month, store, name)
            assert bool(got["flags"] & 1) == bool(seen)
            if seen:
                assert (got["first"], got["flags"] & 2) == (seen[0]["first"], seen[0]["flags"] & 2)
                assert (got["last"], got["flags"] & 4) == (seen[-1]["last"], seen[-1]["flags"] & 4)
    return len(months), whole


async def test_long_reports_take_whole_months_from_month_rows(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, child: Child, tmp_path: Path
) -> None:
    """October 2023 has polls on every date, and ended more than RIPE before the last poll: it
    has month rows, and the monthly and total reports read them (spoilt, those reports change;
    gone, they agree again from the day rows, and the figures jobs make them again)."""
    await load(conn, tmp_path)
    await figures_up_to_date(settings.database_url)
    months, whole = await months_are_their_dates(conn)
    assert months > 0 and whole > 0  # some stores' Octobers computed whole from their polls
    assert await conn.fetchval("SELECT count(*) FROM month_figures WHERE month = '2023-10-01'")
    pair = await figures.current_pair(conn)  # what sizes a long report's shards
    some = [date(2023, 9, 1), date(2023, 10, 1), date(2023, 11, 1)]
    assert await figures.months_everywhere(conn, pair, some) == [date(2023, 10, 1)]
    await agree(pool, settings, child, ["month", "month-cut", "total"])
    # Every store's business time of October doubled: not what the polls say.
    spoilt = []
    for row in await conn.fetch("SELECT * FROM month_figures"):
        records = np.frombuffer(row["figures"], RECORD).copy()
        records["business"] *= 2
        spoilt.append((records.tobytes(), row["block"], row["month"]))
    await conn.executemany(
        "UPDATE month_figures SET figures = $1 WHERE block = $2 AND month = $3", spoilt
    )
    for name in ("month", "total"):
        mine = await computed(pool, settings, child, REQUESTS[name], on=True)
        theirs = await computed(pool, settings, child, REQUESTS[name], on=False)
        assert mine[0] != theirs[0], name
    await conn.execute("DELETE FROM month_figures")
    await agree(pool, settings, child, ["month", "total"])
    # Month rows missing are work for the figures jobs, which make them again.
    assert await figures_job.pending(conn)
    await figures_up_to_date(settings.database_url)
    assert (await months_are_their_dates(conn))[0] == months


async def test_late_polls_inside_and_at_the_edges_of_ranges(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, child: Child, tmp_path: Path
) -> None:
    rng = await load(conn, tmp_path)
    await figures_up_to_date(settings.database_url)
    stores = sorted(STORE_META)
    midnights = [datetime(2023, 10, 27, 4, tzinfo=UTC), datetime(2023, 11, 7, 5, tzinfo=UTC)]
    late: list[Poll] = []
    for n in range(300):  # inside the ranges, at their first and last instants, at as_of
        store = stores[n % len(stores)]
        at = rng.choice(
            [
                CENTRE - timedelta(days=rng.uniform(0, 35)),
                rng.choice(midnights) + timedelta(microseconds=rng.choice([-1, 0, 1])),
                AS_OF,
                EARLIER,
            ]
        )
        late.append((store, at, rng.random() < 0.5))
    await ingest(conn, tmp_path, rng, late)
    await agree(pool, settings, child)  # stale figures: their dates computed from polls
    await figures_up_to_date(settings.database_url)
    assert (await months_are_their_dates(conn))[0] > 0  # October's, computed again
    await agree(pool, settings, child)


async def test_new_snapshots_in_the_middle_of_the_history(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, child: Child, tmp_path: Path
) -> None:
    await load(conn, tmp_path)
    await figures_up_to_date(settings.database_url)
    old = await figures.current_pair(conn)
    # New hours (a fifth of the stores' shifts changed), then new zones (some moved).
    rng = random.Random(7)
    changed = {
        store: dataclasses.replace(meta, hours=meta.hours[1:]) if rng.random() < 0.2 else meta
        for store, meta in STORE_META.items()
    }
    hours, _ = write_metadata(rng, tmp_path, changed)
    await ingest_hours(conn, hours)
    await agree(pool, settings, child, ["standard", "month"])  # no figures of the new pair
    block = int(await conn.fetchval("SELECT min(block) FROM poll_chunks"))
    await figures_job.run(pool, child, HoursCache(), block)  # a rebuild's first step
    await agree(pool, settings, child, ["standard", "day", "week"])
    moved = {
        store: dataclasses.replace(
            meta, timezone=rng.choice(["Asia/Kolkata", "Europe/Berlin", None])
        )
        if rng.random() < 0.3
        else meta
        for store, meta in changed.items()
    }
    _, zones = write_metadata(rng, tmp_path, moved)
    await ingest_timezones(conn, zones)
    await figures_up_to_date(settings.database_url)
    assert await figures.current_pair(conn) != old
    assert (await months_are_their_dates(conn))[0] > 0
    await agree(pool, settings, child)


async def test_compaction_and_retention(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, child: Child, tmp_path: Path
) -> None:
    rng = await load(conn, tmp_path)
    # Hourly increments over the last days: several chunks a day.
    stores = sorted(STORE_META)[:80]
    for hour in range(6):
        at = CENTRE - timedelta(hours=30 - 5 * hour)
        await ingest(
            conn,
            tmp_path,
            rng,
            [(s, at + timedelta(minutes=rng.randint(0, 59)), rng.random() < 0.8) for s in stores],
        )
    fragmented = await polls.fragmented(conn)
    assert fragmented
    for block, day in fragmented[: len(fragmented) // 2]:  # compaction before the figures
        assert await polls.compact(conn, block, day) > 1
    await figures_up_to_date(settings.database_url)
    for block, day in await polls.fragmented(conn):  # and after
        assert await polls.compact(conn, block, day) > 1
    await agree(pool, settings, child)
    # Retention: the days before Oct 20 dropped, and the figures of the dates within reach of
    # them (as housekeeping does); reports agree before and after they are computed again.
    assert await polls.drop_before(conn, date(2023, 10, 20)) > 0
    before = await figure_rows(conn)
    assert await figures.drop_unused(conn, date(2023, 10, 22)) > 0
    assert 0 < await figure_rows(conn) < before
    assert not await conn.fetchval("SELECT count(*) FROM month_figures WHERE month < '2023-10-22'")
    await agree(pool, settings, child, ["standard", "day", "total"])
    await figures_up_to_date(settings.database_url)
    await agree(pool, settings, child, ["week", "total"])


async def test_figures_jobs_stopped_half_way_leave_nothing_wrong(
    conn: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    """Figures jobs killed at random moments (their computing child SIGKILLed mid-call, the
    rows they were writing not committed): reports agree after each, and once the jobs have
    run to their end."""
    await load(conn, tmp_path)
    rng = random.Random(3)
    reporter = Child()
    try:
        for _ in range(4):
            block = int(await conn.fetchval("SELECT min(block) FROM poll_chunks"))
            killed = Child()
            task = asyncio.create_task(figures_job.run(pool, killed, HoursCache(), block))
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            killed.close()
            await agree(pool, settings, reporter, ["standard", "week"])
        await figures_up_to_date(settings.database_url)
        await agree(pool, settings, reporter)
    finally:
        reporter.close()


async def test_workers_keep_the_figures_through_the_queue(
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    settings: Settings,
    child: Child,
    tmp_path: Path,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    """After an ingest commits, the workers hear of it and compute its figures (follow-ups,
    figures jobs through the queue); one killed (SIGKILL) while it computes them, another
    finishes them."""
    await purge_jobs(settings.amqp_url)

    async def caught_up() -> bool:
        return not await figures_job.pending(conn)

    first = workers()
    await asyncio.sleep(2)  # it listens
    rng = await load(conn, tmp_path)  # the ingests' notifications queue the figures jobs
    await until(lambda: figure_rows_exist(conn), "the first figures", timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    workers()
    await until(caught_up, "the workers to compute every figure", timeout=180)
    late = [(s, CENTRE - timedelta(days=rng.uniform(0, 20)), True) for s in sorted(STORE_META)[:50]]
    await ingest(conn, tmp_path, rng, late)
    await until(caught_up, "the workers to compute the late polls' figures", timeout=120)
    marks = {
        (r["block"], r["rank"]) for r in await conn.fetch("SELECT block, rank FROM figure_marks")
    }
    latest = await conn.fetch("SELECT block, max(rank) AS rank FROM poll_chunks GROUP BY block")
    assert {(r["block"], r["rank"]) for r in latest} <= marks
    await agree(pool, settings, child)


async def figure_rows_exist(conn: asyncpg.Connection) -> bool:
    return await figure_rows(conn) > 0
