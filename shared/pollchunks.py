"""Polls packed in chunks: the polls of one block of store keys on one UTC day, sorted by store
and time with one poll per instant, as byte arrays (the rows of the poll_chunks table). Pure:
arrays in, bytes out, and back; no database.

A chunk holds, for its n polls, `stores` (store key − first key of the block, uint16), `ts`
(microseconds since the Unix epoch, int64) and `active` (uint8), all big-endian as PostgreSQL's
own binary forms are (so SQL can build and slice them too), and `offsets`: 4,097 indexes, store
k of the block having the polls offsets[k] … offsets[k+1] − 1, so that the polls of a range of
stores are one slice of each array.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from shared.instants import US_PER_DAY
from shared.uptime.polls import Ints, Polls, sort_unique

STORE_BLOCK = 4_096  # store keys per block: a chunk's stores, and at most one report shard
STORES = np.dtype(">u2")
TS = np.dtype(">i8")
ACTIVE = np.dtype("u1")
_STORE_BITS = STORE_BLOCK.bit_length() - 1  # a store within its block
_SHORT_DAYS = 1 << (16 - _STORE_BITS)  # days whose (day, store) keys fit in 16 bits
_TOD_BITS = (US_PER_DAY - 1).bit_length()  # µs within a day


def block_of(store_key: int) -> int:
    """The block of store keys a key belongs to."""
    return store_key // STORE_BLOCK


@dataclass(frozen=True)
class Chunk:
    """One chunk's columns as stored."""

    day: int  # days since 1970-01-01 (UTC)
    polls: int
    offsets: list[int]
    stores: bytes
    ts: bytes
    active: bytes


def chunks_of_block(block: int, polls: Polls) -> Iterator[Chunk]:
    """The chunks of the polls of one block (keys of that block; any order, later wins), one
    per UTC day, in day order."""
    polls = _by_day(block, polls)
    day = polls.ts // US_PER_DAY
    bounds = np.flatnonzero(np.diff(day)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(day)], strict=True):
        if hi > lo:
            yield encode(int(day[lo]), block, polls.take(slice(lo, hi)))


def _by_day(block: int, polls: Polls) -> Polls:
    """`sort_unique(polls, by_day=True)`, sooner for polls of at most 16 days: a radix sort
    by (day, store) (16-bit keys) leaves each store's polls of a day in file order, mostly in
    time order already (as a file gives them), and a stable sort by instant then has little to
    do."""
    day = polls.ts // US_PER_DAY
    if len(polls) == 0 or int(day.max()) - int(day.min()) >= _SHORT_DAYS:
        return sort_unique(polls, by_day=True)
    group = ((day - int(day.min())) << _STORE_BITS) | (polls.store - block * STORE_BLOCK)
    order = np.argsort(group.astype(np.uint16), kind="stable")
    key = (group[order] << _TOD_BITS) | (polls.ts - day * US_PER_DAY)[order]
    in_time = np.argsort(key, kind="stable")  # runs already sorted: little work
    order, key = order[in_time], key[in_time]
    last = np.r_[key[1:] != key[:-1], True]  # of the polls of one instant, the last given wins
    return polls.take(order[last])


def encode(day: int, block: int, polls: Polls) -> Chunk:
    """The chunk of the polls of one block and day, sorted by (store, ts) and unique."""
    within = polls.store - block * STORE_BLOCK
    counts = np.bincount(within, minlength=STORE_BLOCK)
    return Chunk(
        day=day,
        polls=len(polls),
        offsets=np.concatenate(([0], np.cumsum(counts))).tolist(),
        stores=within.astype(STORES).tobytes(),
        ts=polls.ts.astype(TS).tobytes(),
        active=polls.active.astype(ACTIVE).tobytes(),
    )


def decode(block: int, stores: bytes, ts: bytes, active: bytes) -> Polls:
    """The polls of (a slice of) a chunk of `block`."""
    return Polls(
        np.frombuffer(stores, STORES).astype(np.int64) + block * STORE_BLOCK,
        np.frombuffer(ts, TS).astype(np.int64),
        np.frombuffer(active, ACTIVE).astype(bool),
    )


def merge(chunks: Sequence[Polls]) -> Polls:
    """The chunks of one block and day as one, given oldest first: where two hold the same
    store and instant, the later chunk's poll wins."""
    if len(chunks) == 1:
        return chunks[0]
    return sort_unique(Polls.concat(chunks))


def across_days(days: Sequence[Polls], index_of_store: Ints, first_key: int) -> Polls:
    """Polls of consecutive days (each sorted by store key and time, unique), with each store
    key replaced by `index_of_store[key − first_key]` (a negative index drops the store's
    polls), sorted by (index, ts). The order of the indexes may differ from that of the keys
    (store_id byte order, key order); within a store, days come in order, so one stable sort
    by index is enough (a radix sort: indexes are small)."""
    polls = Polls.concat(days)
    index = index_of_store[polls.store - first_key]
    if (index < 0).any():
        kept = np.flatnonzero(index >= 0)
        polls, index = polls.take(kept), index[kept]
    small = index.astype(np.uint16) if len(index_of_store) <= 1 << 16 else index
    order = np.argsort(small, kind="stable")
    return Polls(index[order], polls.ts[order], polls.active[order])


def span_of(days: Sequence[Sequence[Polls]], index_of_store: Ints, first_key: int) -> Polls:
    """The polls of consecutive days as read (each day's chunks, oldest first): each day's
    chunks merged, then all of them as `across_days` gives them."""
    return across_days([merge(chunks) for chunks in days], index_of_store, first_key)
