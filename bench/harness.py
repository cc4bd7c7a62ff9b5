"""`storemon bench`: ingest and report timings beside the floors PostgreSQL sets, one table.

Everything a ratio compares is timed in the same run, interleaved, and reported as medians.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg

from sampledata.generate import generate_dataset
from shared.db import ingests, reports, schema, stores
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.uptime.compute import SPAN_US

BASE_STORES = 14_000
_SPAN = timedelta(microseconds=SPAN_US)


@dataclass
class BenchConfig:
    scale: float = 1.0
    weeks: int = 1
    runs: int = 3
    workers: list[int] = field(default_factory=lambda: [1])
    data_dir: Path = Path("bench-data")
    server: str = "postgresql://postgres@127.0.0.1:5432"
    amqp_server: str = "amqp://guest:guest@127.0.0.1:5672"


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


def dataset(cfg: BenchConfig) -> Path:
    """The generated files for this scale and history (made once, reused)."""
    stores = round(BASE_STORES * cfg.scale)
    days = 7 * cfg.weeks + 1.5
    out = cfg.data_dir / f"stores{stores}-days{days:g}"
    if not (out / "store_status.csv").exists():
        print(f"generating {stores} stores × {days:g} days into {out}", file=sys.stderr)
        generate_dataset(out, stores, days, seed=1)
    return out


async def _fresh_database(url: str) -> None:
    await schema.drop_database(url)
    await schema.migrate(url)


async def _ingest_floor(conn: asyncpg.Connection, polls: Path) -> float:
    """A plain COPY of the polls file into an unlogged, unindexed table of three text columns."""
    await conn.execute("DROP TABLE IF EXISTS bench_floor")
    await conn.execute("CREATE UNLOGGED TABLE bench_floor (a text, b text, c text)")

    async def copy() -> None:
        await conn.copy_to_table("bench_floor", source=polls, format="csv", header=True)

    took = await _timed(copy)
    await conn.execute("DROP TABLE bench_floor")
    return took


async def bench_ingest(cfg: BenchConfig, data: Path, url: str, out: Results) -> None:
    floors, ingests = [], []
    polls = data / "store_status.csv"
    for _ in range(cfg.runs):
        await _fresh_database(url)
        conn = await asyncpg.connect(url)
        try:
            floors.append(await _ingest_floor(conn, polls))
            ingests.append(await _timed(lambda: ingest_polls(conn, polls)))  # noqa: B023
        finally:
            await conn.close()
    rows = sum(1 for _ in polls.open("rb")) - 1
    floor, ingest = _median(floors), _median(ingests)
    out.add("ingest floor (COPY into 3 text columns)", f"{floor:.2f} s", f"{rows:,} polls")
    out.add("ingest into a fresh database", f"{ingest:.2f} s", f"{rows / ingest:,.0f} rows/s")
    out.add("ingest / floor", f"{ingest / floor:.2f}×", "target ≤ 5×")
    conn = await asyncpg.connect(url)
    try:
        await ingest_hours(conn, data / "menu_hours.csv")
        await ingest_timezones(conn, data / "timezones.csv")
        await _incremental(cfg, conn, data, out)
    finally:
        await conn.close()


async def _incremental(
    cfg: BenchConfig, conn: asyncpg.Connection, data: Path, out: Results
) -> None:
    """One more hour of polls, one per store, into the database that holds the history."""
    ids = await stores.all_ids(conn)
    latest = await ingests.latest_poll(conn)
    assert latest is not None
    times = []
    for run in range(cfg.runs):
        path = data / f"increment-{run}.csv"
        at = latest + timedelta(minutes=30 + 60 * run)
        with path.open("w") as f:
            f.write("store_id,status,timestamp_utc\n")
            for i, store_id in enumerate(ids):
                stamp = (at + timedelta(seconds=i % 3600)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
                f.write(f"{store_id},{'inactive' if i % 13 == 0 else 'active'},{stamp}\n")
        times.append(await _timed(lambda: ingest_polls(conn, path)))  # noqa: B023
    out.add(
        "incremental ingest (one hour, one poll per store)",
        f"{_median(times):.2f} s",
        f"{len(ids):,} polls; target ≤ 1 s",
    )


async def _read_floor(conn: asyncpg.Connection) -> float:
    """asyncpg binary copy_from_query of the span, no ORDER BY, into a sink that keeps nothing."""
    as_of = await ingests.latest_poll(conn)
    assert as_of is not None

    async def sink(chunk: bytes) -> None:
        pass

    async def read() -> None:
        await conn.copy_from_query(
            "SELECT store, ts, active FROM polls WHERE ts BETWEEN $1 AND $2",
            as_of - _SPAN,
            as_of,
            output=sink,
            format="binary",
        )

    return await _timed(read)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vhost(action: str, name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", action, name], check=True, capture_output=True)
    if action == "add_vhost":
        subprocess.run(
            ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench_report(cfg: BenchConfig, url: str, workers: int, out: Results) -> float:
    """Median report seconds (finished_at − requested_at) with `workers` worker processes."""
    vhost = f"storemon_bench_{uuid.uuid4().hex[:8]}"
    _vhost("add_vhost", vhost)
    port = _free_port()
    reports_dir = (cfg.data_dir / "reports").absolute()
    reports_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AMQP_URL": f"{cfg.amqp_server}/{vhost}",
        "REPORTS_DIR": str(reports_dir),
        "PORT": str(port),
    }
    storemon = str(Path(sys.executable).with_name("storemon"))
    procs = [subprocess.Popen([storemon, "api"], env=env, stderr=subprocess.DEVNULL)]
    procs += [
        subprocess.Popen([storemon, "worker"], env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    conn = await asyncpg.connect(url)
    reports, floors = [], []
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            await _wait_for_api(http)
            for _ in range(cfg.runs):
                floors.append(await _read_floor(conn))
                reports.append(await _one_report(http, conn))
        rss = max(_peak_rss_mb(p.pid) for p in procs[1:])
    finally:
        await conn.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        _vhost("delete_vhost", vhost)
    report, floor = _median(reports), _median(floors)
    label = f"{workers} worker{'s' if workers > 1 else ''}"
    out.add("read floor (binary COPY of the span, no order)", f"{floor:.2f} s")
    out.add(f"report, trigger → Complete ({label})", f"{report:.2f} s")
    out.add(f"report / read floor ({label})", f"{report / floor:.2f}×", "target ≤ 3× at 1×")
    out.add(f"worker peak RSS ({label})", f"{rss:.0f} MB", "target ≤ 250 MB at 10×")
    return report


async def _wait_for_api(http: aiohttp.ClientSession) -> None:
    for _ in range(200):
        try:
            async with http.get("/get_report/none") as r:
                if r.status == 404:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start")


async def _one_report(http: aiohttp.ClientSession, conn: asyncpg.Connection) -> float:
    async with http.post("/trigger_report") as r:
        report_id = (await r.json())["report_id"]
    while True:
        report = await reports.get(conn, report_id)
        assert report is not None
        if report["status"] == "Complete":
            return float((report["finished_at"] - report["requested_at"]).total_seconds())
        if report["status"] == "Failed":
            raise RuntimeError(f"report failed: {report['error']}")
        await asyncio.sleep(0.02)


async def run(cfg: BenchConfig) -> str:
    """Run the benchmark; the markdown table of results."""
    data = dataset(cfg)
    url = f"{cfg.server}/storemon_bench"
    out = Results()
    out.add(
        "scale",
        f"{cfg.scale:g}× ({round(BASE_STORES * cfg.scale):,} stores)",
        f"{cfg.weeks} week(s) of history, medians of {cfg.runs} runs",
    )
    await bench_ingest(cfg, data, url, out)
    times = {n: await bench_report(cfg, url, n, out) for n in cfg.workers}
    if len(times) > 1:
        one = times[min(times)]
        for n, t in times.items():
            out.add(f"speed-up with {n} workers", f"{one / t:.2f}×")
    await schema.drop_database(url)
    return out.table()
