"""A period report over a list of stores computes exactly those stores: unlisted stores whose
keys lie between the listed ones lend them neither hours, nor zone, nor polls, and a worker's
cache of hours never hands one list's stores to another. Rows computed by hand from the spec."""

import random
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from shared.db import polls, stores
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.instants import US_PER_DAY, day_number
from shared.pollchunks import decode
from shared.uptime.polls import Polls
from tests.sample import Client, wait_until_finished
from worker.main import Worker

# Local Monday 2023-01-23, as of 12:30 UTC; the stores get keys 1 … 5 in this order.
# a: UTC, open 09:00-12:00; 10:14 active, 11:15 inactive, switch 10:44:30: up 1 h 44 min 30 s,
#    down 1 h 15 min 30 s, 104.5 / 180 = 58.06 %.
# b: Asia/Kolkata (UTC+5:30), open 00:00-01:00 local = 18:30-19:30Z on the 22nd; its one poll
#    (18:45Z, inactive) is inside: 1 h down.
# c: UTC, open 09:00-10:00; one poll 09:30 inactive: 1 h down.
# d: UTC, 24x7; one poll 06:00 active: up from 00:00 to as_of, 12.5 h.
# e: UTC, 24x7; 11:00 active, 12:00 inactive, switch 11:30: up 11.5 h, down 1 h, 92.00 %.
POLLS = {
    "a": ["active,2023-01-23 10:14:00", "inactive,2023-01-23 11:15:00"],
    "b": ["inactive,2023-01-22 18:45:00"],
    "c": ["inactive,2023-01-23 09:30:00"],
    "d": ["active,2023-01-23 06:00:00"],
    "e": ["active,2023-01-23 11:00:00", "inactive,2023-01-23 12:00:00"],
}
HOURS = ["a,0,09:00,12:00", "b,0,00:00,01:00", "c,0,09:00,10:00"]
ZONES = ["a,UTC", "b,Asia/Kolkata", "c,UTC", "d,UTC", "e,UTC"]
# Every poll lies on the store's local day (b's 18:45Z on the 22nd is 00:15 on the 23rd in
# Kolkata) and before as_of: polls 2, 1, 1, 1, 2.
ROWS = {
    "a": "a,2023-01-23,1.74,1.26,58.06,2",
    "b": "b,2023-01-23,0.00,1.00,0.00,1",
    "c": "c,2023-01-23,0.00,1.00,0.00,1",
    "d": "d,2023-01-23,12.50,0.00,100.00,1",
    "e": "e,2023-01-23,11.50,1.00,92.00,2",
}
HEADER = "store_id,period_start,uptime_hours,downtime_hours,uptime_percent,polls"
DAY = {"from": "2023-01-23", "to": "2023-01-23", "as_of": "2023-01-23T12:30:00Z"}


async def _load(conn: asyncpg.Connection, tmp_path: Path) -> None:
    for store, lines in POLLS.items():  # one file a store: keys in this order
        path = tmp_path / f"polls-{store}.csv"
        path.write_text(
            "store_id,status,timestamp_utc\n" + "".join(f"{store},{p}\n" for p in lines)
        )
        await ingest_polls(conn, path)
    hours = tmp_path / "menu_hours.csv"
    hours.write_text("store_id,day,start_time_local,end_time_local\n" + "\n".join(HOURS) + "\n")
    zones = tmp_path / "timezones.csv"
    zones.write_text("store_id,timezone_str\n" + "\n".join(ZONES) + "\n")
    await ingest_hours(conn, hours)
    await ingest_timezones(conn, zones)


async def _csv(client: Client, stores: list[str] | None) -> str:
    body = DAY if stores is None else DAY | {"store_ids": stores}
    response = await client.post("/trigger_report", json=body)
    assert response.status == 202, await response.text()
    done = await wait_until_finished(client, (await response.json())["report_id"])
    assert done["status"] == "Complete", done
    return await (await client.get(done["csv_url"])).text()


def _expected(stores: list[str]) -> str:
    return "".join(f"{line}\n" for line in [HEADER, *(ROWS[s] for s in sorted(set(stores)))])


