"""`python -m bench.soak` (`make soak`): the whole service under load and faults for a while.

A bounded soak run, about five minutes, never part of `make test`. It makes its own throw-away
database (`storemon_soak_<random>`), RabbitMQ vhost of the same name and run directory, generates
and ingests a modest data set, starts the API and two workers from the command line (this
package uses the CLI, never the api or worker packages), then for `--seconds`:

- keeps three reports in flight (POST /trigger_report, then GET /get_report until it ends or
  for 5 s), half with the default as_of, half with one of three fixed as_of values;
- ingests an hourly increment (one poll per store, after the latest poll) every 15 s;
- kills a random worker with SIGKILL every 20–40 s and starts it again;
- once takes PostgreSQL away from the service for 30 s (ALLOW_CONNECTIONS false and every session
  of the database terminated), and once RabbitMQ (the vhost's permissions cleared and its
  connections closed);
- right before each fault triggers a burst of reports (4 before a kill, 12 before an outage),
  so that the fault finds jobs in hand; one burst in the warm-up makes its samples comparable;
- samples every 10 s the RSS and open descriptors of every process, the database's sessions and
  the vhost's connections.

Then it drains (up to 60 s) and checks: every report it was answered 202 for is Complete; all
Complete reports with one as_of have byte-identical CSVs; the three queues are empty; the API
answered only what the spec allows (503 only during an outage and a short recovery); no process
died on its own; RSS (+30 %), descriptors, sessions and connections are flat between the
warm-up and the end. It prints a summary table, exits 1 when a check fails, and removes the
database, the vhost and the data in every case (Ctrl-C included); the logs stay, their directory
is printed.
"""

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg

from bench.processes import (
    STOREMON,
    Service,
    free_port,
    memory_pressure,
    proc_fds,
    proc_rss_mb,
    rabbitmqctl,
    run_command,
    with_app,
)
from shared.db import ingests, polls, reports, schema
from shared.db.reports import Report
from shared.messages import DEAD_LETTER_QUEUE, JOB_QUEUE, RETRY_QUEUE

QUEUES = (JOB_QUEUE, RETRY_QUEUE, DEAD_LETTER_QUEUE)
APP_PREFIX = "storemon-soak"  # application_name prefix of every PostgreSQL session of a run
FOLLOW_POLL = 0.25  # seconds between two GET /get_report of one report
FOLLOW_PATIENCE = 5.0  # seconds a trigger loop follows a report before it triggers the next
RECOVERY_GRACE = 30.0  # seconds after an outage within which 503s are still expected
KILL_BURST = 4  # reports triggered at once right before a worker is killed
OUTAGE_BURST = 12  # reports triggered at once right before an outage
MANAGEMENT = "http://127.0.0.1:15672"  # RabbitMQ's management API
MANAGEMENT_AUTH = {"Authorization": "Basic " + base64.b64encode(b"guest:guest").decode()}


@dataclass
class SoakConfig:
    """What a soak run does; the defaults are `make soak`'s."""

    seconds: float = 300.0  # load and faults; the drain comes after
    stores: int = 1000
    days: float = 8.5
    seed: int = 7
    workers: int = 2
    in_flight: int = 3  # reports kept in flight at once
    shard_stores: int = 256  # STOREMON_SHARD_STORES: several shards per report
    increment_every: float = 15.0
    sample_every: float = 10.0
    kill_every: tuple[float, float] = (20.0, 40.0)
    outage_seconds: float = 30.0
    drain_seconds: float = 60.0
    rss_tolerance: float = 0.30  # end RSS at most this much above the warm-up's
    fd_slack: int = 4  # open descriptors the end may hold beyond the warm-up's
    session_slack: int = 2  # PostgreSQL sessions the end may hold beyond the warm-up's
    keep: bool = False  # keep the generated data and the reports (the logs always stay)
    server: str = "postgresql://postgres@127.0.0.1:5432"
    amqp_server: str = "amqp://guest:guest@127.0.0.1:5672"


@dataclass(frozen=True)
class Timeline:
    """Seconds from the start of the load: warm-up, the fault window, the outages, the end."""

    warmup: float
    faults_end: float
    end: float
    outage: float
    pg_outage: float
    rmq_outage: float

    @classmethod
    def of(cls, cfg: SoakConfig) -> "Timeline":
        calm = min(45.0, 0.15 * cfg.seconds)  # warm-up, and again before the end
        window = cfg.seconds - 2 * calm
        return cls(
            warmup=calm,
            faults_end=cfg.seconds - calm,
            end=cfg.seconds,
            outage=min(cfg.outage_seconds, 0.3 * window),
            pg_outage=calm + 0.2 * window,
            rmq_outage=calm + 0.6 * window,
        )


@dataclass
class Sample:
    """One look at the processes, the database and the broker."""

    t: float
    api_rss: float | None  # MB
    api_fds: int | None
    worker_rss: list[float]
    worker_fds: list[int]
    sessions: dict[str, int]  # PostgreSQL client sessions of the database by application_name
    connections: int | None  # RabbitMQ connections of the vhost
    queues: dict[str, int] | None  # messages per queue
    memory_pressure: float | None  # the host's /proc/pressure/memory "full avg10" (%)

    @property
    def service_sessions(self) -> int:
        """Sessions of the API and the workers (not the soak's own, nor an ingest's)."""
        return sum(n for app, n in self.sessions.items() if app.startswith(f"{APP_PREFIX}-svc"))


