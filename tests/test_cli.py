"""The `storemon` command as a user runs it: exit statuses and messages."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from shared.db import schema
from tests.sample import load_sample
from worker.main import Worker

STOREMON = Path(sys.executable).with_name("storemon")


def storemon(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STOREMON), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


async def test_ingest_prints_counts_and_bad_file_exits_nonzero(
    database_url: str, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("store_id,status,timestamp_utc\na,active,2023-01-22 12:00:00 UTC\n")
    done = storemon("ingest", "--polls", str(good), DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert "polls: 1 rows for 1 stores" in done.stdout
    assert "polls: storing 1 rows" in done.stderr  # progress goes to standard error

    bad = tmp_path / "store_status.csv"
    bad.write_text(
        "store_id,status,timestamp_utc\nb,active,2023-01-22 12:00:00 UTC\nb,maybe,2023-01-22\n"
    )
    failed = storemon("ingest", "--polls", str(bad), DATABASE_URL=database_url)
    assert failed.returncode == 2
    assert "store_status.csv, line 3: bad status 'maybe'" in failed.stderr
    assert "polls: PostgreSQL parses this file (outside the fast path's shapes" in failed.stderr
    assert (
        await conn.fetchval("SELECT coalesce(sum(polls), 0) FROM poll_chunks") == 1
    )  # nothing of the bad file


async def _stored(conn: asyncpg.Connection) -> dict[str, object]:
    return {
        "ingests": [r["kind"] for r in await conn.fetch("SELECT kind FROM ingests ORDER BY id")],
        "zones": await conn.fetchval("SELECT count(*) FROM store_timezones"),
        "hours": await conn.fetchval("SELECT count(*) FROM business_hours"),
        "stores": await conn.fetchval("SELECT count(*) FROM stores"),
        "polls": await conn.fetchval("SELECT coalesce(sum(polls), 0) FROM poll_chunks"),
    }


async def test_three_files_are_stored_as_if_one_after_the_other(
    database_url: str, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    """The three files are ingested side by side, with the outcome of time zones, hours and
    polls one after the other: a bad file is reported, the files before it are stored, and
    nothing of it or of the files after it (not even their progress)."""
    zones = tmp_path / "timezones.csv"
    zones.write_text("store_id,timezone_str\na,America/Chicago\nb,\n")
    good_hours = "".join(f"s{i},{i % 7},09:00:00,17:00\n" for i in range(100_000))
    hours = tmp_path / "menu_hours.csv"
    hours.write_text("store_id,day,start_time_local,end_time_local\n" + good_hours)
    bad_hours = tmp_path / "bad_hours.csv"  # found last: the polls are ready long before
    bad_hours.write_text(hours.read_text() + "z,9,09:00:00,17:00:00\n")
    polls = tmp_path / "store_status.csv"
    polls.write_text("store_id,status,timestamp_utc\na,active,2023-01-22 12:00:00 UTC\n")
    bad_polls = tmp_path / "bad_polls.csv"
    bad_polls.write_text(polls.read_text() + "b,maybe,2023-01-22 12:00:00 UTC\n")

    def ingest(hours: Path, polls: Path) -> subprocess.CompletedProcess[str]:
        files = ["--polls", str(polls), "--hours", str(hours), "--timezones", str(zones)]
        return storemon("ingest", *files, DATABASE_URL=database_url)

    failed = ingest(bad_hours, polls)
    assert failed.returncode == 2
    assert [line.split(" from ")[0] for line in failed.stdout.splitlines()] == [
        "timezones: 2 stores"
    ]
    assert failed.stderr.splitlines() == [
        "storemon ingest: bad_hours.csv, line 100002: bad day '9' (expected 0=Monday … 6=Sunday)"
    ]
    assert await _stored(conn) == {
        "ingests": ["timezones"],
        "zones": 2,
        "hours": 0,
        "stores": 0,
        "polls": 0,
    }

    failed = ingest(hours, bad_polls)
    assert failed.returncode == 2
    assert [line.split(" from ")[0] for line in failed.stdout.splitlines()] == [
        "timezones: 2 stores",
        "business hours: 100,000 rows",
    ]
    assert failed.stderr.splitlines()[-1] == (
        "storemon ingest: bad_polls.csv, line 3: bad status 'maybe' (expected active or inactive)"
    )
    assert (await _stored(conn))["ingests"] == ["timezones", "timezones", "hours"]
    assert (await _stored(conn))["polls"] == 0

    done = ingest(hours, polls)
    assert done.returncode == 0, done.stderr
    assert [line.split(" from ")[0] for line in done.stdout.splitlines()] == [
        "timezones: 2 stores",
        "business hours: 100,000 rows",
        "polls: 1 rows for 1 stores",
    ]
    assert done.stderr.splitlines() == ["polls: storing 1 rows"]
    assert (await _stored(conn))["ingests"][-3:] == ["timezones", "hours", "polls"]


@pytest.mark.parametrize("zone", ["localtime", "/etc/localtime"])
async def test_ingest_refuses_a_zone_that_is_no_iana_name(
    database_url: str, conn: asyncpg.Connection, tmp_path: Path, zone: str
) -> None:
    """ZoneInfo() loads both (the host's own zone): a report would depend on the host."""
    path = tmp_path / "timezones.csv"
    path.write_text(f"store_id,timezone_str\na,America/Chicago\nb,{zone}\n")
    failed = storemon("ingest", "--timezones", str(path), DATABASE_URL=database_url)
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1] == (
        f"storemon ingest: timezones.csv, line 3: unknown time zone {zone!r} "
        "(not an IANA time zone name, such as America/Chicago)"
    )
    assert "Traceback" not in failed.stderr
    assert await conn.fetchval("SELECT count(*) FROM store_timezones") == 0


