"""A shard's part of a report and the assembly of the parts into the report's CSV.

A part is three files in `.parts/<report_id>/`: `NNNNNN.csv`, the shard's rows in store_id
order; `NNNNNN.npz`, what assembling needs without parsing a row (each store's run of rows,
each row's length in bytes, each row's sort keys); `NNNNNN.json`, the shard's exact summary.
Every store is in one shard, so the report's rows in store_id order are the parts' runs
sorted by store_id, each copied whole."""

import contextlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
from numpy.typing import ArrayLike

from shared.csvfile import AtomicFile, table_lines
from shared.pollchunks import Ints
from shared.uptime.summary import Summary
from shared.uptime.table import Table


def write(path: Path, table: Table, store_ids: Sequence[str], summary: Summary) -> int:
    """Write the part of `table` at `path` (its .csv; the .npz and .json beside it); its rows.
    Each file appears whole or not at all; the CSV last, so that a part with a CSV is whole."""
    data, lengths = table_lines(table, store_ids)
    stores, counts = table.runs()
    meta = io.BytesIO()
    np.savez(
        meta,
        ids=np.array([store_ids[s] for s in stores.tolist()], dtype=np.str_),
        counts=counts.astype(np.int32),
        lengths=lengths.astype(np.int32),
        keys=table.keys().astype(np.int32),
    )
    for suffix, content in ((".json", orjson.dumps(summary.to_json())), (".npz", meta.getvalue())):
        with AtomicFile(path.with_suffix(suffix)) as f:
            f.write(content)
            f.commit()
    with AtomicFile(path) as f:
        f.write(data)
        f.commit()
    return len(table)


@dataclass(frozen=True)
class Assembled:
    """What assembling wrote: its rows, each row's byte offset in the CSV (and where the last
    ends) and its sort keys (rows × columns); None for both past `index_rows` rows."""

    rows: int
    offsets: Ints | None
    keys: Ints | None


def summary(parts: Sequence[Path], kind: str) -> Summary:
    """The report's summary: the parts' summaries merged."""
    found = Summary(kind)
    for part in parts:
        found.merge(Summary.from_json(orjson.loads(part.with_suffix(".json").read_bytes())))
    return found


def assemble(parts: Sequence[Path], into: AtomicFile, index_rows: int) -> Assembled:
    """Copy the parts' rows into `into` in store_id order."""
    with contextlib.ExitStack() as stack:
        metas = [stack.enter_context(np.load(part.with_suffix(".npz"))) for part in parts]
        files = [os.open(path, os.O_RDONLY) for path in parts]
        for fd in files:
            stack.callback(os.close, fd)
        # Runs and rows of all parts in one numbering (part after part).
        counts = _cat([m["counts"] for m in metas])
        lengths = _cat([m["lengths"] for m in metas])
        run_part = _cat([np.full(len(m["counts"]), i) for i, m in enumerate(metas)])
        ids = [i for m in metas for i in m["ids"].tolist()]
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), np.int64)
        row_start = _starts(counts)  # of each run, among all rows
        byte_start = _starts(lengths)  # of each row, among all rows' bytes
        part_byte = _starts(_cat([[int(m["lengths"].sum())] for m in metas]))
        first, n, part = row_start[order], counts[order], run_part[order]
        start = byte_start[first] - part_byte[part]  # within its part's file
        size = byte_start[first + n - 1] + lengths[first + n - 1] - byte_start[first]
        for p, at, length in zip(part.tolist(), start.tolist(), size.tolist(), strict=True):
            into.write(os.pread(files[p], length, at))
        rows = len(lengths)
        if rows > index_rows:
            return Assembled(rows, None, None)
        taken = np.repeat(first - _starts(n), n) + np.arange(rows)  # all rows' order, merged
        keys = np.concatenate([m["keys"] for m in metas]).astype(np.int64)[taken]
    return Assembled(rows, np.r_[0, np.cumsum(lengths[taken])], keys)


def _cat(arrays: Sequence[ArrayLike]) -> Ints:
    """The arrays end to end, as int64 (empty for none)."""
    return np.concatenate([np.empty(0, np.int64), *arrays]).astype(np.int64)


def _starts(counts: Ints) -> Ints:
    """Where each of consecutive runs of `counts` items starts."""
    starts: Ints = np.r_[0, np.cumsum(counts)[:-1]] if len(counts) else counts
    return starts.astype(np.int64)
