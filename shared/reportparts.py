"""A shard's part of a report and the assembly of the parts into the report's CSV.

A part is one file in `.parts/<report_id>/` (one file, so one fsync): the shard's CSV rows in
store_id order, then an .npz of what assembling needs without parsing a row (each store's run
of rows, each row's length in bytes, each row's sort keys and extras, each store's totals over
the report, the shard's exact summary), then the CSV's length (8 bytes, little-endian) and a
mark. Every store is in one shard, so the report's rows in store_id order are the parts' runs
sorted by store_id, each copied whole."""

import contextlib
import io
import mmap
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import orjson

from shared.csvfile import AtomicFile, table_lines
from shared.uptime.polls import Ints
from shared.uptime.stores import StoreTotals
from shared.uptime.summary import Summary
from shared.uptime.table import Table

_TAIL = struct.Struct("<q8s")  # the CSV's length and a mark: a part ends with both
_MARK = b"part end"
_BATCH = 1 << 20  # bytes of runs gathered per write while assembling
_RUNS = 1 << 16  # runs looked at per step while assembling


# Each store's totals as the part keeps them, in the order of its runs.
STORE_FIELDS = ("business", "up", "polls", "worst_period", "worst_percent")


def write(
    path: Path, table: Table, store_ids: Sequence[str], summary: Summary, totals: StoreTotals
) -> int:
    """Write the part of `table` at `path` (whole or not at all); its rows. `totals` has an
    entry for each store that has rows, in the same order."""
    data, lengths = table_lines(table, store_ids)
    stores, counts = table.runs()
    assert np.array_equal(stores, totals.store), "a store's totals beside its rows"
    meta = io.BytesIO()
    np.savez(
        meta,
        ids=np.array([store_ids[s].encode() for s in stores.tolist()], dtype=np.bytes_),
        counts=counts.astype(np.int32),
        lengths=lengths.astype(np.int32),
        keys=table.keys().astype(np.int32),
        summary=np.frombuffer(orjson.dumps(summary.to_json()), np.uint8),
        **{f"store_{name}": getattr(totals, name).astype(np.int64) for name in STORE_FIELDS},
    )
    with AtomicFile(path) as f:
        f.write(data)
        f.write(meta.getvalue())
        f.write(_TAIL.pack(len(data), _MARK))
        f.commit()
    return len(table)


def _meta(f: BinaryIO) -> tuple[int, dict[str, npt.NDArray[Any]]]:
    """A part's CSV length and the arrays that describe its rows."""
    size = os.fstat(f.fileno()).st_size
    tail = os.pread(f.fileno(), _TAIL.size, max(size - _TAIL.size, 0))
    csv_size, mark = _TAIL.unpack(tail) if len(tail) == _TAIL.size else (-1, b"")
    if mark != _MARK or not 0 <= csv_size <= size - _TAIL.size:
        raise ValueError(f"{f.name}: not a whole report part")
    with np.load(io.BytesIO(os.pread(f.fileno(), size - _TAIL.size - csv_size, csv_size))) as npz:
        return csv_size, {name: npz[name] for name in npz.files}


@dataclass(frozen=True)
class _Part:
    """A part opened for assembling: its CSV rows (mapped, not read) and what describes them."""

    rows: memoryview
    meta: dict[str, npt.NDArray[Any]]

    @classmethod
    def open(cls, path: Path, stack: contextlib.ExitStack) -> "_Part":
        with open(path, "rb") as f:
            csv_size, meta = _meta(f)
            if not csv_size:  # an empty file cannot be mapped
                return cls(memoryview(b""), meta)
            mapped = stack.enter_context(mmap.mmap(f.fileno(), csv_size, access=mmap.ACCESS_READ))
        rows = memoryview(mapped)
        stack.callback(rows.release)  # before the map closes
        return cls(rows, meta)


@dataclass(frozen=True)
class Assembled:
    """What assembling wrote: its rows, each row's byte offset in the CSV (and where the last
    ends) and its sort keys (rows × columns), and each store's first row and totals (by name,
    STORE_FIELDS) in store_id order, None for all past `index_rows` rows; and the report's
    summary, the parts' summaries merged."""

    rows: int
    offsets: Ints | None
    keys: npt.NDArray[np.int32] | None
    summary: Summary
    stores: dict[str, Ints] | None = None


def assemble(parts: Sequence[Path], into: AtomicFile, index_rows: int, kind: str) -> Assembled:
    """Copy the parts' rows into `into` in store_id order; merge the summaries of a report of
    `kind`."""
    with contextlib.ExitStack() as stack:
        opened = [_Part.open(part, stack) for part in parts]
        metas = [part.meta for part in opened]
        summary = Summary(kind)
        for m in metas:
            summary.merge(Summary.from_json(orjson.loads(m["summary"].tobytes())))
        # Runs and rows of all parts in one numbering (part after part).
        counts = _cat([m["counts"] for m in metas])
        lengths = _cat([m["lengths"] for m in metas])
        run_part = _cat([np.full(len(m["counts"]), i) for i, m in enumerate(metas)])
        # UTF-8 bytes sort as their code points do: store_id order (no id holds a NUL, which
        # fixed-width bytes would drop).
        ids = np.concatenate([np.empty(0, np.bytes_), *(m["ids"] for m in metas)])
        order = np.argsort(ids, kind="stable")
        row_start = _starts(counts)  # of each run, among all rows
        byte_start = _starts(lengths)  # of each row, among all rows' bytes
        part_byte = _starts(_cat([[int(m["lengths"].sum())] for m in metas]))
        first, n, part = row_start[order], counts[order], run_part[order]
        start = byte_start[first] - part_byte[part]  # within its part's file
        size = byte_start[first + n - 1] + lengths[first + n - 1] - byte_start[first]
        # Runs gathered from the mapped parts and written a batch at a time: a report has a
        # run per store, too many for a write each.
        batch: list[memoryview] = []
        gathered = 0
        for lo in range(0, len(order), _RUNS):  # as Python ints a slice at a time: bounded
            runs = (part[lo : lo + _RUNS], start[lo : lo + _RUNS], size[lo : lo + _RUNS])
            for p, at, length in zip(*(column.tolist() for column in runs), strict=True):
                batch.append(opened[p].rows[at : at + length])
                gathered += length
                if gathered >= _BATCH:
                    into.write(b"".join(batch))
                    batch, gathered = [], 0
        into.write(b"".join(batch))
        batch.clear()  # no view into a map may outlive it
        rows = len(lengths)
        if rows > index_rows:
            return Assembled(rows, None, None, summary)
        taken = np.repeat(first - _starts(n), n) + np.arange(rows)  # all rows' order, merged
        keys = np.concatenate([m["keys"] for m in metas])[taken]
        stores = {"first_row": _starts(n)}
        for name in STORE_FIELDS:
            stores[name] = _cat([m[f"store_{name}"] for m in metas])[order]
    return Assembled(rows, np.r_[0, np.cumsum(lengths[taken])], keys, summary, stores)


def _cat(arrays: Sequence[npt.ArrayLike]) -> Ints:
    """The arrays end to end, as int64 (empty for none)."""
    return np.concatenate([np.empty(0, np.int64), *arrays]).astype(np.int64)


def _starts(counts: Ints) -> Ints:
    """Where each of consecutive runs of `counts` items starts."""
    starts: Ints = np.r_[0, np.cumsum(counts)[:-1]] if len(counts) else counts
    return starts.astype(np.int64)