def test_bench_without_the_dev_extra_says_so_in_one_line() -> None:
    """The production image installs no dev extra: DuckDB (and pendulum) cannot be imported.
    The CLI's own entry, with those imports made to fail as there, in a fresh interpreter."""
    blocked = (
        "import sys; sys.modules['duckdb'] = sys.modules['pendulum'] = None; "
        "from cli.main import main; sys.exit(main(['bench', '--sections', 'report']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "storemon bench: needs the dev extra (duckdb is not installed): pip install -e '.[dev]'\n"
    )
    assert done.stdout == ""


async def test_migrate_creates_database_and_is_idempotent(database_url: str) -> None:
    url = database_url.rsplit("/", 1)[0] + f"/storemon_cli_{uuid.uuid4().hex[:8]}"
    try:
        first = storemon("migrate", DATABASE_URL=url)
        assert first.returncode == 0 and "applied 001_initial" in first.stdout
        again = storemon("migrate", DATABASE_URL=url)
        assert again.returncode == 0 and "up to date" in again.stdout
    finally:
        await schema.drop_database(url)


@pytest.mark.parametrize("command", ["api", "worker"])
async def test_services_refuse_an_unmigrated_database(
    database_url: str, command: str, tmp_path: Path
) -> None:
    url = database_url.rsplit("/", 1)[0] + f"/storemon_cli_{uuid.uuid4().hex[:8]}"
    await schema.ensure_database(url)
    try:
        refused = storemon(command, DATABASE_URL=url, PORT="0", REPORTS_DIR=str(tmp_path))
        assert refused.returncode == 2
        assert "run `storemon migrate`" in refused.stderr
    finally:
        await schema.drop_database(url)


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_worker_refuses_to_start_without_its_reports_directory(
    database_url: str, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "reports"
    if kind == "a file":
        path.write_text("not a directory")
    refused = storemon("worker", DATABASE_URL=database_url, REPORTS_DIR=str(path))
    assert refused.returncode == 2
    assert f"REPORTS_DIR {path}" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_malformed_setting_is_named(tmp_path: Path) -> None:
    refused = storemon("worker", JOB_TIMEOUT_SECONDS="soon", REPORTS_DIR=str(tmp_path))
    assert refused.returncode == 2
    assert "JOB_TIMEOUT_SECONDS='soon' is not a valid value" in refused.stderr


@pytest.mark.usefixtures("purge_queue")
async def test_report_command_asks_for_a_period_report(
    client: TestClient[Any, Any], worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("store_id\ns2\n\nnope\n")
    out = tmp_path / "period.csv"
    process = await asyncio.create_subprocess_exec(
        str(STOREMON),
        "report",
        "--from", "2023-01-23", "--to", "2023-01-23", "--interval", "day",
        "--as-of", "2023-01-23T12:30:00Z", "--store-ids", str(ids), "--out", str(out),
        env={**os.environ, "API_URL": str(client.make_url("")).rstrip("/")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    first = stderr.decode().splitlines()[0]  # the report id at once, to cancel it if need be
    assert first.startswith("report ") and "from 2023-01-23 to 2023-01-23 by day" in first
    assert stdout.decode().strip() == str(out)
    # tests/test_period_api.py computes s2's row by hand.
    assert out.read_text() == (
        "store_id,period_start,uptime_hours,downtime_hours,uptime_percent,polls\n"
        "s2,2023-01-23,5.50,1.00,84.62,2\n"
    )
