"""`storemon bench`: ingest, reads, reports and pages beside the floors PostgreSQL sets and a
one-query DuckDB report, in one table.

Everything a ratio compares is timed in the same run, interleaved, and reported as medians.
Sections (`--sections`, all by default):
- ingest: the polls file into a fresh database against a plain COPY of it; an hourly increment;
  the compaction of a day of hourly increments;
- reads: the span of a report read as the workers read it (chunks) against the same polls read
  from a table of one row per poll, both made in this run;
- report: trigger → Complete with 1 (and more) workers, against DuckDB's one query; worker peak
  memory; then a page of the report's rows under a bounded load (p50, p99);
- period: on 30 days of polls, a 30-day daily report against the standard report and DuckDB;
- year: a 366-day monthly report over 1,000 stores with a year of polls: worker peak memory;
- present: with two workers, POST /polls of an hourly increment against `storemon ingest`'s
  code on the next one; the time from an increment's commit until the present of every block
  is up to date (its events recorded); 1,000 events delivered to a loopback receiver.
"""

import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web
import asyncpg
import duckdb
import numpy as np
from standardwebhooks import Webhook

from bench import duckdb_report
from bench.processes import STOREMON, free_port, running
from sampledata.generate import generate_dataset
from shared.config import Settings
from shared.csvfile import report_path
from shared.db import events, figures, ingests, polls, present, reports, schema, stores
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.instants import to_us
from shared.pollchunks import STORE_BLOCK, span_of
from shared.uptime.compute import SPAN_US
from shared.uptime.periods import Range

BASE_STORES = 14_000
SECTIONS = ("ingest", "reads", "report", "period", "year", "present")
DELIVERED_EVENTS = 1_000
PAGE_REQUESTS = 2_000  # pages asked for under load
PAGE_CLIENTS = 8  # at once


@dataclass
class BenchConfig:
    scale: float = 1.0
    weeks: int = 1
    runs: int = 3
    workers: list[int] = field(default_factory=lambda: [1])
    sections: tuple[str, ...] = SECTIONS
    data_dir: Path = Path("bench-data")
    server: str = "postgresql://postgres@127.0.0.1:5432"
    amqp_server: str = "amqp://guest:guest@127.0.0.1:5672"

    @property
    def stores(self) -> int:
        return round(BASE_STORES * self.scale)


