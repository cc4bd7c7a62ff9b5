"""What the computing child runs (worker/child.py): the CPU-bound part of a job, from plain
values (NumPy arrays) the parent read from PostgreSQL, to files renamed into place whole.

- `shard_part`: a shard's polls as read (chunks per day), its stores' hours → its part file;
- `assemble`: a report's parts → its CSV and the index of its rows.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared import reportparts, rowsindex
from shared.csvfile import HEADER, AtomicFile, columns_of, csv_lines, report_path
from shared.pollchunks import across_days, merge
from shared.uptime.compute import standard_figures
from shared.uptime.hours import StoreHours
from shared.uptime.periods import Range, period_figures
from shared.uptime.polls import Ints, Polls


@dataclass(frozen=True)
class ShardInput:
    """A shard's stores and polls, as the parent read them in one snapshot."""

    as_of_us: int
    periods: Range | None
    names: list[str]  # the stores' ids, in store_id order
    hours: StoreHours
    days: list[list[Polls]]  # per UTC day, its chunks in rank order
    rank_of_key: Ints  # each key's store among `names` (−1: not the shard's)
    lo: int  # the first key


def shard_part(shard: ShardInput, path: Path, burn_seconds: float = 0.0) -> int:
    """Compute the shard's figures and write its part at `path`; its rows. `burn_seconds`:
    a test hook, CPU spent first (STOREMON_TEST_BURN_SECONDS)."""
    if burn_seconds > 0:
        burn(burn_seconds)
    span = across_days([merge(chunks) for chunks in shard.days], shard.rank_of_key, shard.lo)
    figures = (
        standard_figures(shard.as_of_us, shard.hours, span)
        if shard.periods is None
        else period_figures(shard.as_of_us, shard.hours, span, shard.periods)
    )
    return reportparts.write(
        path, figures.table(), shard.names, figures.summary(), figures.stores()
    )


def assemble(reports_dir: Path, report_id: str, header: Sequence[str], parts: list[Path]) -> int:
    """The report's CSV from its parts, then the index of its rows and its stores, and its
    summary; rows."""
    kind = "standard" if header == HEADER else "period"
    head = csv_lines([header])
    with AtomicFile(report_path(reports_dir, report_id)) as csv:
        csv.write(head)
        done = reportparts.assemble(parts, csv, rowsindex.MAX_ROWS, kind)
        csv.commit()
    offsets = None if done.offsets is None else done.offsets + len(head)
    rowsindex.write(
        rowsindex.index_path(reports_dir, report_id),
        columns_of(header),
        done.summary,
        offsets,
        done.keys,
        done.stores,
    )
    return done.rows


def burn(seconds: float) -> int:
    """Spin the CPU for `seconds` in pure Python (no sleep, no system call to interrupt):
    what a long computation looks like to the event loop and to the time limit."""
    end = time.monotonic() + seconds
    spins = 0
    while time.monotonic() < end:
        spins += sum(range(10_000)) & 1
    return spins
