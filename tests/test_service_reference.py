"""The real service against the independent reference (tests/reference_report.py), end to end:
random stores (tests/test_report_reference.py's generators: DST weeks, overnight and split
shifts, stores without hours or zone, ragged polls, stores without in-hours polls) written as
the upstream files, ingested, reports triggered through the API, computed by `storemon worker`
processes in many small shards, and every row of each downloaded CSV compared, as text, with
the reference's. Scattered `store_ids` lists: a listed store's rows equal its rows in the
report over every store, and the reference's."""

import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from api.app import create_app
from shared.config import Settings
from shared.csvfile import PERIOD_HEADER
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.pollchunks import STORE_BLOCK
from shared.uptime.model import StoreMeta
from tests.conftest import TABLES, until_ready
from tests.inputfiles import Poll, write_metadata, write_polls
from tests.reference_report import (
    reference_period_report,
    reference_report,
)
from tests.sample import wait_until_finished
from tests.services import figures_up_to_date, purge_jobs, start_workers
from tests.test_report_reference import (
    ALL_ZONES,
    PERIOD_ZONES,
    random_period_polls,
    random_polls,
    random_stores,
)

# Another seed for a run of your own: STOREMON_TEST_SEED=7 pytest tests/test_service_reference.py
SEED = int(os.environ.get("STOREMON_TEST_SEED", "19"))
STORES = 160  # stores with polls (several hundred at most: the reference is slow)
SHARD_STORES = "16"  # many shards
WORKERS = 2
ZONES: list[str | None] = sorted(set(ALL_ZONES) | set(PERIOD_ZONES), key=str)
# Polls around the EU / Beirut fall-back (2023-10-29), the US one (2023-11-05) and over
# ranges from Sydney's spring-forward (2023-10-01) on.
CENTRE = datetime(2023, 11, 5, 14, 0, tzinfo=UTC)
FIRST, LAST = date(2023, 9, 28), date(2023, 11, 7)
EARLIER = "2023-10-29T05:30:00.500001Z"  # a day after Europe's and Beirut's change
TOTAL_AS_OF = "2023-11-05T06:30:00Z"  # in New York's repeated hour
PERIODS: dict[str, dict[str, str]] = {
    "day": {"from": "2023-10-27", "to": "2023-11-07", "interval": "day"},
    "week": {"from": "2023-09-27", "to": "2023-11-07", "interval": "week"},
    "month": {"from": "2023-09-28", "to": "2023-11-07", "interval": "month"},
    "total": {"from": "2023-10-01", "to": "2023-11-06", "interval": "total", "as_of": TOTAL_AS_OF},
}
# Lists fail while a shard lets unlisted stores' hours and zones reach listed stores (issue 19).
LISTS = {"list-day": "day", "list-week": "week", "list-total": "total", "list-month": "month"}


def generate() -> tuple[list[Poll], dict[str, StoreMeta]]:
    """Random stores with unique ids, and their polls in one list (the later item wins)."""
    rng = random.Random(SEED)
    polls: list[Poll] = []
    stores: dict[str, StoreMeta] = {}
    seen: set[str] = set()

    def make_polls(store_id: str, meta: StoreMeta) -> list[Poll]:
        mine = random_polls(rng, store_id, CENTRE, meta)
        if rng.random() < 0.8:
            mine += random_period_polls(rng, store_id, CENTRE, meta, FIRST, LAST)
        return mine

    while len({p[0] for p in polls}) < STORES:
        some_polls, some_stores = random_stores(rng, rng.choice(ZONES), ZONES, make_polls)
        ids = {p[0] for p in some_polls} | set(some_stores)
        if ids & seen:
            continue  # short numeric ids repeat: keep every store its own
        seen |= ids
        polls += some_polls
        stores |= some_stores
    return polls, stores


POLLS, STORE_META = generate()
FILLER: list[Poll] = [
    (f"filler-{n:04d}", datetime(2023, 9, 1, 12, tzinfo=UTC), True) for n in range(STORE_BLOCK)
]


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def standard_lines(as_of: datetime) -> list[str]:
    return [",".join(row) for row in reference_report(as_of, POLLS, STORE_META)]


def period_lines(as_of: datetime, body: dict[str, str]) -> list[str]:
    """The reference's rows."""
    first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    rows = reference_period_report(as_of, POLLS, STORE_META, first, last, body["interval"])
    return [",".join(row) for row in rows]


async def trigger(client: TestClient[Any, Any], body: dict[str, Any]) -> str:
    response = await client.post("/trigger_report", json=body)
    assert response.status == 202, await response.text()
    return str((await response.json())["report_id"])


async def csv_of(client: TestClient[Any, Any], report_id: str) -> tuple[dict[str, Any], str]:
    done = await wait_until_finished(client, report_id, timeout=120)
    assert done["status"] == "Complete", done
    return done, await (await client.get(done["csv_url"])).text()


Run = dict[str, tuple[dict[str, Any], dict[str, Any], str]]  # name -> (body, status, CSV)