@dataclass
class Results:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, what: str, value: str, note: str = "") -> None:
        self.rows.append((what, value, note))
        print(f"  {what}: {value} {note}", file=sys.stderr, flush=True)

    def table(self) -> str:
        lines = ["| measure | value | note |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in self.rows]
        return "\n".join(lines)


def _median(values: list[float]) -> float:
    return statistics.median(values)


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


def dataset(cfg: BenchConfig, stores: int, days: float) -> Path:
    """The generated files (made once, reused)."""
    out = cfg.data_dir / f"stores{stores}-days{days:g}"
    if not (out / "store_status.csv").exists():
        print(f"generating {stores} stores × {days:g} days into {out}", file=sys.stderr)
        generate_dataset(out, stores, days, seed=1)
    return out


async def _fresh(url: str, data: Path | None = None) -> None:
    """A new database; with `data`, its three files ingested."""
    await schema.drop_database(url)
    await schema.migrate(url)
    if data is not None:
        conn = await asyncpg.connect(url)
        try:
            await ingest_polls(conn, data / "store_status.csv")
            await ingest_hours(conn, data / "menu_hours.csv")
            await ingest_timezones(conn, data / "timezones.csv")
        finally:
            await conn.close()


async def figures_ready(cfg: BenchConfig, url: str) -> tuple[float, int]:
    """Start a worker, which hears of what is stored and computes every daily figure the data
    lacks (figures jobs through the queue); the seconds until none is left, and the figure
    rows (block × local date) there are then."""
    conn = await asyncpg.connect(url)
    try:
        async with running(url, cfg.amqp_server, cfg.data_dir / "reports", 1):
            took = await _timed(lambda: _figures_caught_up(conn))
        rows = int(await conn.fetchval("SELECT count(*) FROM daily_figures"))
    finally:
        await conn.close()
    return took, rows


async def _quiet(conn: asyncpg.Connection) -> None:
    """Until the workers have no follow-up left (figures, the present)."""
    await _figures_caught_up(conn)
    await _up_to_date(conn)


async def _figures_caught_up(conn: asyncpg.Connection) -> None:
    if not Settings.from_env().daily_figures:  # STOREMON_DAILY_FIGURES=off: none are kept
        return
    while await figures.behind(conn):
        await asyncio.sleep(0.002)


# --- ingest ----------------------------------------------------------------------------------


async def bench_ingest(cfg: BenchConfig, data: Path, url: str, out: Results) -> None:
    floors, times, commands = [], [], []
    polls_file = data / "store_status.csv"
    for _ in range(cfg.runs):
        await _fresh(url)
        conn = await asyncpg.connect(url)
        try:
            floors.append(await _copy_floor(conn, polls_file))
            times.append(await _timed(lambda: ingest_polls(conn, polls_file)))  # noqa: B023
        finally:
            await conn.close()
        await _fresh(url)
        commands.append(await _timed(lambda: _ingest_command(url, data)))
    rows = sum(1 for _ in polls_file.open("rb")) - 1
    floor, ingest, command = _median(floors), _median(times), _median(commands)
    out.add("ingest floor (COPY into 3 text columns)", f"{floor:.2f} s", f"{rows:,} polls")
    out.add("ingest into a fresh database", f"{ingest:.2f} s", f"{rows / ingest:,.0f} rows/s")
    out.add("ingest / floor", f"{ingest / floor:.2f}×", "target ≤ 1.5×")
    out.add(
        "`storemon ingest` of the three files, as a user runs it",
        f"{command:.2f} s",
        f"{command / floor:.2f}× the floor (process start included); target ≤ 1.5×",
    )
    conn = await asyncpg.connect(url)  # holds the three files, as the command stored them
    try:
        took, figure_rows = await figures_ready(cfg, url)
        dates = figure_rows / max(1, len(await polls.blocks(conn)))
        out.add(
            "daily figures from scratch",
            f"{took:.2f} s",
            f"{dates:.0f} local dates × {cfg.stores:,} stores: {took / dates:.3f} s a date; "
            "target ≤ 0.5 s a date",
        )
        await _increments(cfg, conn, url, data, out)
    finally:
        await conn.close()


async def _ingest_command(url: str, data: Path) -> None:
    """`storemon ingest` of the three files in a process of its own, as a user runs it."""
    process = await asyncio.create_subprocess_exec(
        str(STOREMON),
        "ingest",
        "--polls",
        str(data / "store_status.csv"),
        "--hours",
        str(data / "menu_hours.csv"),
        "--timezones",
        str(data / "timezones.csv"),
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    if await process.wait():
        raise SystemExit(f"storemon ingest failed (exit status {process.returncode})")


async def _copy_floor(conn: asyncpg.Connection, polls_file: Path) -> float:
    """A plain COPY of the polls file into an unlogged, unindexed table of three text columns."""
    await conn.execute("DROP TABLE IF EXISTS bench_floor")
    await conn.execute("CREATE UNLOGGED TABLE bench_floor (a text, b text, c text)")
    took = await _timed(
        lambda: conn.copy_to_table("bench_floor", source=polls_file, format="csv", header=True)
    )
    await conn.execute("DROP TABLE bench_floor")
    return took


def _increment(path: Path, ids: list[str], at: datetime) -> None:
    """One poll per store, spread over the hour from `at`."""
    with path.open("w") as f:
        f.write("store_id,status,timestamp_utc\n")
        for i, store_id in enumerate(ids):
            stamp = (at + timedelta(seconds=i % 3600)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            f.write(f"{store_id},{'inactive' if i % 13 == 0 else 'active'},{stamp}\n")


async def _increments(
    cfg: BenchConfig, conn: asyncpg.Connection, url: str, data: Path, out: Results
) -> None:
    """Hourly increments into the service as deployed (two workers, which hear of each and
    compute its figures): the first ones timed, alone and until their figures are computed;
    then a whole new UTC day of them, compacted."""
    ids = await stores.all_ids(conn)
    latest = await ingests.latest_poll(conn)
    assert latest is not None
    day = datetime.combine(latest.date() + timedelta(days=1), datetime.min.time(), latest.tzinfo)
    times, with_figures = [], []
    async with running(url, cfg.amqp_server, cfg.data_dir / "reports", 2):
        await _quiet(conn)
        for hour in range(24):
            path = data / "increment.csv"
            _increment(path, ids, day + timedelta(hours=hour))
            took = await _timed(lambda: ingest_polls(conn, path))  # noqa: B023
            caught_up = await _timed(lambda: _figures_caught_up(conn))
            await _quiet(conn)  # each increment into a service with nothing else to do
            times.append(took)
            with_figures.append(took + caught_up)
    # Every hour of the day is timed: the first of a new UTC day, the first the workers see
    # after they start, and the hours after it, as a service meets them day after day.
    out.add(
        "hourly increment (one poll per store)",
        f"{_median(times):.3f} s",
        f"{len(ids):,} polls, median of a day's 24; target ≤ 0.1 s",
    )
    out.add(
        "hourly increment and its figures jobs",
        f"{_median(with_figures):.3f} s",
        "until every block's figures are up to date, 2 workers (each increment into a quiet "
        "service; the present's jobs run beside), median of a day's 24 (the first 3: "
        f"{_median(with_figures[:3]):.3f} s, the slowest {max(with_figures):.3f} s); "
        "target ≤ 0.3 s",
    )
    fragmented = [(b, d) for b, d in await polls.fragmented(conn) if d == day.date()]

    async def compact_all() -> None:
        for block, on in fragmented:
            await polls.compact(conn, block, on)

    compaction = await _timed(compact_all)
    out.add(
        "compaction of a day of hourly increments",
        f"{compaction:.2f} s",
        f"{24 * len(ids):,} polls in {len(fragmented)} blocks × 24 chunks; target ≤ 1 s",
    )


# --- reads -----------------------------------------------------------------------------------


async def bench_reads(cfg: BenchConfig, url: str, out: Results) -> None:
    """The span read two ways: the chunks the shards read, and a table of one row per poll
    holding the same polls (made here), read with a binary COPY as the old layout was."""
    conn = await asyncpg.connect(url)
    try:
        as_of = await ingests.latest_poll(conn)
        assert as_of is not None
        first = as_of - timedelta(microseconds=SPAN_US)
        await _rows_table(conn, first, as_of)
        lo, hi = (await _blocks(conn))[0]
        one = (lo + hi) // 2
        chunks, rows, block, store = [], [], [], []
        for _ in range(cfg.runs):
            chunks.append(await _timed(lambda: _read_chunks(conn, first, as_of)))
            rows.append(await _timed(lambda: _read_rows(conn, first, as_of)))
            block.append(await _timed(lambda: polls.read(conn, lo, hi, first.date(), as_of.date())))
            store.append(
                await _timed(lambda: polls.read(conn, one, one + 1, first.date(), as_of.date()))
            )
        await conn.execute("DROP TABLE bench_rows")
    finally:
        await conn.close()
    out.add(
        "one store's span / its block's chunks of the span",
        f"{_median(store) * 1000:.1f} / {_median(block) * 1000:.1f} ms",
        "per-store reads: target ≤ 1×",
    )
    out.add("read floor, one row per poll (binary COPY of the span)", f"{_median(rows):.3f} s")
    out.add(
        "read floor, chunks (the span as every shard reads it)",
        f"{_median(chunks):.3f} s",
        f"{_median(rows) / _median(chunks):.0f}× less; database time per report, target ≤ 0.1 s",
    )


async def _blocks(conn: asyncpg.Connection) -> list[tuple[int, int]]:
    top = await stores.max_key(conn)
    return [
        (max(b * STORE_BLOCK, 1), min((b + 1) * STORE_BLOCK, top + 1))
        for b in range(top // STORE_BLOCK + 1)
    ]


async def _read_chunks(conn: asyncpg.Connection, first: datetime, last: datetime) -> int:
    polls_read = 0
    for lo, hi in await _blocks(conn):
        for day in await polls.read(conn, lo, hi, first.date(), last.date()):
            polls_read += sum(len(chunk) for chunk in day)
    return polls_read


async def _rows_table(conn: asyncpg.Connection, first: datetime, last: datetime) -> None:
    await conn.execute("DROP TABLE IF EXISTS bench_rows")
    await conn.execute("CREATE TABLE bench_rows (store int4, ts int8, active bool)")
    for lo, hi in await _blocks(conn):
        days = await polls.read(conn, lo, hi, first.date(), last.date())
        span = span_of(days, np.arange(hi - lo, dtype=np.int64), lo)
        await conn.copy_records_to_table(
            "bench_rows",
            records=zip(
                (span.store + lo).tolist(), span.ts.tolist(), span.active.tolist(), strict=True
            ),
        )
    await conn.execute("ANALYZE bench_rows")


async def _read_rows(conn: asyncpg.Connection, first: datetime, last: datetime) -> None:
    async def sink(chunk: bytes) -> None:
        pass

    await conn.copy_from_query(
        "SELECT store, ts, active FROM bench_rows WHERE ts BETWEEN $1 AND $2",
        to_us(first),
        to_us(last),
        output=sink,
        format="binary",
    )


# --- reports ---------------------------------------------------------------------------------


async def _report(
    http: aiohttp.ClientSession, conn: asyncpg.Connection, body: dict[str, Any]
) -> tuple[str, float]:
    """Trigger a report and wait for it: its id and seconds from trigger to Complete."""
    async with http.post("/trigger_report", json=body) as answer:
        report_id = (await answer.json())["report_id"]
    while True:
        report = await reports.get(conn, report_id)
        assert report is not None
        if report.status == "Complete" and report.finished_at is not None:
            return report_id, (report.finished_at - report.requested_at).total_seconds()
        if report.status != "Running":
            raise RuntimeError(f"report {report.status}: {report.error}")
        # The time is the database's (requested_at → finished_at): polling only notices it,
        # and polling every few ms takes CPU from the service, the more the longer it runs.
        await asyncio.sleep(0.05)


def _check_same_rows(what: str, csv_file: Path, duck: list[tuple[str, ...]]) -> None:
    """The service's CSV must hold DuckDB's rows, row for row (the columns DuckDB gives);
    otherwise the bench stops, non-zero, showing the first rows that differ."""
    service = [line.split(",") for line in csv_file.read_text().splitlines()[1:]]
    differ = [
        (n, ",".join(mine), ",".join(theirs))
        for n, (mine, theirs) in enumerate(zip(service, duck, strict=False), start=2)
        if tuple(mine[: len(theirs)]) != tuple(theirs)
    ]
    if differ or len(service) != len(duck):
        shown = "\n".join(
            f"  line {n}: service {a!r}\n          DuckDB  {b!r}" for n, a, b in differ[:5]
        )
        raise SystemExit(
            f"{what}: the service's CSV ({len(service):,} rows) differs from DuckDB's "
            f"({len(duck):,} rows) on {len(differ):,} rows:\n{shown}"
        )


def _duckdb(data: Path) -> tuple[duckdb.DuckDBPyConnection, float]:
    con = duckdb.connect()
    start = time.perf_counter()
    duckdb_report.load(con, data)
    return con, time.perf_counter() - start


def _duckdb_timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


async def bench_report(cfg: BenchConfig, data: Path, url: str, out: Results) -> None:
    con, load = _duckdb(data)
    conn = await asyncpg.connect(url)
    try:
        as_of = await ingests.latest_poll(conn)
        assert as_of is not None
        for workers in cfg.workers:
            label = f"{workers} worker{'s' if workers > 1 else ''}"
            async with running(url, cfg.amqp_server, cfg.data_dir / "reports", workers) as svc:
                async with aiohttp.ClientSession(svc.url) as http:
                    await _report(http, conn, {})  # the first one reads the hours: warm
                    times, ducks = [], []
                    for _ in range(cfg.runs):
                        report_id, took = await _report(http, conn, {})
                        times.append(took)
                        ducks.append(
                            _duckdb_timed(lambda: duckdb_report.standard_report(con, as_of))
                        )
                    _check_same_rows(
                        "standard report",
                        report_path(cfg.data_dir / "reports", report_id),
                        duckdb_report.standard_report(con, as_of),
                    )
                    if workers == cfg.workers[0]:
                        await _pages(http, report_id, out)
                report, duck = _median(times), _median(ducks)
                out.add(
                    f"report, trigger → Complete ({label})",
                    f"{report:.3f} s",
                    "target ≤ 0.5 s at 1×",
                )
                out.add(
                    "DuckDB, the same report in one query (data loaded)",
                    f"{duck:.3f} s",
                    f"loading the CSVs: {load:.2f} s",
                )
                out.add(f"report / DuckDB ({label})", f"{report / duck:.2f}×", "target ≤ 0.4×")
                out.add(
                    f"worker peak RSS ({label})",
                    f"{svc.worker_peak_rss_mb():.0f} MB",
                    "target ≤ 250 MB at 10×",
                )
    finally:
        await conn.close()
        con.close()


async def _pages(http: aiohttp.ClientSession, report_id: str, out: Results) -> None:
    """Pages of the report's rows from PAGE_CLIENTS clients at once: random sort, order,
    store_id prefix, and a second page by cursor now and then."""
    async with http.get(f"/reports/{report_id}/rows?limit=1") as answer:
        first = await answer.json()
    columns = list(first["rows"][0])
    rng = random.Random(1)
    prefixes = ["", "", "", "1", "12", "a", "3f"]
    latencies: list[float] = []

    async def client(requests: int) -> None:
        for _ in range(requests):
            order = rng.choice(["asc", "desc"])
            query = f"sort={rng.choice(columns)}&order={order}&limit=50&q={rng.choice(prefixes)}"
            start = time.perf_counter()
            async with http.get(f"/reports/{report_id}/rows?{query}") as answer:
                page = await answer.json()
            latencies.append(time.perf_counter() - start)
            if page["next_cursor"] and rng.random() < 0.5:
                start = time.perf_counter()
                async with http.get(
                    f"/reports/{report_id}/rows?{query}&cursor={page['next_cursor']}"
                ) as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(client(PAGE_REQUESTS // PAGE_CLIENTS) for _ in range(PAGE_CLIENTS)))
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    out.add(
        "a page of rows under load (p50 / p99)",
        f"{p50 * 1000:.1f} / {p99 * 1000:.1f} ms",
        f"{len(latencies):,} pages, {PAGE_CLIENTS} clients at once, "
        f"{first['rows_total']:,} rows; target p99 ≤ 100 ms",
    )


async def bench_period(cfg: BenchConfig, url: str, out: Results) -> None:
    """A 30-day daily report beside the standard report, on the same 30 days of polls."""
    data = dataset(cfg, cfg.stores, 31.5)
    await _fresh(url, data)
    await figures_ready(cfg, url)
    con, _ = _duckdb(data)
    conn = await asyncpg.connect(url)
    try:
        as_of = await ingests.latest_poll(conn)
        assert as_of is not None
        last = as_of.date() - timedelta(days=1)
        periods = Range(last - timedelta(days=29), last, "day")
        body = {
            "from": periods.first.isoformat(),
            "to": periods.last.isoformat(),
            "interval": "day",
        }
        reports_dir = cfg.data_dir / "reports"
        for workers in cfg.workers:
            label = f"{workers} worker{'s' if workers > 1 else ''}"
            async with (
                running(url, cfg.amqp_server, reports_dir, workers) as svc,
                aiohttp.ClientSession(svc.url) as http,
            ):
                await _report(http, conn, {})  # warm
                standard, period, ducks = [], [], []
                for _ in range(cfg.runs):
                    standard.append((await _report(http, conn, {}))[1])
                    report_id, took = await _report(http, conn, body)
                    period.append(took)
                    ducks.append(
                        _duckdb_timed(
                            lambda: duckdb_report.period_report(
                                con, periods.first, periods.last, "day", as_of
                            )
                        )
                    )
                _check_same_rows(
                    "30-day daily period report",
                    report_path(reports_dir, report_id),
                    duckdb_report.period_report(con, periods.first, periods.last, "day", as_of),
                )
            s, p, d = _median(standard), _median(period), _median(ducks)
            note = f"{cfg.stores:,} stores, 30 days of polls"
            out.add(f"standard report on 30 days of polls ({label})", f"{s:.3f} s", note)
            out.add(
                f"30-day daily period report ({label})",
                f"{p:.3f} s",
                f"{p / s:.2f}× the standard; target ≤ 1.5× (one worker)",
            )
            out.add(
                "DuckDB, the 30-day daily report in one query",
                f"{d:.3f} s",
                f"period / DuckDB {p / d:.2f}×; target ≤ 0.5×",
            )
    finally:
        await conn.close()
        con.close()


async def bench_year(cfg: BenchConfig, url: str, out: Results) -> None:
    """A 366-day monthly report over every store with a year of polls, against the standard
    report on the same data, one worker: times, the worker's peak memory, what it stores."""
    data = dataset(cfg, cfg.stores, 367.5)
    await _fresh(url, data)
    took, _ = await figures_ready(cfg, url)
    conn = await asyncpg.connect(url)
    try:
        as_of = await ingests.latest_poll(conn)
        assert as_of is not None
        last = as_of.date() - timedelta(days=1)
        body = {
            "from": (last - timedelta(days=365)).isoformat(),
            "to": last.isoformat(),
            "interval": "month",
        }
        async with (
            running(url, cfg.amqp_server, cfg.data_dir / "reports", 1) as svc,
            aiohttp.ClientSession(svc.url) as http,
        ):
            await _report(http, conn, {})  # warm
            standard, yearly = [], []
            for _ in range(cfg.runs):
                standard.append((await _report(http, conn, {}))[1])
                yearly.append((await _report(http, conn, body))[1])
        # The yearly report's own peak, on a worker that ran nothing else: the computing child
        # keeps the heap its jobs reached (worker/heap.py), the standard report's included.
        async with running(url, cfg.amqp_server, cfg.data_dir / "reports", 1) as svc:
            async with aiohttp.ClientSession(svc.url) as http:
                await _report(http, conn, body)
            rss = svc.worker_peak_rss_mb()
        polls_stored = await polls.stored(conn)
        sizes = await conn.fetchrow(
            "SELECT pg_total_relation_size('poll_chunks') AS polls,"
            " pg_total_relation_size('daily_figures') AS figures,"
            " pg_total_relation_size('month_figures') AS months"
        )
    finally:
        await conn.close()
    s, y = _median(standard), _median(yearly)
    note = f"{cfg.stores:,} stores, {polls_stored:,} polls"
    out.add("daily figures of a year, from scratch", f"{took:.1f} s", note)
    out.add("standard report on a year of polls (1 worker)", f"{s:.3f} s", note)
    out.add(
        "366-day monthly report (1 worker)", f"{y:.3f} s", f"{y / s:.2f}× the standard; target ≤ 3×"
    )
    out.add(
        "worker peak RSS (the 366-day report)",
        f"{rss:.0f} MB",
        "the worker and its children, a worker that ran only this report; target ≤ 250 MB",
    )
    out.add(
        "storage of a year: polls / daily figures / month figures",
        f"{sizes['polls'] / 2**20:,.0f} / {sizes['figures'] / 2**20:,.0f}"
        f" / {sizes['months'] / 2**20:,.1f} MB",
        note,
    )


async def bench_present(cfg: BenchConfig, data: Path, url: str, out: Results) -> None:
    """Pushed polls, the present after an ingest, and webhook deliveries, with two workers."""
    await _fresh(url, data)
    conn = await asyncpg.connect(url)
    try:
        ids = await stores.all_ids(conn)
        latest = await ingests.latest_poll(conn)
        assert latest is not None
        env = {"WEBHOOK_ALLOW_PRIVATE": "true"}
        async with (
            running(url, cfg.amqp_server, cfg.data_dir / "reports", 2, **env) as svc,
            aiohttp.ClientSession(svc.url) as http,
        ):
            await _up_to_date(conn)
            pushed, ingested, caught_up = [], [], []
            path = data / "increment.csv"
            for hour in range(1, 2 * cfg.runs + 1):
                _increment(path, ids, latest + timedelta(hours=hour))
                if hour % 2:
                    start = time.perf_counter()
                    async with http.post("/polls", data=path.read_bytes()) as answer:
                        assert answer.status == 200, await answer.text()
                    pushed.append(time.perf_counter() - start)
                else:
                    ingested.append(await _timed(lambda: ingest_polls(conn, path)))
                caught_up.append(await _timed(lambda: _up_to_date(conn)))
            push, ingest = _median(pushed), _median(ingested)
            note = f"{len(ids):,} polls; the ingest: {ingest:.3f} s"
            out.add("hourly increment by POST /polls", f"{push:.3f} s", note)
            out.add("POST /polls / storemon ingest", f"{push / ingest:.2f}×", "target ≤ 1.5×")
            out.add(
                "an increment's commit → every block's present and events recorded",
                f"{_median(caught_up):.3f} s",
                "2 workers; target ≤ 0.5 s",
            )
            rate = await _deliveries(conn, http)
            out.add(
                f"{DELIVERED_EVENTS:,} events delivered to a loopback receiver",
                f"{rate:,.0f} /s",
                "2 workers, signed, each verified; target ≥ 200/s",
            )
    finally:
        await conn.close()


async def _up_to_date(conn: asyncpg.Connection) -> None:
    while await present.behind(conn):
        await asyncio.sleep(0.002)


async def _deliveries(conn: asyncpg.Connection, http: aiohttp.ClientSession) -> float:
    """Events per second delivered to a receiver on 127.0.0.1 (which checks signatures)."""
    received: list[str] = []
    secret: list[str] = []

    async def hook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        body = await request.read()
        Webhook(secret[0]).verify(body, dict(request.headers))
        received.append(request.headers["webhook-id"])
        return aiohttp.web.Response(status=204)

    app = aiohttp.web.Application()
    app.router.add_post("/hook", hook)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        body = {"url": f"http://127.0.0.1:{port}/hook", "events": ["report.failed"]}
        async with http.post("/webhooks", json=body) as answer:
            secret.append((await answer.json())["secret"])
        now = datetime.now(UTC)
        batch = [events.NewEvent("report.failed", now, {"n": n}) for n in range(DELIVERED_EVENTS)]
        start = time.perf_counter()
        async with conn.transaction():
            await events.record(conn, batch)
        while len(set(received)) < DELIVERED_EVENTS:
            await asyncio.sleep(0.005)
        return DELIVERED_EVENTS / (time.perf_counter() - start)
    finally:
        await runner.cleanup()


async def run(cfg: BenchConfig) -> str:
    """Run the benchmark; the markdown table of results."""
    url = f"{cfg.server}/storemon_bench"
    out = Results()
    out.add(
        "scale",
        f"{cfg.scale:g}× ({cfg.stores:,} stores)",
        f"{cfg.weeks} week(s) of history, medians of {cfg.runs} runs",
    )
    data = dataset(cfg, cfg.stores, 7 * cfg.weeks + 1.5)
    if "ingest" in cfg.sections:
        await bench_ingest(cfg, data, url, out)
    # The files alone (no increments: DuckDB reads the files), their figures computed.
    await _fresh(url, data)
    if {"report", "reads"} & set(cfg.sections):
        await figures_ready(cfg, url)
    if "reads" in cfg.sections:
        await bench_reads(cfg, url, out)
    if "report" in cfg.sections:
        await bench_report(cfg, data, url, out)
    if "period" in cfg.sections:
        await bench_period(cfg, url, out)
    if "year" in cfg.sections:
        await bench_year(cfg, url, out)
    if "present" in cfg.sections:
        await bench_present(cfg, data, url, out)
    await schema.drop_database(url)
    return out.table()
