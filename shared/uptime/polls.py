"""Polls as the computation takes them: columns of store, instant and status, and the one rule
on duplicates (of polls of one store at one instant, the last given wins). How polls are
stored is another matter (shared/pollchunks.py)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shared.instants import US_PER_DAY

_TOD_BITS = 37  # a time of day in µs (< 86,400,000,000) fits in 37 bits
_BLOCK_BITS = 12  # stores within a block of keys (4,096)
_DAY_BITS = 63 - _TOD_BITS - _BLOCK_BITS  # days in one key: 16,384 (44 years)

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Polls:
    """Polls as columns: store (a key, or an index into a batch of stores), instant in µs
    since the Unix epoch, active."""

    store: Ints
    ts: Ints
    active: Bools

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, index: npt.NDArray[np.intp] | slice) -> "Polls":
        return Polls(self.store[index], self.ts[index], self.active[index])

    @classmethod
    def empty(cls) -> "Polls":
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool))

    @classmethod
    def concat(cls, parts: Sequence["Polls"]) -> "Polls":
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.store for p in parts]),
            np.concatenate([p.ts for p in parts]),
            np.concatenate([p.active for p in parts]),
        )


def sort_unique(polls: Polls, by_day: bool = False) -> Polls:
    """The polls sorted by (store, ts) — by (UTC day, store, ts) with `by_day` — one per store
    and instant: of equal ones the last given wins (later lines of a file, later chunks)."""
    if len(polls) == 0:
        return polls
    key = _key(polls, by_day)
    order = np.argsort(key)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    # Equal keys lie together in any order: the greatest original index among them wins.
    return polls.take(np.maximum.reduceat(order, starts))


def _key(polls: Polls, by_day: bool) -> Ints:
    """One int64 per poll ordering by (store, ts) or (day, store, ts): exact where the days
    and stores fit in its bits, else the rank of the poll's (day, store, ts)."""
    day = polls.ts // US_PER_DAY
    first_day, first_store = int(day.min()), int(polls.store.min())
    if int(polls.store.max()) - first_store < 1 << _BLOCK_BITS and (
        int(day.max()) - first_day < 1 << _DAY_BITS
    ):
        store_bits, day_bits = (
            (_TOD_BITS, _TOD_BITS + _BLOCK_BITS)
            if by_day
            else (
                _TOD_BITS + _DAY_BITS,
                _TOD_BITS,
            )
        )
        return (
            ((polls.store - first_store) << store_bits)
            | ((day - first_day) << day_bits)
            | (polls.ts - day * US_PER_DAY)
        )
    keys = (polls.ts, polls.store, day) if by_day else (polls.ts, polls.store)
    order = np.lexsort(keys)
    changed = np.zeros(len(order), dtype=bool)
    for column in keys:
        changed[1:] |= column[order][1:] != column[order][:-1]
    rank = np.empty(len(order), np.int64)
    rank[order] = np.cumsum(changed)
    return rank
