"""The packed layout of polls, without the services: chunks by hand, the later poll winning an
instant, merging chunks and days, and the binary COPY rows the staged ingest reads back."""

import struct

import numpy as np
import pytest

from shared.db.binarycopy import BinaryCopyParser
from shared.instants import US_PER_DAY
from shared.pollchunks import STORE_BLOCK, across_days, chunks_of_block, decode, encode, merge
from shared.uptime.polls import Polls, sort_unique

DAY = 19_379  # 2023-01-22
NOON = DAY * US_PER_DAY + 12 * 3_600_000_000


def polls(*rows: tuple[int, int, bool]) -> Polls:
    store, ts, active = zip(*rows, strict=True) if rows else ((), (), ())
    return Polls(np.array(store, np.int64), np.array(ts, np.int64), np.array(active, bool))


def rows_of(p: Polls) -> list[tuple[int, int, bool]]:
    return list(zip(p.store.tolist(), p.ts.tolist(), p.active.tolist(), strict=True))


def test_a_chunk_by_hand() -> None:
    base = 2 * STORE_BLOCK
    chunk = encode(DAY, 2, polls((base + 1, NOON, True), (base + 1, NOON + 1, False)))
    assert chunk.polls == 2 and chunk.day == DAY
    assert chunk.offsets[:3] == [0, 0, 2] and chunk.offsets[-1] == 2
    assert len(chunk.offsets) == STORE_BLOCK + 1
    assert chunk.stores == bytes.fromhex("0001 0001")  # key - 2 × 4096, big-endian uint16
    assert chunk.ts == struct.pack(">qq", NOON, NOON + 1)
    assert chunk.active == b"\x01\x00"
    assert rows_of(decode(2, chunk.stores, chunk.ts, chunk.active)) == [
        (base + 1, NOON, True),
        (base + 1, NOON + 1, False),
    ]


def test_the_later_of_equal_instants_wins_and_order_is_store_then_time() -> None:
    given = polls((5, NOON, True), (3, NOON + 9, True), (5, NOON, False), (3, NOON, True))
    assert rows_of(sort_unique(given)) == [(3, NOON, True), (3, NOON + 9, True), (5, NOON, False)]


def test_far_apart_keys_and_days_still_sort_exactly() -> None:
    """Past what one packed int64 holds (stores of several blocks, days decades apart)."""
    old, far = 10, 30_000 * US_PER_DAY
    given = polls((9_000, far, True), (1, old, False), (9_000, far, False), (1, far, True))
    assert rows_of(sort_unique(given)) == [(1, old, False), (1, far, True), (9_000, far, False)]


def test_a_block_is_cut_into_days_sorted_and_unique() -> None:
    given = polls(
        (7, NOON + US_PER_DAY, True),
        (3, NOON, True),
        (7, NOON, False),
        (3, NOON, False),  # the later line wins
    )
    chunks = list(chunks_of_block(0, given))
    assert [c.day for c in chunks] == [DAY, DAY + 1]
    assert rows_of(decode(0, chunks[0].stores, chunks[0].ts, chunks[0].active)) == [
        (3, NOON, False),
        (7, NOON, False),
    ]
    assert list(chunks_of_block(0, polls())) == []


def _file_like(rng: np.random.Generator, block: int, days: int) -> Polls:
    """A block's polls as a file gives them: store by store in any order, each in time order."""
    parts = []
    for store in rng.permutation(STORE_BLOCK)[:500] + block * STORE_BLOCK:
        ts = np.unique(rng.integers(DAY * US_PER_DAY, (DAY + days) * US_PER_DAY, 30))
        parts.append(Polls(np.full(len(ts), store), ts, rng.random(len(ts)) < 0.8))
    return Polls.concat(parts)


@pytest.mark.parametrize(
    "shape", ["file order", "an instant twice", "out of time order", "17 days", "one poll"]
)
def test_chunks_of_a_file_are_those_of_the_general_sort(shape: str) -> None:
    """Polls of at most 16 days take a shorter sort (the shorter, the more in order they
    come), longer spans the general one: the same chunks either way."""
    rng = np.random.default_rng(3)
    block = 2
    given = _file_like(rng, block, 17 if shape == "17 days" else 9)
    if shape == "an instant twice":
        given = Polls.concat([given, given.take(slice(100, 101))])
        given.active[-1] = not given.active[100]
    elif shape == "out of time order":
        given.ts[[50, 51]] = given.ts[[51, 50]]
    elif shape == "one poll":
        given = given.take(slice(0, 1))
    expected = sort_unique(given, by_day=True)
    day = expected.ts // US_PER_DAY
    chunks = list(chunks_of_block(block, given))
    assert [c.day for c in chunks] == sorted(set(day.tolist()))
    for chunk in chunks:
        assert chunk == encode(chunk.day, block, expected.take(day == chunk.day))


def test_merged_chunks_keep_the_later_chunk_at_an_instant() -> None:
    older = polls((1, NOON, True), (2, NOON, True))
    newer = polls((2, NOON, False), (2, NOON + 5, True))
    assert rows_of(merge([older, newer])) == [
        (1, NOON, True),
        (2, NOON, False),
        (2, NOON + 5, True),
    ]


def test_days_are_ordered_by_the_batch_index_of_each_store() -> None:
    """Keys 1 and 2, whose store_ids sort the other way round: index 1 and 0."""
    day1 = polls((1, NOON, True), (2, NOON, False))
    day2 = polls((1, NOON + US_PER_DAY, False), (2, NOON + US_PER_DAY, True))
    index_of_key = np.array([1, 0], np.int64)  # key 1 → 1, key 2 → 0
    assert rows_of(across_days([day1, day2], index_of_key, 1)) == [
        (0, NOON, False),
        (0, NOON + US_PER_DAY, True),
        (1, NOON, True),
        (1, NOON + US_PER_DAY, False),
    ]


PG_EPOCH_US = 946_684_800_000_000
COLUMNS = [("store", "int4"), ("ts", "timestamptz"), ("active", "bool")]


def copy_stream(rows: list[tuple[int, int, bool]]) -> bytes:
    """A binary COPY stream as PostgreSQL sends it for (int4, timestamptz, bool)."""
    out = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for store, ts, active in rows:
        out += struct.pack(">hiiiqib", 3, 4, store, 8, ts - PG_EPOCH_US, 1, active)
    return out + b"\xff\xff"


ROWS = [(7, 1_674_000_000_123_456, True), (3, 1_674_000_100_000_000, False), (7, 0, True)]


@pytest.mark.parametrize("chunk", [1, 7, 27, 1000])
def test_parser_handles_any_chunking(chunk: int) -> None:
    blocks: list[dict[str, np.ndarray]] = []
    parser = BinaryCopyParser(COLUMNS, blocks.append)
    data = copy_stream(ROWS)
    for i in range(0, len(data), chunk):
        parser.feed(data[i : i + chunk])
    parser.close()
    got = [
        row
        for b in blocks
        for row in zip(
            b["store"].tolist(), b["ts"].tolist(), (b["active"] != 0).tolist(), strict=True
        )
    ]
    assert got == ROWS


def test_parser_refuses_a_truncated_stream() -> None:
    parser = BinaryCopyParser(COLUMNS, lambda _: None)
    parser.feed(copy_stream(ROWS)[:-10])
    with pytest.raises(ValueError, match="mid-row"):
        parser.close()
