"""The polls ingest's two paths: Arrow for the common shapes, the staged SQL path for the rest.
Whichever path a file takes, the same polls are stored."""

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pyarrow as pa
import pytest

from sampledata.generate import generate_dataset
from shared.errors import FileRowError
from shared.ingest import ingest_polls, pollfile
from shared.ingest.blocks import BlockFiles
from shared.ingest.pollfile import NotFast, parse_timestamps, read_batches, whole_line_blocks
from shared.ingest.source import CsvSource, open_source
from shared.ingest.staged import read_staged
from shared.ingest.stamps import upstream_micros
from shared.instants import from_us
from shared.pollchunks import STORE_BLOCK, decode
from tests.test_ingest import ORIGINAL, polls_of, stored_count, write

COLUMNS = [["store_id"], ["status"], ["timestamp_utc"]]
LATEST_US = 2**62  # no bound on instants, for tests of parsing alone


def source_of(path: Path) -> CsvSource:
    return open_source(path, COLUMNS)


@pytest.mark.parametrize(
    ("relative", "rows"),
    [
        ("int_ids_2023/partial/store_status.csv", 5032),
        ("uuid_2024/partial/store_status.csv", 364),  # starts with a BOM
    ],
)
def test_upstream_polls_take_the_fast_path(relative: str, rows: int) -> None:
    batches = list(read_batches(source_of(ORIGINAL / relative), LATEST_US))
    assert sum(len(b) for b in batches) == rows
    names = {name for b in batches for name in b.names}
    if relative.startswith("uuid"):  # the BOM is not part of the first id
        assert "b5d0a65d-6d54-47aa-95e9-9312f0353326" in names


def _offset(rng: random.Random) -> str:
    return f"{rng.choice('+-')}{rng.randint(0, 16):02d}" + rng.choice(
        ["", f":{rng.randint(0, 61):02d}", f"{rng.randint(0, 61):02d}"]
    )


def _candidates(count: int) -> list[str]:
    """Timestamps in and around the fast path's shapes, valid or not."""
    rng = random.Random(7)
    edge = [
        "2023-01-22 12:09:39.388884 UTC",
        "2024-02-29 23:59:59.999999Z",
        "2023-02-29 12:00:00",
        "1900-02-29 00:00:00",
        "2000-02-29 00:00:00",
        "2023-01-22 24:00:00",
        "2023-01-22 23:59:60",
        "0000-01-01 00:00:00",
        "1000-01-01 00:00",
        "9999-12-31T23:59:59.9999999",
        "2023-01-22 12:00:00.",
        "2023-01-22 12",
        "2023-01-22T12:00 UTC",
    ]
    out = []
    for _ in range(count):
        fraction = "".join(rng.choices("0123456789", k=rng.choice([0, 0, 1, 3, 6, 7])))
        out.append(
            f"{rng.choice([rng.randint(1000, 9999), rng.randint(1969, 2040)]):04d}"
            f"-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"{rng.choice(' T')}{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}"
            + rng.choice(["", f":{rng.randint(0, 61):02d}" + (f".{fraction}" if fraction else "")])
            + rng.choice(["", " UTC", "Z", "+00", "+00:00", "+0000", " EST", "-00", _offset(rng)])
        )
    return edge + out


async def test_fast_timestamps_are_the_instants_postgresql_parses(
    conn: asyncpg.Connection,
) -> None:
    """Every timestamp the fast path takes, PostgreSQL's parser takes as the same instant."""
    candidates = _candidates(3000)
    await conn.execute("SET TimeZone = 'UTC'")
    rows = await conn.fetch(
        "SELECT CASE WHEN storemon_is_timestamptz(v) "
        "THEN (extract(epoch FROM v::timestamptz) * 1000000)::bigint END "
        "FROM unnest($1::text[]) v",
        candidates,
    )
    taken: dict[str, int] = {}
    for text, row in zip(candidates, rows, strict=True):
        try:
            [micros] = parse_timestamps(pa.array([text]))
        except NotFast:
            continue
        assert row[0] == micros, text  # microseconds since 1970, exactly
        taken[text] = micros
    assert 500 < len(taken) < len(candidates) - 500  # both sides of the line were exercised
    offsets = [t for t in taken if t[-3] in "+-" or t[-5] in "+-" or t[-6] in "+-"]
    assert len(offsets) > 100
    # All at once, UTC and other offsets mixed, as in a file: the same instants.
    assert list(parse_timestamps(pa.array(list(taken)))) == list(taken.values())


def _upstream_shaped(rng: random.Random, fraction_digits: int) -> str:
    """A timestamp in the upstream shape, its date or time valid or not."""
    fraction = "".join(rng.choices("0123456789", k=fraction_digits))
    return (
        f"{rng.choice([rng.randint(1000, 9999), rng.randint(1969, 2040)]):04d}"
        f"-{rng.randint(0, 13):02d}-{rng.choice([rng.randint(0, 32), 28, 29]):02d}"
        f" {rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
        + (f".{fraction}" if fraction else "")
        + " UTC"
    )


