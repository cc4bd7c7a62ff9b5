"""The business hours of shards' stores, kept between jobs: a snapshot of hours or zones never
changes once written and stores are never deleted, so hours read for (the snapshots, a key
range holding n stores) stay right for as long as that range holds n stores. A worker that
computes the same shards again (the next report, as polls arrive) reads them once."""

from collections import OrderedDict

import asyncpg
import numpy as np

from shared.db import snapshots
from shared.uptime.hours import StoreHours

ENTRIES = 40  # shards kept (about 1 MB each): a 10× data set's 35 shards


class HoursCache:
    def __init__(self, entries: int = ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[tuple[int, ...], StoreHours] = OrderedDict()

    async def get(
        self,
        conn: asyncpg.Connection,
        lo: int,
        hi: int,
        rank_of_key: np.ndarray,
        hours_snapshot: int,
        zones_snapshot: int,
    ) -> StoreHours:
        """`snapshots.store_hours`, read once per key."""
        key = (hours_snapshot, zones_snapshot, lo, hi, int((rank_of_key >= 0).sum()))
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        hours = await snapshots.store_hours(
            conn, lo, hi, rank_of_key, hours_snapshot, zones_snapshot
        )
        self._kept[key] = hours
        if len(self._kept) > self._entries:
            self._kept.popitem(last=False)
        return hours
