"""The worker's stream parsing and spill files, without the services."""

import struct
from pathlib import Path

import numpy as np
import pytest

from worker.polls import BinaryCopyParser, PollArrays
from worker.spill import BucketSpill

PG_EPOCH_US = 946_684_800_000_000


def copy_stream(rows: list[tuple[int, int, bool, int]]) -> bytes:
    """A binary COPY stream as PostgreSQL sends it for (int4, timestamptz, bool, int8)."""
    out = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for store, ts, active, seq in rows:
        out += struct.pack(">hiiiqibiq", 4, 4, store, 8, ts - PG_EPOCH_US, 1, active, 8, seq)
    return out + b"\xff\xff"


ROWS = [(7, 1_674_000_000_123_456, True, 5), (3, 1_674_000_100_000_000, False, 6), (7, 0, True, 1)]


@pytest.mark.parametrize("chunk", [1, 7, 39, 1000])
def test_parser_handles_any_chunking(chunk: int) -> None:
    blocks: list[PollArrays] = []
    parser = BinaryCopyParser(blocks.append)
    data = copy_stream(ROWS)
    for i in range(0, len(data), chunk):
        parser.feed(data[i : i + chunk])
    parser.close()
    got = [
        (s, t, a, q)
        for b in blocks
        for s, t, a, q in zip(b.store, b.ts, b.active, b.seq, strict=True)
    ]
    assert got == ROWS


def test_parser_refuses_a_truncated_stream() -> None:
    parser = BinaryCopyParser(lambda _: None)
    parser.feed(copy_stream(ROWS)[:-10])
    with pytest.raises(ValueError, match="mid-row"):
        parser.close()


def test_spill_returns_each_bucket_by_rank(tmp_path: Path) -> None:
    # Store keys 10, 11, 12, 13 rank 2, 0, 3, 1 by store_id; buckets of two ranks.
    rank_of_key = np.full(14, -1)
    rank_of_key[[10, 11, 12, 13]] = [2, 0, 3, 1]
    spill = BucketSpill(tmp_path, rank_of_key, 2)
    assert spill.buckets == 2
    for keys in ([10, 11], [12, 13, 11]):
        n = len(keys)
        spill.add(PollArrays(np.array(keys), np.arange(n) + 100, np.ones(n, bool), np.arange(n)))
    first, second = spill.load(0), spill.load(1)
    assert sorted(zip(first.store.tolist(), first.ts.tolist(), strict=True)) == [
        (0, 101),
        (0, 102),
        (1, 101),  # key 11 (rank 0) twice, key 13 (rank 1)
    ]
    assert sorted(zip(second.store.tolist(), second.ts.tolist(), strict=True)) == [
        (0, 100),
        (1, 100),  # keys 10 and 12: ranks 2 and 3, i.e. 0 and 1 in bucket 1
    ]
    assert spill.rows == 5 and not list(tmp_path.iterdir())  # loaded buckets are removed
