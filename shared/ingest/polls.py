"""Ingest of the polls feed, all or nothing per file.

A file in the common shapes is read and checked by Arrow (pollfile.py), one batch at a time in
a thread; in one transaction, each batch's new store ids get keys and its rows are set aside by
block of store keys (blocks.py); then each block's rows are sorted (the later line wins an
instant given twice) and cut into one chunk per UTC day, in a thread while the block before is
sent, and stored as a few rows of poll_chunks, which take their rank as the transaction commits
(shared/db/polls.py). Any other file goes whole to the staged path (staged.py): PostgreSQL
parses it and names the first bad line, and its rows take the same way into chunks. A poll
later than the ingest's clock + 24 hours is malformed (an upstream clock error would otherwise
become every report's default as_of).
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

import asyncpg
import numpy as np

from shared.db import ingests, polls, stores
from shared.ingest.blocks import BlockFiles
from shared.ingest.pollfile import NotFast, read_batches
from shared.ingest.source import CsvSource, open_source
from shared.ingest.staged import read_staged
from shared.ingest.turns import Turn
from shared.instants import US_PER_DAY, from_us, to_us
from shared.pollchunks import Chunk, chunks_of_block
from shared.storeids import WHITESPACE

_SAY_EVERY = 2_000_000  # rows read between progress messages (about 2 s)
Progress = Callable[[str], None]
Fill = Callable[[BlockFiles], Awaitable[None]]
T = TypeVar("T")


class Ingested(NamedTuple):
    """What an ingest stored: polls, distinct stores, and the first and last poll's instant."""

    polls: int
    stores: int
    first: datetime | None
    last: datetime | None


async def ingest_polls(
    conn: asyncpg.Connection, path: Path, progress: Progress | None = None, turn: Turn | None = None
) -> tuple[int, int]:
    """Append the polls of `path`; all or nothing. Returns (polls, distinct stores).

    `progress` hears how a long ingest goes (rows read; which path; storing); `turn` is the
    file's place among files ingested side by side (turns.py)."""
    stored = await ingest_polls_file(conn, path, progress, turn)
    return stored.polls, stored.stores


async def ingest_polls_file(
    conn: asyncpg.Connection, path: Path, progress: Progress | None = None, turn: Turn | None = None
) -> Ingested:
    """`ingest_polls`, saying also when the polls stored begin and end."""
    say = progress or (lambda _: None)
    turn = turn or Turn()
    source = open_source(path, [["store_id"], ["status"], ["timestamp_utc"]])
    await conn.execute("SET TimeZone = 'UTC'")  # a timestamp without zone is UTC
    latest_us = to_us(await conn.fetchval("SELECT now()")) + US_PER_DAY
    try:
        async with conn.transaction():
            return await _ingest(
                conn, source, lambda spill: _fast(conn, source, latest_us, spill, say), say, turn
            )
    except NotFast as e:
        say(f"PostgreSQL parses this file (outside the fast path's shapes: {e})")
    async with conn.transaction():
        return await _ingest(
            conn, source, lambda spill: read_staged(conn, source, latest_us, spill), say, turn
        )


async def _ingest(
    conn: asyncpg.Connection, source: CsvSource, fill: Fill, say: Progress, turn: Turn
) -> Ingested:
    with BlockFiles() as spill:
        await fill(spill)
        say(f"storing {spill.rows:,} rows")
        # Recorded once read: the files before it in the command have taken their ids by then.
        ingest_id = await turn.record(lambda: ingests.new(conn, "polls", source.path))
        async for block, chunks in _in_thread(_encoded(spill)):
            await polls.append(conn, ingest_id, block, _each(chunks))
        latest = None if spill.last_us is None else from_us(spill.last_us)
        await ingests.close_polls(conn, ingest_id, spill.rows, latest)
        await ingests.notify(conn, "polls", ingest_id)
        await turn.commit()
        await polls.seal(conn, ingest_id)  # last: the commit follows
        first = None if spill.first_us is None else from_us(spill.first_us)
        return Ingested(spill.rows, spill.stores, first, latest)


def _encoded(spill: BlockFiles) -> Generator[tuple[int, list[Chunk]]]:
    """Each block's chunks: its rows sorted (the later line wins an instant given twice), cut
    by day and encoded."""
    for block, rows in spill.blocks():
        yield block, list(chunks_of_block(block, rows))


async def _each(chunks: list[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk


async def _fast(
    conn: asyncpg.Connection, source: CsvSource, latest_us: int, spill: BlockFiles, say: Progress
) -> None:
    key_of: dict[str, int] = {}  # store ids as stored → keys
    async for batch in _in_thread(read_batches(source, latest_us)):
        names = [name.strip(WHITESPACE) for name in batch.names]
        new = sorted({name for name in names if name not in key_of})
        if new:
            key_of |= await stores.add(conn, new)
        keys = np.fromiter((key_of[name] for name in names), np.int64, len(names))
        spill.add(keys[batch.codes], batch.micros, batch.active)
        if spill.rows // _SAY_EVERY > (spill.rows - len(batch)) // _SAY_EVERY:
            say(f"read {spill.rows:,} rows")


async def _in_thread(items: Generator[T]) -> AsyncIterator[T]:
    """The items, each made in a thread; the next is made while the caller uses this one."""
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, items, None))
    try:
        while (item := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, items, None))
            yield item
    finally:
        if not upcoming.done():
            await asyncio.gather(upcoming, return_exceptions=True)
        items.close()
