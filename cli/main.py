"""The `storemon` command: migrate, ingest, generate, run the api or a worker, get a report."""

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg

from shared import logs
from shared.config import Settings
from shared.db import schema
from shared.errors import BadInput, ConfigError, StoremonError

T = TypeVar("T")


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = asyncio.run(schema.migrate(settings.database_url))
    name = schema.database_name(settings.database_url)
    if applied:
        print(f"{name}: applied {', '.join(applied)}")
    else:
        print(f"{name}: schema up to date (version {schema.latest_version()})")
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
    from shared.ingest.turns import Turn, in_turn

    if not (args.polls or args.hours or args.timezones):
        print("nothing to ingest: give --polls, --hours and/or --timezones", file=sys.stderr)
        return 2

    async def timezones(conn: asyncpg.Connection, turn: Turn) -> None:
        n, took = await _timed(ingest_timezones(conn, args.timezones, turn))
        print(f"timezones: {n:,} stores from {args.timezones} in {took:.2f} s")

    async def hours(conn: asyncpg.Connection, turn: Turn) -> None:
        n, took = await _timed(ingest_hours(conn, args.hours, turn))
        print(f"business hours: {n:,} rows from {args.hours} in {took:.2f} s")

    async def polls(conn: asyncpg.Connection, turn: Turn) -> None:
        (polls, stores), took = await _timed(
            ingest_polls(conn, args.polls, turn.hold(_progress("polls")), turn)
        )
        print(f"polls: {polls:,} rows for {stores:,} stores from {args.polls} in {took:.2f} s")

    def connected(
        ingest: Callable[[asyncpg.Connection, Turn], Awaitable[None]],
    ) -> Callable[[Turn], Awaitable[None]]:
        async def run(turn: Turn) -> None:
            conn = await asyncpg.connect(settings.database_url)
            try:
                await schema.check_schema(conn)
                await ingest(conn, turn)
            finally:
                await conn.close()

        return run

    # Side by side, each file on its own connection, with the outcome (what is stored, what is
    # printed) of ingesting them one after the other in this order.
    given = [(args.timezones, timezones), (args.hours, hours), (args.polls, polls)]
    asyncio.run(in_turn([connected(ingest) for path, ingest in given if path]))
    return 0


def _progress(what: str) -> Callable[[str], None]:
    """Progress of a long ingest, on standard error (standard output keeps the results)."""
    return lambda message: print(f"{what}: {message}", file=sys.stderr, flush=True)


async def _timed(work: Awaitable[T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = await work
    return result, time.perf_counter() - start


def _generate(settings: Settings, args: argparse.Namespace) -> int:
    from sampledata.generate import generate_dataset

    counts = generate_dataset(args.outdir, args.stores, args.days, args.seed)
    for name, rows in counts.items():
        print(f"{args.outdir / name}: {rows:,} rows")
    return 0


def _api(settings: Settings, args: argparse.Namespace) -> int:
    from aiohttp import web

    from api.app import create_app, fatal_error

    if args.port is not None:
        settings = Settings(**{**settings.__dict__, "port": args.port})
    app = create_app(settings)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    if (error := fatal_error(app)) is not None:
        raise error
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from worker.heap import one_arena
    from worker.main import serve

    one_arena()  # before any thread starts
    asyncio.run(serve(settings))
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from cli.client import fetch_report, read_store_ids

    body: dict[str, object] = {}
    for name in ("as_of", "from", "to", "interval"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    if args.store_ids is not None:
        body["store_ids"] = read_store_ids(args.store_ids)
    return asyncio.run(
        fetch_report(settings.api_url, args.out, body, args.timeout, settings.api_token)
    )


_OWN_PACKAGES = ("api", "bench", "cli", "sampledata", "shared", "worker")


def _bench(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from bench.harness import SECTIONS, BenchConfig, run
    except ModuleNotFoundError as e:  # the production image has no dev extra (DuckDB…)
        missing = (e.name or "").partition(".")[0]
        if not missing or missing in _OWN_PACKAGES:
            raise
        raise ConfigError(
            f"needs the dev extra ({missing} is not installed): pip install -e '.[dev]'"
        ) from None

    workers = [int(n) for n in args.workers.split(",")]
    sections = tuple(args.sections.split(",")) if args.sections else SECTIONS
    if unknown := set(sections) - set(SECTIONS):
        raise BadInput(f"unknown bench sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    config = BenchConfig(args.scale, args.weeks, args.runs, workers, sections)
    print(asyncio.run(run(config)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="storemon", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        run=_migrate
    )
    ingest = sub.add_parser("ingest", help="load upstream CSV files (PostgreSQL COPY)")
    ingest.add_argument("--polls", type=Path, help="store_status.csv (adds polls)")
    ingest.add_argument("--hours", type=Path, help="menu_hours.csv (replaces stored hours)")
    ingest.add_argument("--timezones", type=Path, help="timezones.csv (replaces stored zones)")
    ingest.set_defaults(run=_ingest)
    api = sub.add_parser("api", help="run the HTTP API")
    api.add_argument("--port", type=int, help="overrides PORT")
    api.set_defaults(run=_api)
    sub.add_parser("worker", help="run a report worker").set_defaults(run=_worker)
    gen = sub.add_parser("generate", help="write realistic sample data in the upstream formats")
    gen.add_argument("--stores", type=int, default=1000)
    gen.add_argument("--days", type=float, default=8.5)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("outdir", type=Path)
    gen.set_defaults(run=_generate)
    report = sub.add_parser("report", help="trigger a report through the API and download it")
    report.add_argument("--out", type=Path, help="where to save the CSV (default: <id>.csv)")
    report.add_argument("--as-of", help="ISO 8601 instant (default: the latest poll)")
    report.add_argument("--from", help="a period report from this local date (YYYY-MM-DD)")
    report.add_argument("--to", help="… through this local date (both included)")
    report.add_argument(
        "--interval", choices=["day", "week", "month", "total"], help="default: day"
    )
    report.add_argument(
        "--store-ids", type=Path, help="only these stores: a file of store ids, one per line"
    )
    report.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    report.set_defaults(run=_report)
    bench = sub.add_parser("bench", help="time ingest and reports beside PostgreSQL's floors")
    bench.add_argument("--scale", type=float, default=1.0, help="× 14,000 stores")
    bench.add_argument("--weeks", type=int, default=1, help="weeks of stored history")
    bench.add_argument("--runs", type=int, default=3, help="runs per measure (medians)")
    bench.add_argument("--workers", default="1", help="worker counts to compare, e.g. 1,2")
    bench.add_argument(
        "--sections",
        default="",
        help="some of ingest,reads,report,period,year,present (default: all)",
    )
    bench.set_defaults(run=_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure()
    run: Callable[[Settings, argparse.Namespace], int] = args.run
    try:
        return run(Settings.from_env(), args)
    except StoremonError as e:
        print(f"storemon {args.command}: {e}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as e:
        print(f"storemon {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
