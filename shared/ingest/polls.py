"""Ingest of the polls feed, all or nothing per file.

A file in the common shapes is read and checked by Arrow (pollfile.py) in a thread, its rows
kept as compact arrays in a temporary file; then, in one transaction, its new stores get keys
and the rows go to polls in one binary COPY: no staging table, no SQL pass over the rows.
Reading everything first lets the partitions be made before the transaction writes to polls
(a partition cannot be added while a transaction holds polls open). Any other file goes whole
to the staged path (staged.py), which takes whatever PostgreSQL's parser accepts and names the
first bad line. Both give every row seq = (ingest id << 32) + line: later files, then later
lines, win.
"""

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Generator
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import ingests, polls, stores
from shared.db.ingests import LINE_SHIFT
from shared.db.polls import block_of, blocks_with, ensure_partitions
from shared.ingest.pollfile import WHITESPACE, NotFast, PollBatch, read_batches
from shared.ingest.source import CsvSource, open_source
from shared.ingest.staged import ingest_staged
from shared.instants import US_PER_DAY, from_us
from shared.pollcopy import HEADER, TRAILER, poll_rows

_SAY_EVERY = 2_000_000  # rows read between progress messages (about 2 s)
Progress = Callable[[str], None]


async def ingest_polls(
    conn: asyncpg.Connection, path: Path, progress: Progress | None = None
) -> tuple[int, int]:
    """Append the polls of `path`; all or nothing. Returns (polls, distinct stores).

    `progress` hears how a long ingest goes (rows read; which path; storing)."""
    say = progress or (lambda _: None)
    source = open_source(path, [["store_id"], ["status"], ["timestamp_utc"]])
    await conn.execute("SET TimeZone = 'UTC'")  # a timestamp without zone is UTC
    try:
        parsed = await asyncio.to_thread(_ParsedPolls.read, source, say)
    except NotFast as e:
        say(f"PostgreSQL parses this file (outside the fast path's shapes: {e})")
        return await ingest_staged(conn, source)
    with parsed:
        say(f"storing {parsed.rows:,} rows")
        return await _append(conn, parsed)


async def _append(conn: asyncpg.Connection, parsed: "_ParsedPolls") -> tuple[int, int]:
    trimmed = [name.strip(WHITESPACE) for name in parsed.names()]
    ids = sorted(set(trimmed))
    key_of = await stores.keys(conn, ids)  # stores are never deleted: a known key stays
    new = [store_id for store_id in ids if store_id not in key_of]
    # Partitions are made before the long transaction (readers never wait for it), for the
    # store keys the file will need; a key taken meanwhile is handled inside.
    await ensure_partitions(conn, parsed.days, await blocks_with(conn, len(new)))
    async with conn.transaction():
        ingest_id = await ingests.new(conn, "polls", parsed.source.path)
        if new:
            key_of |= await stores.add(conn, new)
        keys = np.array([key_of[store_id] for store_id in trimmed], np.int32)
        await ensure_partitions(conn, parsed.days, block_of(int(keys.max(initial=0))) + 1)
        await polls.copy_in(conn, _in_thread(parsed.copy_data(keys, ingest_id * LINE_SHIFT)))
        await ingests.close_polls(conn, ingest_id, parsed.rows, parsed.latest())
    return parsed.rows, len(ids)


async def _in_thread(chunks: Generator[bytes]) -> AsyncIterator[bytes]:
    """The chunks, each made in a thread (the event loop meanwhile sends the one before)."""
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        yield chunk


class _ParsedPolls:
    """A polls file read and checked, its rows kept as arrays in a temporary file: store ids
    as indexes into `names()` (as written), instants in microseconds, statuses; per batch."""

    def __init__(self, source: CsvSource) -> None:
        self.source = source
        self.days: set[date] = set()
        self.rows = 0
        self._index: dict[str, int] = {}  # store ids as written → codes, in order of appearance
        self._sizes: list[int] = []
        self._latest: int | None = None
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())

    @classmethod
    def read(cls, source: CsvSource, say: Progress) -> Self:
        parsed = cls(source)
        try:
            for batch in read_batches(source):
                parsed._add(batch)
                if parsed.rows // _SAY_EVERY > (parsed.rows - len(batch)) // _SAY_EVERY:
                    say(f"read {parsed.rows:,} rows")
        except BaseException:
            parsed.close()
            raise
        return parsed

    def _add(self, batch: PollBatch) -> None:
        index = np.fromiter(  # the batch's codes → the file's
            (self._index.setdefault(name, len(self._index)) for name in batch.names),
            np.int32,
            len(batch.names),
        )
        index[batch.codes].tofile(self._file)
        batch.micros.tofile(self._file)
        batch.active.tofile(self._file)
        self._sizes.append(len(batch))
        self.rows += len(batch)
        if len(batch):  # an empty file gives one empty batch
            self.days |= {
                from_us(int(day) * US_PER_DAY).date()
                for day in np.unique(batch.micros // US_PER_DAY)
            }
            top = int(batch.micros.max())
            self._latest = top if self._latest is None else max(self._latest, top)

    def names(self) -> list[str]:
        """The distinct store ids as written, each at its code."""
        return list(self._index)

    def latest(self) -> datetime | None:
        """The latest instant in the file."""
        return None if self._latest is None else from_us(self._latest)

    def copy_data(self, keys: npt.NDArray[np.int32], base: int) -> Generator[bytes]:
        """The rows in binary COPY format, `keys` giving each name's store key and
        `base` + line each row's seq."""
        self._file.seek(0)
        yield HEADER
        line = 2  # the header is line 1
        for size in self._sizes:
            codes = np.fromfile(self._file, np.int32, size)
            micros = np.fromfile(self._file, np.int64, size)
            active = np.fromfile(self._file, np.bool_, size)
            seq = base + line + np.arange(size, dtype=np.int64)
            yield poll_rows(keys[codes], micros, active, seq)
            line += size
        yield TRAILER

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