@pytest.fixture(scope="module")
async def run(
    database_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Run]:
    """Every report of the module, computed once by the real service."""
    tmp = tmp_path_factory.mktemp("service_reference")
    settings = Settings(database_url=database_url, amqp_url=amqp_url, reports_dir=tmp / "reports")
    settings.reports_dir.mkdir()
    rng = random.Random(SEED)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")
        await purge_jobs(amqp_url)
        hours, zones = write_metadata(rng, tmp, STORE_META)
        await ingest_timezones(conn, zones)
        await ingest_hours(conn, hours)
        half = len(POLLS) // 2  # two files: the second adds to the first, its lines win
        await ingest_polls(conn, write_polls(rng, tmp / "polls-1.csv", POLLS[:half]))
        # Stores with one poll before every span: the second file's stores get keys past the
        # first block of keys (shared/pollchunks.STORE_BLOCK), so lists span two blocks.
        await ingest_polls(conn, write_polls(rng, tmp / "filler.csv", FILLER))
        await ingest_polls(conn, write_polls(rng, tmp / "polls-2.csv", POLLS[half:]))
        assert await figures_up_to_date(database_url)  # reports read figures, polls at edges
        keyed = [r["store_id"] for r in await conn.fetch("SELECT store_id FROM stores ORDER BY id")]
        assert keyed.index(POLLS[-1][0]) >= STORE_BLOCK  # the second file's keys
        bodies: dict[str, dict[str, Any]] = {"standard": {}, "standard-earlier": {"as_of": EARLIER}}
        bodies |= {name: dict(body) for name, body in PERIODS.items()}
        for name, of in LISTS.items():
            real = [store_id for store_id in keyed if not store_id.startswith("filler-")]
            chosen = rng.sample(real, rng.randint(2, 25))  # spread over the keys
            chosen += rng.sample(real[len(real) // 2 :], 3)  # keys past the first block
            chosen += rng.sample(FILLER, 1)[0][:1]  # known, no poll in the span
            chosen += rng.sample(sorted(STORE_META), 3)  # perhaps without polls
            chosen += rng.choices(chosen, k=3)  # repeated
            chosen += [f"unknown-{rng.getrandbits(32):x}", "nope"]
            rng.shuffle(chosen)
            bodies[name] = dict(PERIODS[of]) | {"store_ids": chosen}
        with start_workers(settings, tmp, WORKERS, STOREMON_SHARD_STORES=SHARD_STORES):
            async with TestClient(TestServer(create_app(settings))) as client:
                await until_ready(client)
                ids = {name: await trigger(client, body) for name, body in bodies.items()}
                out: Run = {}
                for name, report_id in ids.items():
                    status, text = await csv_of(client, report_id)
                    out[name] = (bodies[name], status, text)
        yield out
    finally:
        await conn.close()


def compare(name: str, expected: list[str], actual: str) -> None:
    lines = actual.rstrip("\n").split("\n")[1:]
    assert actual.endswith("\n")
    if lines != expected:
        got = {line.split(",", 1)[0] for line in set(lines) ^ set(expected)}
        pytest.fail(
            f"{name}: {len(lines)} rows, the reference {len(expected)}; stores that differ "
            f"({len(got)}): {sorted(got)[:10]}\n"
            + "\n".join(
                f"{s}: service {[x for x in lines if x.split(',', 1)[0] == s]}\n"
                f"{' ' * len(s)}  reference {[x for x in expected if x.split(',', 1)[0] == s]}\n"
                f"{' ' * len(s)}  meta {STORE_META.get(s)}"
                for s in sorted(got)[:5]
            ),
            pytrace=False,
        )


@pytest.mark.parametrize("name", ["standard", "standard-earlier"])
def test_standard_report(run: Run, name: str) -> None:
    _, status, text = run[name]
    as_of = parse_instant(status["as_of"])
    if name == "standard":
        assert as_of == max(p[1] for p in POLLS)  # the latest poll
    else:
        assert as_of == parse_instant(EARLIER)
    compare(name, standard_lines(as_of), text)
    assert len(text.splitlines()) > 50


@pytest.mark.parametrize("name", list(PERIODS))
def test_period_report(run: Run, name: str) -> None:
    body, status, text = run[name]
    assert text.split("\n", 1)[0] == ",".join(PERIOD_HEADER)
    compare(name, period_lines(parse_instant(status["as_of"]), body), text)
    assert len(text.splitlines()) > 50


@pytest.mark.parametrize("name", list(LISTS))
def test_store_list(run: Run, name: str) -> None:
    body, status, text = run[name]
    listed = set(body["store_ids"])
    full = run[LISTS[name]][2].rstrip("\n").split("\n")
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == full[0]
    reference = [
        line
        for line in period_lines(parse_instant(status["as_of"]), body)
        if line.split(",", 1)[0] in listed
    ]
    assert reference  # the list holds stores with rows
    compare(name, reference, text)
    compare(
        f"{name} vs the report of every store",
        [line for line in full[1:] if line.split(",", 1)[0] in listed],
        text,
    )
