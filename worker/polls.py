"""Streaming the span's polls out of PostgreSQL as binary COPY, parsed into NumPy arrays."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from shared.db import polls
from shared.pollcopy import HEADER, PG_EPOCH_MICROS, ROW, SIGNATURE, TRAILER

_HEADER_SIZE = len(HEADER)
_PARSE_BYTES = 4 << 20  # parse in blocks of this much: few NumPy calls, little memory


@dataclass
class PollArrays:
    """Polls as columns: store key, Unix microseconds, active, ingest sequence."""

    store: np.ndarray
    ts: np.ndarray
    active: np.ndarray
    seq: np.ndarray


class BinaryCopyParser:
    """Feed it the chunks of a binary COPY of (int4, timestamptz, bool, int8); each block of
    whole rows goes to `emit` as PollArrays. Call `close()` at the end of the stream."""

    def __init__(self, emit: Callable[[PollArrays], None]) -> None:
        self._emit = emit
        self._chunks: list[bytes] = []
        self._size = 0
        self._header_seen = False

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._size += len(chunk)
        if self._size >= _PARSE_BYTES:
            self._parse()

    def close(self) -> None:
        self._parse()
        if self._chunks != [] and b"".join(self._chunks) != TRAILER:
            raise ValueError("binary COPY stream ended mid-row")

    def _parse(self) -> None:
        data = b"".join(self._chunks)
        start = 0
        if not self._header_seen:
            if len(data) < _HEADER_SIZE:
                self._chunks, self._size = [data], len(data)
                return
            if not data.startswith(SIGNATURE):
                raise ValueError("not a PostgreSQL binary COPY stream")
            start, self._header_seen = _HEADER_SIZE, True
        whole = (len(data) - start) // ROW.itemsize * ROW.itemsize
        rest = data[start + whole :]
        self._chunks, self._size = ([rest] if rest else []), len(rest)
        if not whole:
            return
        rows = np.frombuffer(data, dtype=ROW, count=whole // ROW.itemsize, offset=start)
        if not ((rows["fields"] == 4).all() and (rows["active_len"] == 1).all()):
            raise ValueError("unexpected row layout in binary COPY")
        self._emit(
            PollArrays(
                rows["store"].astype(np.int64),
                rows["ts"].astype(np.int64) + PG_EPOCH_MICROS,
                rows["active"].astype(bool),
                rows["seq"].astype(np.int64),
            )
        )


async def read_span(
    conn: asyncpg.Connection, first: datetime, last: datetime, lo: int, hi: int
) -> PollArrays:
    """Every stored poll of the stores lo ≤ key < hi with first ≤ ts ≤ last (duplicates
    included), unordered. Partition pruning limits the read to those days and that block."""
    blocks: list[PollArrays] = []
    parser = BinaryCopyParser(blocks.append)

    async def sink(chunk: bytes) -> None:
        parser.feed(chunk)

    await polls.copy_span(conn, first, last, lo, hi, sink)
    parser.close()
    return PollArrays(
        *(
            np.concatenate([getattr(b, name) for b in blocks] or [np.empty(0, dtype)])
            for name, dtype in (
                ("store", np.int64),
                ("ts", np.int64),
                ("active", bool),
                ("seq", np.int64),
            )
        )
    )
