"""Rows (int4 store key, timestamptz, bool) in PostgreSQL's binary COPY format, as the staged
ingest reads its parsed rows back: every column is fixed-width and NOT NULL, so each row has the
same 27-byte layout and NumPy handles many rows at once instead of one by one."""

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from shared.instants import to_us
from shared.pollchunks import Polls

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + bytes(8)  # then flags and header-extension length, both int32 zero
TRAILER = b"\xff\xff"
PG_EPOCH_MICROS = to_us(datetime(2000, 1, 1, tzinfo=UTC))  # PostgreSQL counts from there
ROW = np.dtype(  # each field is preceded by its length; all big-endian
    [
        ("fields", ">i2"),
        ("store_len", ">i4"),
        ("store", ">i4"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("active_len", ">i4"),
        ("active", "u1"),
    ]
)
_PARSE_BYTES = 4 << 20  # parse in blocks of this much: few NumPy calls, little memory


class BinaryCopyParser:
    """Feed it the chunks of a binary COPY stream of such rows; each block of whole rows goes
    to `emit`. Call `close()` at the end of the stream."""

    def __init__(self, emit: Callable[[Polls], None]) -> None:
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
            if len(data) < len(HEADER):
                self._chunks, self._size = [data], len(data)
                return
            if not data.startswith(SIGNATURE):
                raise ValueError("not a PostgreSQL binary COPY stream")
            start, self._header_seen = len(HEADER), True
        whole = (len(data) - start) // ROW.itemsize * ROW.itemsize
        rest = data[start + whole :]
        self._chunks, self._size = ([rest] if rest else []), len(rest)
        if not whole:
            return
        rows = np.frombuffer(data, dtype=ROW, count=whole // ROW.itemsize, offset=start)
        if not ((rows["fields"] == 3).all() and (rows["active_len"] == 1).all()):
            raise ValueError("unexpected row layout in binary COPY")
        self._emit(
            Polls(
                rows["store"].astype(np.int64),
                rows["ts"].astype(np.int64) + PG_EPOCH_MICROS,
                rows["active"].astype(bool),
            )
        )
