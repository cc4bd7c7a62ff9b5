"""The business hours of shards' stores, kept between jobs: a snapshot of hours or zones never
changes once written and a store's key never changes, so hours read for (the snapshots, a set
of store keys) stay right. A worker that computes the same shards again (the next report, as
polls arrive) reads them once."""

import hashlib
from collections import OrderedDict

import asyncpg
import numpy as np
import numpy.typing as npt

from shared.db import snapshots
from shared.uptime.hours import StoreHours

ENTRIES = 40  # shards kept (about 1 MB each): a 10× data set's 35 shards


class HoursCache:
    def __init__(self, entries: int = ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[tuple[int | None, int | None, bytes], StoreHours] = OrderedDict()

    async def get(
        self,
        conn: asyncpg.Connection,
        keys: npt.NDArray[np.int64],
        rank_of_key: npt.NDArray[np.int64],
        lo: int,
        hours_snapshot: int | None,
        zones_snapshot: int | None,
    ) -> StoreHours:
        """`snapshots.store_hours`, read once per snapshots and set of stores (the ranks
        follow from the set: store_id order)."""
        key = (hours_snapshot, zones_snapshot, hashlib.sha256(keys.tobytes()).digest())
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        hours = await snapshots.store_hours(
            conn, keys, rank_of_key, lo, hours_snapshot, zones_snapshot
        )
        self._kept[key] = hours
        if len(self._kept) > self._entries:
            self._kept.popitem(last=False)
        return hours
