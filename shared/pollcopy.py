"""Rows of the polls table in PostgreSQL's binary COPY format: the ingest writes them, workers
read them. Every column is fixed-width and NOT NULL, so each row has the same 39-byte layout and
NumPy handles many rows at once instead of one by one.
"""

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from shared.instants import to_us

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
        ("seq_len", ">i4"),
        ("seq", ">i8"),
    ]
)


def poll_rows(
    stores: npt.NDArray[np.int32],
    micros: npt.NDArray[np.int64],
    active: npt.NDArray[np.bool_],
    seq: npt.NDArray[np.int64],
) -> bytes:
    """Rows (store, ts, active, seq), `micros` counted from 1970-01-01 UTC; goes between
    HEADER and TRAILER."""
    rows = np.empty(len(micros), ROW)
    rows["fields"] = 4
    rows["store_len"], rows["ts_len"], rows["active_len"], rows["seq_len"] = 4, 8, 1, 8
    rows["store"] = stores
    rows["ts"] = micros - PG_EPOCH_MICROS
    rows["active"] = active
    rows["seq"] = seq
    return rows.tobytes()