@pytest.mark.usefixtures("purge_queue")
async def test_listed_stores_are_computed_alone(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _load(conn, tmp_path)
    assert await _csv(client, None) == _expected(list(ROWS))
    # b, c, d lie between a and e in key order: before the fix, e took b's zone and hours.
    assert await _csv(client, ["e", "a"]) == _expected(["a", "e"])
    # Same key range, same count, other stores: the worker's cache must not answer for c with
    # the hours it read for d (or the reverse); repeated and unknown ids change nothing.
    assert await _csv(client, ["a", "c", "e"]) == _expected(["a", "c", "e"])
    assert await _csv(client, ["a", "d", "e", "d", "nope"]) == _expected(["a", "d", "e"])
    assert await _csv(client, ["b", "d"]) == _expected(["b", "d"])


@pytest.mark.parametrize(
    ("keys", "starts", "ends"),
    [
        ([7], [7], [8]),
        ([3, 4, 5], [3], [6]),
        ([3, 4, 5, 9, 11, 12], [3, 9, 11], [6, 10, 13]),
        ([0, 2, 4], [0, 2, 4], [1, 3, 5]),
    ],
)
def test_runs_of_keys(keys: list[int], starts: list[int], ends: list[int]) -> None:
    found = polls.runs(np.array(keys, dtype=np.int64))
    assert (found[0].tolist(), found[1].tolist()) == (starts, ends)


async def test_a_read_of_scattered_keys_holds_their_polls_only(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _load(conn, tmp_path)
    keys = await stores.keys(conn, ["a", "c", "e"])
    days = await polls.read_keys(
        conn, np.array(sorted(keys.values())), date(2023, 1, 22), date(2023, 1, 23)
    )
    read = Polls.concat([chunk for day in days for chunk in day])
    assert sorted(read.store.tolist()) == sorted([keys["a"]] * 2 + [keys["c"]] + [keys["e"]] * 2)


async def test_reads_of_runs_are_slices_of_whole_chunks(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    """read_runs against the chunks decoded whole here: random runs of keys on random days,
    three ingests (several chunks a day, in rank order), with and without a rank floor."""
    rng = random.Random(20)
    first = date(2023, 1, 20)
    for n in range(3):
        path = tmp_path / f"polls-{n}.csv"
        lines = [
            f"s{rng.randrange(40):02d},{rng.choice(['active', 'inactive'])},"
            f"{first + timedelta(days=rng.randrange(4))} {rng.randrange(24):02d}:"
            f"{rng.randrange(60):02d}:00"
            for _ in range(300)
        ]
        path.write_text("store_id,status,timestamp_utc\n" + "\n".join(lines) + "\n")
        await ingest_polls(conn, path)
    chunks = await conn.fetch(
        "SELECT day, rank, stores, ts, active FROM poll_chunks WHERE block = 0 ORDER BY day, rank"
    )
    ranks = sorted({c["rank"] for c in chunks})
    for _ in range(30):
        days = sorted(rng.sample(range(day_number(first) - 1, day_number(first) + 5), 4))
        runs = [(d, *sorted(rng.sample(range(0, 45), 2))) for d in days for _ in range(2)]
        kept: list[tuple[int, int, int]] = []
        for d, lo, hi in sorted(runs):  # a day's runs in key order and apart, as callers give
            if kept and kept[-1][0] == d and lo <= kept[-1][2]:
                kept[-1] = (d, kept[-1][1], max(hi, kept[-1][2]))
            else:
                kept.append((d, lo, hi))
        after = rng.choice([None, ranks[0], ranks[1]])
        wanted = {d: [(lo, hi) for e, lo, hi in kept if e == d] for d in days}
        expected = []
        for c in chunks:
            d = day_number(c["day"])
            if d not in wanted or (after is not None and c["rank"] <= after):
                continue
            whole = decode(0, c["stores"], c["ts"], c["active"])
            inside = np.zeros(len(whole), bool)
            for lo, hi in wanted[d]:
                inside |= (whole.store >= lo) & (whole.store < hi)
            if inside.any():
                expected.append((d, _rows(whole.take(np.flatnonzero(inside)))))
        read = await polls.read_runs(
            conn, 0, *(np.array(column, np.int64) for column in zip(*kept, strict=True)), after
        )
        found = [(int(c.ts[0]) // US_PER_DAY, _rows(c)) for day in read for c in day]
        assert [rows for _, rows in found] == [rows for _, rows in expected]
        assert [d for d, _ in found] == [d for d, _ in expected]


def _rows(p: Polls) -> list[tuple[int, int, bool]]:
    return list(zip(p.store.tolist(), p.ts.tolist(), p.active.tolist(), strict=True))