@dataclass
class Triggered:
    """A report the API accepted (202)."""

    report_id: str
    as_of: str  # as the API answered
    fixed: bool  # the trigger named the as_of
    t: float


@dataclass
class Stats:
    """What happened during the run, for the checks and the summary."""

    triggered: list[Triggered] = field(default_factory=list)
    answers: Counter[tuple[str, str]] = field(default_factory=Counter)  # (route, status)
    timed_answers: list[tuple[float, str, str]] = field(default_factory=list)  # (t, route, status)
    unexpected: list[str] = field(default_factory=list)  # answers the spec does not allow
    refused: list[tuple[float, str, str]] = field(default_factory=list)  # (t, route, error)
    faults: Counter[str] = field(default_factory=Counter)
    outages: dict[str, tuple[float, float]] = field(default_factory=dict)  # name: (from, to)
    events: list[str] = field(default_factory=list)
    increments: list[tuple[float, bool, float, str]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # t of every 202


@dataclass
class Verdict:
    """The checks of a run (what, passed, detail) and its figures (what, value)."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)

    def check(self, what: str, ok: bool, detail: str) -> None:
        self.checks.append((what, ok, detail))

    def figure(self, what: str, value: str) -> None:
        self.figures.append((what, value))

    def failed(self) -> list[str]:
        return [what for what, ok, _ in self.checks if not ok]

    def print(self, name: str) -> None:
        """Both as markdown tables, on standard output."""
        print(f"\n## Soak run {name}\n\n| measure | value |\n|---|---|")
        for what, value in self.figures:
            print(f"| {what} | {value} |")
        print("\n| check | result | detail |\n|---|---|---|")
        for what, ok, detail in self.checks:
            print(f"| {what} | {'PASS' if ok else '**FAIL**'} | {detail} |")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank `p`-th percentile of `values` (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def iso_z(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Soak:
    """One soak run: set up, load and faults, drain, checks, clean up."""

    def __init__(self, cfg: SoakConfig) -> None:
        self.cfg = cfg
        self.tl = Timeline.of(cfg)
        self.name = f"storemon_soak_{uuid.uuid4().hex[:8]}"
        self.db_url = f"{cfg.server}/{self.name}"
        self.admin_url = f"{cfg.server}/postgres"
        self.amqp_url = f"{cfg.amqp_server}/{self.name}"
        self.dir = Path(tempfile.gettempdir()) / self.name
        self.data, self.reports, self.logs = (self.dir / d for d in ("data", "reports", "logs"))
        self.port = free_port()
        self.stats = Stats()
        self.rng = random.Random(cfg.seed)
        self.stopping = asyncio.Event()
        self.t0 = time.monotonic()
        self.services: list[Service] = []
        self.workers: list[Service] = []
        self.admin: asyncpg.Connection | None = None  # to the postgres database
        self.admin_lock = asyncio.Lock()  # one statement at a time on it
        self.http: aiohttp.ClientSession | None = None
        self.store_ids: list[str] = []
        self.latest: datetime | None = None  # the latest poll ingested
        self.fixed_as_of: list[str] = []
        self.created: set[str] = set()  # what cleanup must remove: "database", "vhost"
        self.final: Sample | None = None
        self.drained_in: float | None = None

    # -- helpers ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, message: str) -> None:
        print(f"[{self.now():6.1f}s] {message}", file=sys.stderr, flush=True)

    def event(self, message: str) -> None:
        self.stats.events.append(f"{self.now():6.1f}s {message}")
        self.say(message)

    def env(self, app: str) -> dict[str, str]:
        """The environment of a storemon process; `app` names its PostgreSQL sessions."""
        env = {
            k: v
            for k, v in os.environ.items()
            # Not ours to inherit: a token our client does not send, one metrics port for two
            # workers.
            if k not in ("API_TOKEN", "WORKER_METRICS_PORT")
        }
        env.update(
            DATABASE_URL=with_app(self.db_url, f"{APP_PREFIX}-{app}"),
            AMQP_URL=self.amqp_url,
            REPORTS_DIR=str(self.reports),
            PORT=str(self.port),
            STOREMON_SHARD_STORES=str(self.cfg.shard_stores),
        )
        return env

    async def cli(self, *args: str, app: str = "cli") -> None:
        """Run `storemon ARGS`; RuntimeError when it fails (set-up steps only)."""
        rc, out, err = await run_command([STOREMON, *args], self.env(app))
        if rc != 0:
            raise RuntimeError(f"storemon {' '.join(args)} exited {rc}: {err.strip()[-2000:]}")
        if out.strip():
            self.say(out.strip().replace("\n", "; "))

    async def pause(self, seconds: float) -> bool:
        """Sleep, ending early when the run stops; False when it stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), max(0.0, seconds))
        return not self.stopping.is_set()

    async def pause_until(self, t: float) -> bool:
        return await self.pause(t - self.now())

    async def soak_db(self) -> asyncpg.Connection:
        return await asyncpg.connect(with_app(self.db_url, f"{APP_PREFIX}-check"))

    # -- set-up ----------------------------------------------------------------------------

    async def setup(self) -> None:
        cfg = self.cfg
        for d in (self.data, self.reports, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        self.say(f"run {self.name}: database and vhost {self.name}, files in {self.dir}")
        self.created.add("vhost")
        await rabbitmqctl("add_vhost", self.name)
        await rabbitmqctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        self.created.add("database")
        await self.cli("migrate")
        await self.cli(
            "generate",
            "--stores",
            str(cfg.stores),
            "--days",
            f"{cfg.days:g}",
            "--seed",
            str(cfg.seed),
            str(self.data),
        )
        await self.cli(
            "ingest",
            "--timezones",
            str(self.data / "timezones.csv"),
            "--hours",
            str(self.data / "menu_hours.csv"),
            "--polls",
            str(self.data / "store_status.csv"),
            app="ingest",
        )
        with (self.data / "store_status.csv").open() as f:
            next(f)
            self.store_ids = sorted({line.split(",", 1)[0] for line in f})
        conn = await self.soak_db()
        try:
            self.latest = await ingests.latest_poll(conn)
        finally:
            await conn.close()
        assert self.latest is not None
        first = self.latest
        self.fixed_as_of = [
            iso_z(t) for t in (first, first - timedelta(hours=6), first - timedelta(days=3))
        ]
        self.admin = await asyncpg.connect(with_app(self.admin_url, f"{APP_PREFIX}-admin"))
        api = Service("api", [STOREMON, "api"], self.env("svc-api"), self.logs)
        self.workers = [
            Service(f"worker-{n}", [STOREMON, "worker"], self.env(f"svc-worker-{n}"), self.logs)
            for n in range(1, cfg.workers + 1)
        ]
        self.services = [api, *self.workers]
        for service in self.services:
            await service.start()
        self.http = aiohttp.ClientSession(
            f"http://127.0.0.1:{self.port}", timeout=aiohttp.ClientTimeout(total=30)
        )
        await self.wait_ready()

    async def wait_ready(self) -> None:
        assert self.http is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.http.get("/readyz") as r:
                    consuming = all(w.logged("worker consuming") for w in self.workers)
                    if r.status == 200 and consuming:
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the API or the workers did not get ready in 60 s; see {self.logs}")

    # -- the load and the faults -----------------------------------------------------------

    async def load(self) -> None:
        tl = self.tl
        self.t0 = time.monotonic()
        self.say(
            f"load for {tl.end:g} s: warm-up until {tl.warmup:g} s, worker kills until "
            f"{tl.faults_end:g} s, PostgreSQL outage at {tl.pg_outage:g} s and RabbitMQ outage "
            f"at {tl.rmq_outage:g} s ({tl.outage:g} s each)"
        )
        async with asyncio.TaskGroup() as tasks:
            for n in range(self.cfg.in_flight):
                tasks.create_task(self.trigger_loop(n))
            tasks.create_task(self.increments())
            tasks.create_task(self.kills())
            tasks.create_task(self.outage("PostgreSQL", tl.pg_outage, self.pg_down, self.pg_up))
            tasks.create_task(self.outage("RabbitMQ", tl.rmq_outage, self.rmq_down, self.rmq_up))
            tasks.create_task(self.sampler())
            tasks.create_task(self.warmup_burst())
            await asyncio.sleep(max(0.0, tl.end - self.now()))
            self.say("load over: no more triggers; draining")
            self.stopping.set()

    async def call(self, method: str, route: str, path: str, **kw: Any) -> tuple[int, Any]:
        """One API request: its status and JSON body (0 and the error when it got no answer).
        Any answer the spec does not allow for `route` is noted."""
        assert self.http is not None
        allowed = {"trigger": {202, 503}, "get_report": {200, 503}}[route]
        try:
            async with self.http.request(method, path, **kw) as r:
                raw = await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            self.stats.answers[(route, type(e).__name__)] += 1
            self.stats.unexpected.append(f"{self.now():.1f}s {method} {path}: {e!r}")
            return 0, repr(e)
        self.stats.answers[(route, str(status))] += 1
        self.stats.timed_answers.append((self.now(), route, str(status)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if status not in allowed or not isinstance(body, dict):
            self.stats.unexpected.append(
                f"{self.now():.1f}s {method} {path}: {status} {raw[:300]!r}"
            )
        elif status == 503:
            self.stats.refused.append((self.now(), route, str(body.get("error"))))
        return status, body

    async def trigger_loop(self, n: int) -> None:
        """Trigger a report and follow it (for FOLLOW_PATIENCE s at most: triggers go on
        during an outage), again, until the load is over."""
        rng = random.Random(self.cfg.seed * 1000 + n)
        while not self.stopping.is_set():
            report = await self.trigger(
                rng.choice(self.fixed_as_of) if rng.random() < 0.5 else None
            )
            if report is not None:
                await self.follow(report)
            elif not await self.pause(1.0):
                return
            await self.pause(rng.uniform(0.0, 0.5))

    async def trigger(self, as_of: str | None) -> Triggered | None:
        """POST /trigger_report (with `as_of`, or the default); the report when accepted."""
        body = {} if as_of is None else {"as_of": as_of}
        status, answer = await self.call("POST", "trigger", "/trigger_report", json=body)
        if status != 202 or not isinstance(answer, dict):
            return None
        self.stats.accepted_at.append(self.now())
        report = Triggered(answer["report_id"], answer["as_of"], as_of is not None, self.now())
        self.stats.triggered.append(report)
        return report

    async def burst(self, n: int) -> int:
        """`n` triggers at once, not followed, so that the workers have jobs in hand when a
        fault strikes; how many were accepted."""
        reports = await asyncio.gather(
            *(self.trigger(self.fixed_as_of[i % 3] if i % 2 else None) for i in range(n))
        )
        return sum(r is not None for r in reports)

    async def follow(self, report: Triggered) -> None:
        """GET /get_report until the report is no longer Running, the run stops, or patience
        runs out (the final check finds it)."""
        give_up = self.now() + FOLLOW_PATIENCE
        while not self.stopping.is_set() and self.now() < give_up:
            status, answer = await self.call("GET", "get_report", f"/get_report/{report.report_id}")
            if status == 200 and isinstance(answer, dict) and answer.get("status") != "Running":
                return
            await self.pause(FOLLOW_POLL)

    async def increments(self) -> None:
        """An hour of polls, one per store, after the latest poll, every increment_every s; a
        failed ingest is tried again with the same file (it is all or nothing)."""
        k, pending = 0, None
        while await self.pause_until((k + 1) * self.cfg.increment_every):
            k += 1
            if pending is None:
                pending = self.write_increment(k)
            path, latest = pending
            start = time.monotonic()
            rc, _, err = await run_command(
                [STOREMON, "ingest", "--polls", str(path)], self.env("ingest")
            )
            took = time.monotonic() - start
            ok = rc == 0
            last = err.strip().splitlines()[-1] if err.strip() and not ok else ""
            self.stats.increments.append((self.now(), ok, took, last))
            if ok:
                self.latest, pending = latest, None
            else:
                self.event(f"increment {path.name} not ingested ({took:.1f} s): {last[:200]}")

    def write_increment(self, k: int) -> tuple[Path, datetime]:
        """The polls file of increment k: one poll per store in the hour after the latest."""
        assert self.latest is not None
        path = self.data / f"increment-{k:03d}.csv"
        n = len(self.store_ids)
        stamps = [
            self.latest + timedelta(minutes=1) + timedelta(seconds=3540 * i / n) for i in range(n)
        ]
        with path.open("w") as f:
            f.write("store_id,status,timestamp_utc\n")
            for store_id, at in zip(self.store_ids, stamps, strict=True):
                status = "active" if self.rng.random() < 0.9 else "inactive"
                f.write(f"{store_id},{status},{at:%Y-%m-%d %H:%M:%S.%f} UTC\n")
        return path, max(stamps)

    async def warmup_burst(self) -> None:
        """The bursts before faults widen the API's pools (PostgreSQL sessions, HTTP
        connections); one in the warm-up, before its samples, makes them a fair baseline."""
        if await self.pause_until(self.tl.warmup / 4):
            self.say(f"warm-up burst: {await self.burst(OUTAGE_BURST)} triggers accepted")

    async def kills(self) -> None:
        """SIGKILL a random worker every kill_every seconds in the fault window, right after a
        burst of triggers, and start it again."""
        lo, hi = self.cfg.kill_every
        at = self.tl.warmup + self.rng.uniform(lo, hi)
        while at < self.tl.faults_end and await self.pause_until(at):
            at += self.rng.uniform(lo, hi)
            worker = self.rng.choice(self.workers)
            burst = await self.burst(KILL_BURST)
            await asyncio.sleep(0.1)
            pid = await worker.kill_and_restart()
            if pid is None:
                self.event(f"{worker.name} not running: no SIGKILL")
                continue
            self.stats.faults["worker SIGKILL"] += 1
            self.event(
                f"SIGKILL {worker.name} (pid {pid}) after a burst of {burst} triggers; "
                f"started again as pid {worker.pid}"
            )

    async def outage(
        self,
        name: str,
        at: float,
        down: Callable[[], Awaitable[str]],
        up: Callable[[], Awaitable[None]],
    ) -> None:
        """Take `name` away at `at` for the timeline's outage seconds (whatever else happens)."""
        if self.tl.outage <= 0 or not await self.pause_until(at):
            return
        try:
            burst = await self.burst(OUTAGE_BURST)
            message = await down() + f" (after a burst of {burst} triggers)"
            self.stats.outages[name] = (self.now(), math.inf)  # from when it is in effect
            self.event(message)
            await asyncio.sleep(self.tl.outage)
        finally:
            await up()
            self.stats.outages[name] = (self.stats.outages.get(name, (at, 0))[0], self.now())
        self.event(f"{name} back")

    def in_outage(self, t: float, grace: float = 0.0) -> bool:
        """Whether `t` falls in an outage or the `grace` seconds after it."""
        return any(start <= t <= end + grace for start, end in self.stats.outages.values())

    async def pg_down(self) -> str:
        assert self.admin is not None
        async with self.admin_lock:
            await self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            terminated = await self.admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
        self.stats.faults["PostgreSQL outage"] += 1
        return f"PostgreSQL outage: connections refused, {terminated} sessions terminated"

    async def pg_up(self) -> None:
        assert self.admin is not None
        async with self.admin_lock:
            await self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    async def rmq_down(self) -> str:
        before = await self.rmq_connections()
        await rabbitmqctl("clear_permissions", "-p", self.name, "guest")
        await rabbitmqctl("close_all_connections", "-p", self.name, "storemon soak: outage")
        self.stats.faults["RabbitMQ outage"] += 1
        return f"RabbitMQ outage: permissions cleared, {before} connections closed"

    async def rmq_up(self) -> None:
        await rabbitmqctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")

    # -- samples -------------------------------------------------------------------------

    async def rmq_connections(self) -> int | None:
        try:
            out = await rabbitmqctl("list_connections", "vhost", "--formatter", "json")
            return sum(1 for c in json.loads(out or "[]") if c.get("vhost") == self.name)
        except (RuntimeError, ValueError, TimeoutError):
            return None

    async def redeliveries(self) -> int | None:
        """Deliveries of the job queue that were redeliveries (the management API's count)."""
        url = f"{MANAGEMENT}/api/queues/{quote(self.name, safe='')}/{JOB_QUEUE}"
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(
                    url, headers=MANAGEMENT_AUTH, timeout=aiohttp.ClientTimeout(total=10)
                ) as r,
            ):
                stats = (await r.json()).get("message_stats") or {}
        except (aiohttp.ClientError, ValueError, TimeoutError):
            return None
        return int(stats.get("redeliver", 0))

    async def queue_depths(self) -> dict[str, int] | None:
        try:
            out = await rabbitmqctl(
                "list_queues", "-p", self.name, "name", "messages", "--formatter", "json"
            )
            found = {q["name"]: int(q["messages"]) for q in json.loads(out or "[]")}
        except (RuntimeError, ValueError, TimeoutError):
            return None
        return {q: found.get(q, 0) for q in QUEUES}

    async def sample(self) -> Sample:
        api, workers = self.services[0], self.workers
        assert self.admin is not None
        async with self.admin_lock:
            # Client sessions only: a COPY's parallel query workers show up with its name too.
            rows = await self.admin.fetch(
                "SELECT application_name AS app, count(*) AS n FROM pg_stat_activity "
                "WHERE datname = $1 AND backend_type = 'client backend' GROUP BY 1",
                self.name,
            )
        worker_pids = [w.pid for w in workers if w.pid is not None]
        sample = Sample(
            t=self.now(),
            api_rss=proc_rss_mb(api.pid) if api.pid else None,
            api_fds=proc_fds(api.pid) if api.pid else None,
            worker_rss=[r for p in worker_pids if (r := proc_rss_mb(p)) is not None],
            worker_fds=[f for p in worker_pids if (f := proc_fds(p)) is not None],
            sessions={r["app"] or "?": int(r["n"]) for r in rows},
            connections=await self.rmq_connections(),
            queues=await self.queue_depths(),
            memory_pressure=memory_pressure(),
        )
        self.say(
            f"sample: API {sample.api_rss or 0:.0f} MB {sample.api_fds} fds; workers "
            f"{', '.join(f'{r:.0f} MB' for r in sample.worker_rss)} "
            f"{sample.worker_fds} fds; {sample.service_sessions} PostgreSQL sessions; "
            f"{sample.connections} RabbitMQ connections; queues {sample.queues}; "
            f"{len(self.stats.triggered)} reports triggered"
        )
        return sample

    async def sampler(self) -> None:
        k = 0
        while await self.pause_until(k * self.cfg.sample_every):
            try:
                self.stats.samples.append(await self.sample())
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                self.say(f"sample failed: {e!r}")
            k += 1

    # -- the end ---------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait (up to drain_seconds) until no report is Running and every queue is empty."""
        start = time.monotonic()
        while True:
            conn = await self.soak_db()
            try:
                running = len(await reports.running(conn))
            finally:
                await conn.close()
            queues = await self.queue_depths()
            if running == 0 and queues is not None and not any(queues.values()):
                self.drained_in = time.monotonic() - start
                break
            if time.monotonic() - start > self.cfg.drain_seconds:
                self.say(f"drain: still {running} Running, queues {queues}; giving up")
                break
            await asyncio.sleep(1.0)
        self.final = await self.sample()

    async def verdict(self) -> int:
        """The checks and the summary; the exit status."""
        conn = await self.soak_db()
        try:
            rows = [_outcome(r) for r in await reports.listing(conn, limit=1_000_000)]
            polls_stored = await polls.stored(conn)
        finally:
            await conn.close()
        v = Verdict()
        by_id = {r["id"]: r for r in rows}
        ours = [(t, by_id.get(t.report_id)) for t in self.stats.triggered]
        done = [(t, r) for t, r in ours if r is not None and r["status"] == "Complete"]
        accepted = {t.report_id for t in self.stats.triggered}
        self.check_reports(v, ours, [r for r in rows if r["id"] not in accepted])
        self.check_csvs(v, [r for _, r in done])
        queues = self.final.queues if self.final else None
        v.check(
            "no message left in the job, retry and dead-letter queues",
            queues is not None and not any(queues.values()),
            f"{queues}",
        )
        self.check_api(v)
        self.check_processes(v)
        self.check_flat(v)
        self.check_host(v)
        self.figures(v, done, polls_stored)
        redelivered = await self.redeliveries()
        v.figure(
            "job messages redelivered by the broker (kills, outages)",
            "n/a" if redelivered is None else f"{redelivered:,}",
        )
        samples = [*self.stats.samples, *([self.final] if self.final else [])]
        (self.logs / "samples.json").write_text(json.dumps([asdict(s) for s in samples], indent=1))
        v.print(self.name)
        print("\nslowest reports (trigger → Complete):")
        for t, r in sorted(done, key=lambda d: -d[1]["seconds"])[:8]:
            print(
                f"  {r['id']}: triggered at {t.t:.1f}s ({'fixed' if t.fixed else 'default'} "
                f"as_of {t.as_of}), Complete {r['seconds']:.2f} s later"
            )
        self.print_log_findings()
        print("\nevents:\n  " + "\n  ".join(self.stats.events))
        print(f"\nlogs: {self.logs}")
        failed = v.failed()
        print(f"\nsoak {'FAILED: ' + '; '.join(failed) if failed else 'passed'}")
        return 1 if failed else 0

    def check_reports(
        self,
        v: "Verdict",
        ours: list[tuple[Triggered, asyncpg.Record | None]],
        others: list[asyncpg.Record],
    ) -> None:
        """Every accepted report Complete; no report the API refused left Running."""
        states = Counter(r["status"] if r is not None else "missing" for _, r in ours)
        bad = [
            f"{t.report_id}: {r['status'] if r else 'missing'} {r['error'] if r else ''}"
            for t, r in ours
            if r is None or r["status"] != "Complete"
        ]
        v.check(
            "every accepted (202) report is Complete",
            not bad,
            f"{states['Complete']:,} of {len(ours):,} Complete"
            + (f"; not: {bad[:10]}" if bad else ""),
        )
        stuck = [f"{r['id']}: {r['error']}" for r in others if r["status"] == "Running"]
        left = Counter(r["status"] for r in others)
        v.check(
            "no report the API refused (503) is left Running",
            not stuck,
            f"rows left by refused triggers: {dict(left) or 'none'}"
            + (f"; Running: {stuck[:10]}" if stuck else ""),
        )

    def check_csvs(self, v: "Verdict", done: list[asyncpg.Record]) -> None:
        """Complete reports of one as_of: one CSV, byte for byte."""
        digests: dict[datetime, Counter[str]] = {}
        missing = []
        for r in done:
            try:
                digest = hashlib.sha256((self.reports / f"{r['id']}.csv").read_bytes()).hexdigest()
            except OSError:
                missing.append(r["id"])
                continue
            digests.setdefault(r["as_of"], Counter())[digest] += 1
        shared = [d for d in digests.values() if d.total() > 1]
        differing = {iso_z(a): dict(d) for a, d in digests.items() if len(d) > 1}
        v.check(
            "Complete reports of one as_of have byte-identical CSVs",
            not differing and not missing,
            f"{len(digests)} distinct as_of; {len(shared)} shared by several reports, the "
            f"largest by {max((d.total() for d in shared), default=0)}"
            + (f"; differing: {differing}" if differing else "")
            + (f"; CSV missing: {missing[:10]}" if missing else ""),
        )

    def check_api(self, v: "Verdict") -> None:
        """Only the answers the spec allows, 503 only around an outage, and back soon after."""
        late = [
            f"{t:.1f}s {route}: {error}"
            for t, route, error in self.stats.refused
            if not self.in_outage(t, RECOVERY_GRACE)
        ]
        v.check(
            "the API answers 202/200, or 503 JSON during an outage",
            not self.stats.unexpected and not late,
            f"{self.stats.answers.total():,} requests: "
            + ", ".join(f"{r} {s}: {n:,}" for (r, s), n in sorted(self.stats.answers.items()))
            + (f"; unexpected: {self.stats.unexpected[:10]}" if self.stats.unexpected else "")
            + (f"; 503 outside outages: {late[:10]}" if late else ""),
        )
        recovery: dict[str, float | None] = {}
        for name, (_, end) in self.stats.outages.items():
            after = [t for t in self.stats.accepted_at if t >= end]
            recovery[name] = min(after) - end if after else None
        for name, (start, end) in self.stats.outages.items():
            during = Counter(
                f"{route} {status}"
                for t, route, status in self.stats.timed_answers
                if start <= t <= end
            )
            v.figure(
                f"answers during the {name} outage",
                ", ".join(f"{k}: {n}" for k, n in sorted(during.items())) or "none",
            )
        recovering = Counter(
            error
            for t, _, error in self.stats.refused
            if not any(a <= t <= b for a, b in self.stats.outages.values())
        )
        v.figure(
            "503 answers just after an outage (why)",
            "; ".join(f"{n} × {error[:120]}" for error, n in recovering.most_common(4)) or "none",
        )
        v.check(
            f"triggers accepted again within {RECOVERY_GRACE:g} s of each outage's end",
            all(r is not None and r <= RECOVERY_GRACE for r in recovery.values()),
            ", ".join(
                f"{k}: {'never' if r is None else f'{r:.1f} s'}" for k, r in recovery.items()
            ),
        )

    def check_processes(self, v: "Verdict") -> None:
        """No process ended on its own; every increment went in, but during an outage."""
        exits = [e for s in self.services for e in s.exits]
        v.check("no process exited on its own", not exits, "; ".join(exits) or "none")
        failed = [
            f"{t:.1f}s: {err[:200]}"
            for t, ok, _, err in self.stats.increments
            if not ok and not self.in_outage(t, RECOVERY_GRACE)
        ]
        ok = sum(ok for _, ok, _, _ in self.stats.increments)
        v.check(
            "every increment ingested (the PostgreSQL outage aside)",
            not failed,
            f"{ok} of {len(self.stats.increments)} attempts ingested"
            + (f"; failed: {failed}" if failed else ""),
        )

    def check_flat(self, v: "Verdict") -> None:
        """The warm-up's samples against the end's (the calm stretch after the last fault, and
        the sample after the drain): RSS within the tolerance, the rest not growing."""
        cfg, tl = self.cfg, self.tl
        warm = [s for s in self.stats.samples if tl.warmup / 3 <= s.t <= tl.warmup]
        end = [s for s in self.stats.samples if s.t >= tl.faults_end + cfg.sample_every]
        end += [self.final] if self.final else []
        if not warm or not end:
            v.check("resource samples in the warm-up and at the end", False, "too few samples")
            return

        def most(values: Iterable[float | int | None]) -> float:
            return max((float(x) for x in values if x is not None), default=float("nan"))

        rss = 1 + cfg.rss_tolerance
        measures: list[tuple[str, Callable[[Sample], Iterable[float | int | None]], str]] = [
            ("API RSS (MB)", lambda s: [s.api_rss], f"× {rss:g}"),
            ("worker RSS (MB, largest)", lambda s: s.worker_rss, f"× {rss:g}"),
            ("API open fds", lambda s: [s.api_fds], f"+ {cfg.fd_slack}"),
            ("worker open fds (largest)", lambda s: s.worker_fds, f"+ {cfg.fd_slack}"),
            (
                "PostgreSQL sessions (API + workers)",
                lambda s: [s.service_sessions],
                f"+ {cfg.session_slack}",
            ),
            ("RabbitMQ connections", lambda s: [s.connections], "+ 0"),
        ]
        for what, values, slack in measures:
            before = most(x for s in warm for x in values(s))
            after = most(x for s in end for x in values(s))
            op, amount = slack.split()
            limit = before * float(amount) if op == "×" else before + float(amount)
            v.check(
                f"flat: {what}",
                after <= limit,
                f"warm-up {before:g} → end {after:g} (limit: warm-up {slack})",
            )
            v.figure(f"{what}: warm-up → end (largest sample)", f"{before:.0f} → {after:.0f}")
        final = self.final
        if final is not None:
            v.check(
                "after the drain: one RabbitMQ connection per process",
                final.connections == 1 + cfg.workers,
                f"{final.connections} (expected {1 + cfg.workers}); PostgreSQL sessions "
                f"{final.sessions}",
            )

    def check_host(self, v: "Verdict") -> None:
        """A host that stalls everything (other work swapping it out) makes every figure
        meaningless: say so rather than blame the service."""
        times = [s.t for s in self.stats.samples]
        gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        pressure = max((s.memory_pressure or 0.0 for s in self.stats.samples), default=0.0)
        v.check(
            "the host kept pace (samples at most 3 intervals apart)",
            gap <= 3 * self.cfg.sample_every,
            f"longest gap between samples {gap:.1f} s; host memory pressure (full, avg10) up "
            f"to {pressure:.1f} %",
        )

    def figures(
        self, v: "Verdict", done: list[tuple[Triggered, asyncpg.Record]], polls: int
    ) -> None:
        cfg, tl, stats = self.cfg, self.tl, self.stats
        took = [r["seconds"] for _, r in done]
        calm = [r["seconds"] for t, r in done if t.t < tl.warmup or t.t > tl.faults_end]
        across = {
            name: sum(1 for t, r in done if t.t <= start < t.t + r["seconds"])
            for name, (start, _) in stats.outages.items()
        }
        caught = {  # the last report in flight during the outage: Complete how long after it?
            name: max(
                (t.t + r["seconds"] - end for t, r in done if t.t <= end < t.t + r["seconds"]),
                default=None,
            )
            for name, (_, end) in stats.outages.items()
        }
        ingests = [seconds for _, ok, seconds, _ in stats.increments if ok]
        refused = Counter(
            next(
                (f"during the {n} outage" for n, (a, b) in stats.outages.items() if a <= t <= b),
                "just after an outage",
            )
            for t, route, _ in stats.refused
            if route == "trigger"
        )
        figures = [
            (
                "run",
                f"{tl.end:g} s of load, then {self.drained_in or float('nan'):.1f} s of drain; "
                f"{cfg.workers} workers, {cfg.shard_stores} stores per shard, "
                f"{cfg.in_flight} reports in flight",
            ),
            (
                "data",
                f"{cfg.stores:,} stores × {cfg.days:g} days; {polls:,} polls at the end after "
                f"{len(ingests)} hourly increments (ingest p50 {percentile(ingests, 50):.2f} s, "
                f"max {max(ingests, default=0):.2f} s)",
            ),
            (
                "reports triggered (202)",
                f"{len(stats.triggered):,} ({sum(t.fixed for t in stats.triggered):,} with a "
                "fixed as_of)",
            ),
            ("reports Complete", f"{len(done):,}"),
            ("triggers refused (503)", ", ".join(f"{k}: {n}" for k, n in refused.items()) or "0"),
            ("faults", ", ".join(f"{k} × {n}" for k, n in sorted(stats.faults.items()))),
            (
                "reports in flight when an outage began (all Complete)",
                ", ".join(f"{k}: {n}" for k, n in across.items()),
            ),
            (
                "the last report caught by an outage: Complete after its end",
                ", ".join(
                    f"{k}: {'none in flight' if s is None else f'{s:.1f} s'}"
                    for k, s in caught.items()
                ),
            ),
            (
                "trigger → Complete, all: p50 / p99 / max",
                f"{percentile(took, 50):.2f} s / {percentile(took, 99):.2f} s / "
                f"{max(took, default=float('nan')):.2f} s",
            ),
            (
                "trigger → Complete, outside the fault window: p50 / p99",
                f"{percentile(calm, 50):.2f} s / {percentile(calm, 99):.2f} s "
                f"({len(calm):,} reports)",
            ),
        ]
        v.figures[:0] = figures

    def print_log_findings(self) -> None:
        """Errors in the service logs, and how often each kind of warning came."""
        errors: list[str] = []
        warnings: Counter[str] = Counter()
        for service in self.services:
            for log in service.logs:
                for raw in log.read_text(errors="replace").splitlines():
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        errors.append(f"{log.name}: (not JSON) {raw[:300]}")
                        continue
                    level, msg = line.get("level"), str(line.get("msg", ""))
                    if level in ("ERROR", "CRITICAL"):
                        exc = str(line.get("exc", "")).strip().splitlines()[-1:]
                        errors.append(f"{log.name} {line.get('ts')}: {msg[:300]} {exc}")
                    elif level == "WARNING":
                        warnings[f"{service.name.split('-')[0]}: {_shape(msg)}"] += 1
        print(f"\nlog lines at ERROR: {len(errors)}")
        for e in errors[:30]:
            print(f"  {e}")
        print("warnings by kind:")
        for msg, n in warnings.most_common(25):
            print(f"  {n:5d} × {msg}")

    # -- clean-up --------------------------------------------------------------------------

    async def cleanup(self) -> None:
        """Stop the processes, drop the database and the vhost, remove the data; each step
        whatever became of the others."""
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("stop processes", self._stop_all),
            ("close connections", self._close),
            ("drop database", self._drop_database),
            ("delete vhost", self._delete_vhost),
        ]
        for what, step in steps:
            try:
                await step()
            except Exception as e:
                print(f"clean-up: {what}: {e!r}", file=sys.stderr)
        if not self.cfg.keep:
            shutil.rmtree(self.data, ignore_errors=True)
            shutil.rmtree(self.reports, ignore_errors=True)

    async def _stop_all(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.services))

    async def _close(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.admin is not None:
            await self.admin.close()

    async def _drop_database(self) -> None:
        if "database" not in self.created:
            return
        await schema.drop_database(self.db_url)

    async def _delete_vhost(self) -> None:
        if "vhost" in self.created:
            await rabbitmqctl("delete_vhost", self.name, check=False)


_VARIABLE = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?")


def _outcome(report: Report) -> dict[str, Any]:
    """What the checks read of a report: its id as text, and seconds from trigger to end."""
    finished = report.finished_at
    seconds = None if finished is None else (finished - report.requested_at).total_seconds()
    return {**dataclasses.asdict(report), "seconds": seconds}


def _shape(message: str) -> str:
    """A log message with its ids and numbers blanked, to count messages of one kind."""
    return _VARIABLE.sub("#", message)[:160]


async def run(cfg: SoakConfig) -> int:
    """One soak run; its exit status (0: every check passed)."""
    soak = Soak(cfg)
    task = asyncio.current_task()
    assert task is not None
    signals: list[int] = []

    def interrupt(signum: int) -> None:
        """The first SIGINT or SIGTERM ends the run (cleaning up); later ones are ignored, so
        that the clean-up itself is not cut short. A terminal's Ctrl-C reaches the service
        processes too: they are no longer restarted."""
        if not signals:
            for service in soak.services:
                service.stopping()
            task.cancel()
        name = signal.Signals(signum).name
        soak.say(f"{name}: {'still cleaning up' if signals else 'stopping and cleaning up'}")
        signals.append(signum)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt, signum)
    try:
        await soak.setup()
        await soak.load()
        await soak.drain()
        return await soak.verdict()
    except asyncio.CancelledError:
        if not signals:
            raise
        return 128 + signals[0]
    finally:
        soak.say("cleaning up: processes, database, vhost")
        await soak.cleanup()
        soak.say(f"clean-up done; logs in {soak.logs}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("SOAK_SECONDS") or 300),
        help="seconds of load and faults (default: SOAK_SECONDS or 300)",
    )
    p.add_argument("--stores", type=int, default=1000)
    p.add_argument("--days", type=float, default=8.5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keep", action="store_true", help="keep the data and the reports")
    args = p.parse_args(argv)
    cfg = SoakConfig(
        seconds=args.seconds,
        stores=args.stores,
        days=args.days,
        seed=args.seed,
        workers=args.workers,
        keep=args.keep,
        sample_every=min(10.0, max(2.0, args.seconds / 30)),  # short runs still get samples
    )
    try:
        return asyncio.run(run(cfg))
    except (RuntimeError, OSError, asyncpg.PostgresError) as e:  # set-up failed; cleaned up
        print(f"soak: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
