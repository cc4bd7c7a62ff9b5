"""Streaming the span's polls out of PostgreSQL as binary COPY, parsed into NumPy arrays.

Every column is fixed-width and NOT NULL, so each COPY row has the same 39-byte layout and
NumPy reads a whole chunk at once instead of decoding row by row.
"""

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import numpy as np

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_SIZE = len(_SIGNATURE) + 8  # flags and header-extension length, both int32
_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("store_len", ">i4"),
        ("store", ">i4"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("active_len", ">i4"),
        ("active", "u1"),
        ("seq_len", ">i4"),
        ("seq", ">i8"),
    ]
)
SPAN_QUERY = "SELECT store, ts, active, seq FROM polls WHERE ts BETWEEN $1 AND $2"


@dataclass
class PollArrays:
    """Polls as columns: store key, Unix microseconds, active, ingest sequence."""

    store: np.ndarray
    ts: np.ndarray
    active: np.ndarray
    seq: np.ndarray


@dataclass
class BinaryCopyParser:
    """Feed it the chunks of a binary COPY of (int4, timestamptz, bool, int8); then `arrays()`."""

    _pending: bytearray = field(default_factory=bytearray)
    _header_seen: bool = False
    _parts: list[PollArrays] = field(default_factory=list)

    def feed(self, chunk: bytes) -> None:
        self._pending += chunk
        if not self._header_seen:
            if len(self._pending) < _HEADER_SIZE:
                return
            if not self._pending.startswith(_SIGNATURE):
                raise ValueError("not a PostgreSQL binary COPY stream")
            del self._pending[:_HEADER_SIZE]
            self._header_seen = True
        whole = len(self._pending) // _ROW.itemsize * _ROW.itemsize
        if whole:
            rows = np.frombuffer(bytes(self._pending[:whole]), dtype=_ROW)
            del self._pending[:whole]
            if not (rows["fields"] == 4).all() or not (rows["active_len"] == 1).all():
                raise ValueError("unexpected row layout in binary COPY")
            self._parts.append(
                PollArrays(
                    rows["store"].astype(np.int64),
                    rows["ts"].astype(np.int64) + _PG_EPOCH_US,
                    rows["active"].astype(bool),
                    rows["seq"].astype(np.int64),
                )
            )

    def arrays(self) -> PollArrays:
        if bytes(self._pending) not in (_TRAILER, b""):
            raise ValueError("binary COPY stream ended mid-row")
        parts = self._parts
        return PollArrays(
            *(
                np.concatenate([getattr(p, name) for p in parts] or [np.empty(0, dtype)])
                for name, dtype in (
                    ("store", np.int64),
                    ("ts", np.int64),
                    ("active", bool),
                    ("seq", np.int64),
                )
            )
        )


async def read_span(conn: asyncpg.Connection, first: datetime, last: datetime) -> PollArrays:
    """Every stored poll with first ≤ ts ≤ last (duplicates included), unordered."""
    parser = BinaryCopyParser()

    async def sink(chunk: bytes) -> None:
        parser.feed(chunk)

    await conn.copy_from_query(SPAN_QUERY, first, last, output=sink, format="binary")
    return parser.arrays()