async def test_upstream_shape_from_bytes_is_what_postgresql_parses(
    conn: asyncpg.Connection,
) -> None:
    """The NumPy reading of the upstream shape: the instants PostgreSQL parses, or none (the
    general reader then decides) for a batch with any other length, shape or a date or time
    that does not exist."""
    rng = random.Random(11)
    await conn.execute("SET TimeZone = 'UTC'")
    for digits in (0, 1, 4, 6):
        fraction = "." + "5" * digits if digits else ""
        leap_days = [f"{y}-02-29 00:00:00{fraction} UTC" for y in (2000, 1900, 2023, 2024)]
        candidates = [_upstream_shaped(rng, digits) for _ in range(2000)] + leap_days
        parsed = await conn.fetch(
            "SELECT CASE WHEN storemon_is_timestamptz(v) "
            "THEN (extract(epoch FROM v::timestamptz) * 1000000)::bigint END "
            "FROM unnest($1::text[]) v",
            candidates,
        )
        taken = {}
        for text, row in zip(candidates, parsed, strict=True):
            if (micros := upstream_micros(pa.array([text]))) is not None:
                assert row[0] == micros[0], text
                taken[text] = row[0]
        assert 300 < len(taken) < len(candidates) - 300, digits  # both sides exercised
        assert [day in taken for day in leap_days] == [True, False, False, True]
        batch = pa.array(list(taken))
        whole, sliced = upstream_micros(batch), upstream_micros(batch[7:])  # a slice: an offset
        assert whole is not None and whole.tolist() == list(taken.values())
        assert sliced is not None and sliced.tolist() == list(taken.values())[7:]
        refused = next(c for c in candidates if c not in taken)
        assert upstream_micros(pa.array([*taken, refused])) is None
    for others in (
        ["2023-01-22 12:00:00 UTC", "2023-01-22 12:00:00.5 UTC"],  # two lengths
        ["2023-01-22T12:00:00 UTC"],
        ["2023-01-22 12:00:00Z"],
        ["0999-01-22 12:00:00 UTC"],
        ["2023-01-22 12:00:00.1234567 UTC"],
    ):
        assert upstream_micros(pa.array(others)) is None, others


