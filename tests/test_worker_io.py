"""The worker's binary COPY parsing, without the services."""

import struct

import pytest

from worker.polls import BinaryCopyParser, PollArrays

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
