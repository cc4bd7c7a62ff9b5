"""Rows of fixed-width columns in PostgreSQL's binary COPY format, parsed with NumPy: every
column NOT NULL and of a fixed size, so each row has the same layout and many rows are read at
once instead of one by one. For reads of many small rows (business hours, a staged ingest's
parsed polls)."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.instants import to_us

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + bytes(8)  # then flags and header-extension length, both int32 zero
TRAILER = b"\xff\xff"
PG_EPOCH_MICROS = to_us(datetime(2000, 1, 1, tzinfo=UTC))  # timestamptz counts from there
# Fixed-width types by their binary form; time: µs after midnight.
TYPES = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "bool": "u1",
    "time": ">i8",
    "timestamptz": ">i8",
}
_PARSE_BYTES = 4 << 20  # parse in blocks of this much: few NumPy calls, little memory
Rows = npt.NDArray[np.void]


def row_layout(columns: Sequence[tuple[str, str]]) -> np.dtype[np.void]:
    """The binary COPY layout of a row of (name, PostgreSQL type) columns: a field count,
    then each field's length and value, big-endian."""
    fields: list[tuple[str, str]] = [("fields", ">i2")]
    for name, kind in columns:
        fields += [(f"{name}_len", ">i4"), (name, TYPES[kind])]
    return np.dtype(fields)


class BinaryCopyParser:
    """Feed it the chunks of a binary COPY stream of rows of `columns`; each block of whole
    rows goes to `emit` as a structured array (timestamptz as µs since the Unix epoch, bool as
    0/1). Call `close()` at the end of the stream."""

    def __init__(
        self, columns: Sequence[tuple[str, str]], emit: Callable[[dict[str, np.ndarray]], None]
    ) -> None:
        self._columns = list(columns)
        self._row = row_layout(columns)
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
        size = self._row.itemsize
        whole = (len(data) - start) // size * size
        rest = data[start + whole :]
        self._chunks, self._size = ([rest] if rest else []), len(rest)
        if not whole:
            return
        rows = np.frombuffer(data, dtype=self._row, count=whole // size, offset=start)
        if not (rows["fields"] == len(self._columns)).all():
            raise ValueError("unexpected row layout in binary COPY")
        columns = {}
        for name, kind in self._columns:
            if not (rows[f"{name}_len"] == self._row[name].itemsize).all():
                raise ValueError(f"unexpected size of column {name} in binary COPY")
            value = rows[name].astype(np.int64)
            columns[name] = value + PG_EPOCH_MICROS if kind == "timestamptz" else value
        self._emit(columns)


async def fetch_columns(
    conn: asyncpg.Connection, query: str, *args: object, columns: Sequence[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """The rows of `query` (whose select list is `columns`, in order) as int64 columns."""
    blocks: list[dict[str, np.ndarray]] = []
    parser = BinaryCopyParser(columns, blocks.append)

    async def feed(chunk: bytes) -> None:
        parser.feed(chunk)

    await conn.copy_from_query(query, *args, output=feed, format="binary")
    parser.close()
    return {
        name: np.concatenate([b[name] for b in blocks] or [np.empty(0, np.int64)])
        for name, _ in columns
    }