def _mixed_file(tmp_path: Path) -> Path:
    """A generated polls file with the spellings the fast path takes mixed in."""
    generate_dataset(tmp_path, 300, 2, seed=3)
    lines = (tmp_path / "store_status.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    rng = random.Random(5)
    out = []
    for row in rows:
        store, status, ts = row.split(",")
        store = rng.choice([store, f" {store}\t", f'"{store}"'])
        status = rng.choice([status, status.upper(), status.capitalize()])
        instant = datetime.fromisoformat(ts.removesuffix(" UTC") + "+00:00")
        ts = rng.choice(
            [
                ts,
                ts.replace(" UTC", "Z"),
                ts.replace(" UTC", ""),
                ts.replace(" ", "T", 1),
                instant.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
                instant.astimezone(timezone(timedelta(hours=-8))).isoformat(sep=" "),
            ]
        )
        out.append(f"{store},{status},{ts}")
    out += out[:50]  # re-sent polls: the later lines win
    path = tmp_path / "mixed.csv"
    path.write_bytes(("\r\n".join([header, *out]) + "\r\n").encode())
    return path


async def _stored(conn: asyncpg.Connection, ingest: int) -> set[tuple[str, int, bool]]:
    """What one ingest stored: (store_id, µs, active) of its chunks."""
    names = dict(await conn.fetch("SELECT id, store_id FROM stores"))
    found = set()
    for row in await conn.fetch(
        "SELECT block, stores, ts, active FROM poll_chunks WHERE ingest = $1", ingest
    ):
        polls = decode(row["block"], row["stores"], row["ts"], row["active"])
        found |= {
            (names[key], us, bool(active))
            for key, us, active in zip(
                polls.store.tolist(), polls.ts.tolist(), polls.active.tolist(), strict=True
            )
        }
    return found


async def test_both_paths_store_the_same_polls(conn: asyncpg.Connection, tmp_path: Path) -> None:
    path = _mixed_file(tmp_path)
    assert sum(len(b) for b in read_batches(source_of(path), LATEST_US)) > 0  # the fast one
    fast = await ingest_polls(conn, path)
    await conn.execute("SET TimeZone = 'UTC'")
    async with conn.transaction():
        with BlockFiles() as spill:
            await read_staged(conn, source_of(path), LATEST_US, spill)
            staged_rows, staged_stores = spill.rows, spill.stores
            staged = {
                (key, us, active)
                for _, rows in spill.blocks()
                for key, us, active in zip(
                    rows.store.tolist(), rows.ts.tolist(), rows.active.tolist(), strict=True
                )
            }
    assert fast == (staged_rows, staged_stores)
    [first] = await conn.fetchval("SELECT array_agg(id) FROM ingests")
    names = dict(await conn.fetch("SELECT store_id, id FROM stores"))
    by_fast = await _stored(conn, first)
    # The staged rows, every line: the stored ones are the last line of each instant.
    assert {(names[s], us, a) for s, us, a in by_fast} <= staged
    assert len(by_fast) == fast[0] - 50 and fast[1] == 300  # 50 lines re-sent
    assert await conn.fetchval("SELECT max_ts FROM ingests") == from_us(
        max(us for _, us, _ in by_fast)
    )


async def test_many_batches_lines_run_on_and_the_later_line_wins(
    conn: asyncpg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollfile, "BLOCK_BYTES", 1 << 10)  # about 25 rows a batch
    body = [f"s{i % 7},active,2023-01-22 {i % 24:02d}:{i % 60:02d}:00 UTC" for i in range(400)]
    body.append("s4,INACTIVE,2023-01-22T01:25:00Z")  # line 402 re-sends line 27 (i = 25)
    path = write(tmp_path, "p.csv", "store_id,status,timestamp_utc\n" + "\n".join(body) + "\n")
    assert len(list(read_batches(source_of(path), LATEST_US))) > 10
    assert await ingest_polls(conn, path) == (401, 7)
    at = datetime(2023, 1, 22, 1, 25, tzinfo=UTC)
    latest = await polls_of(conn)
    assert len(latest) == 400 == await stored_count(conn)  # line 27 went
    assert ("s4", at, False) in latest and ("s4", at, True) not in latest


async def test_unusual_row_late_in_the_file_falls_back_whole(
    conn: asyncpg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollfile, "BLOCK_BYTES", 1 << 10)
    body = [f"s{i},active,2023-01-22 10:{i % 60:02d}:00 UTC" for i in range(200)]
    good = [*body, "late,inactive,2023-01-22 13:00:00 EST"]  # a zone name: PostgreSQL's parser
    path = write(tmp_path, "p.csv", "store_id,status,timestamp_utc\n" + "\n".join(good) + "\n")
    with pytest.raises(NotFast):
        list(read_batches(source_of(path), LATEST_US))
    assert await ingest_polls(conn, path) == (201, 201)
    assert await stored_count(conn) == 201  # each row once
    assert ("late", datetime(2023, 1, 22, 18, tzinfo=UTC), False) in await polls_of(conn)
    bad = [*body, "s1,active,2023-01-22 10:00:00 UTC", "s\x001,active,2023-01-22 11:00:00 UTC"]
    path = write(tmp_path, "b.csv", "store_id,status,timestamp_utc\n" + "\n".join(bad) + "\n")
    with pytest.raises(FileRowError) as error:
        await ingest_polls(conn, path)
    assert error.value.line == 203
    assert await stored_count(conn) == 201  # nothing more


async def test_stores_beyond_one_key_block_go_to_their_blocks_chunks(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    body = [f"k{i:05d},active,2023-01-{22 + i % 2} 23:30:00 UTC" for i in range(5000)]
    path = write(tmp_path, "p.csv", "store_id,status,timestamp_utc\n" + "\n".join(body) + "\n")
    assert await ingest_polls(conn, path) == (5000, 5000)
    chunks = {
        (r["block"], str(r["day"])): r["polls"]
        for r in await conn.fetch("SELECT block, day, polls FROM poll_chunks")
    }
    assert set(chunks) == {
        (0, "2023-01-22"),
        (0, "2023-01-23"),
        (1, "2023-01-22"),
        (1, "2023-01-23"),
    }
    assert sum(chunks.values()) == 5000
    # Keys count from 1: block 0 holds keys 1 … 4095.
    assert chunks[1, "2023-01-22"] + chunks[1, "2023-01-23"] == 5000 - (STORE_BLOCK - 1)


def test_blocks_end_at_line_ends_and_rebuild_the_file(tmp_path: Path) -> None:
    text = b"".join(b"s%d,active,2023-01-22 10:00:00 UTC\r\n" % i for i in range(100)) + b"last"
    (tmp_path / "f").write_bytes(text)
    with (tmp_path / "f").open("rb") as f:
        blocks = [bytes(block) for block in whole_line_blocks(f, 100)]
    assert b"".join(blocks) == text
    assert len(blocks) > 20 and all(b.endswith(b"\n") for b in blocks[:-1])
    (tmp_path / "g").write_bytes(b"x" * 1000)  # no line end: not read whole into memory
    with (tmp_path / "g").open("rb") as f, pytest.raises(NotFast):
        list(whole_line_blocks(f, 100))
    long, rest = b"x" * 489 + b"\n", b"y" * 150 + b"\nz"  # a line of 4.9 blocks, then the end
    (tmp_path / "h").write_bytes(long + rest)
    with (tmp_path / "h").open("rb") as f:
        assert [bytes(block) for block in whole_line_blocks(f, 100)] == [long, rest]
