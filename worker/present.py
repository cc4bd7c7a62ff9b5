"""Keeping the present up to date (SPEC "The present"): after an ingest, every block of stores
whose present is older than the latest data is evaluated again by a Present job, which stores
its stores' states and records the events their changes make (store.down, store.up) in one
transaction, under the block's lock: an event commits with the state it derives from, so a
job that runs twice (a redelivery, a duplicate) finds the block up to date and records nothing.
"""

import logging
from datetime import timedelta

import asyncpg
import numpy as np

from shared.db import events, locks, polls, present, stores
from shared.instants import US_PER_MINUTE, from_us, to_us
from shared.messages import AnyJob, Present
from shared.uptime import present as core
from shared.uptime.compute import SPAN_US
from shared.uptime.hours import StoreHours
from worker import compute
from worker.child import Child
from worker.hours_cache import HoursCache

log = logging.getLogger(__name__)


async def catch_up(conn: asyncpg.Connection) -> list[AnyJob]:
    """A follow-up: a Present job for each block behind the latest data."""
    return [Present(block) for block in await present.behind(conn)]


async def evaluate_block(
    pool: asyncpg.Pool,
    hours_cache: HoursCache,
    child: Child,
    block: int,
    alert_after_minutes: float,
) -> int:
    """Bring the block's present up to date; the events recorded (0 when it was already)."""
    async with pool.acquire() as conn, conn.transaction():
        await locks.present_block(conn, block)
        mark = await present.current(conn)
        if mark.now is None or await present.evaluated(conn, block) == mark:
            return 0
        lo, hi = present.block_keys(block)
        now_us = to_us(mark.now)
        first = mark.now - timedelta(microseconds=SPAN_US)
        days = await polls.read(conn, lo, hi, first.date(), mark.now.date())
        index_of_key = np.arange(hi - lo, dtype=np.int64)
        keys = np.arange(lo, hi, dtype=np.int64)
        hours = await hours_cache.get(
            conn, keys, index_of_key, lo, mark.hours_snapshot, mark.timezones_snapshot
        )
        alert_after_us = round(alert_after_minutes * US_PER_MINUTE)
        # In the computing child, as a report's shard is: the loop stays free, and its memory
        # is the child's, used again job after job.
        states = await child.call(compute.present_states, now_us, hours, days, lo, alert_after_us)
        before = {key - lo: to_us(at) for key, at in (await present.announced(conn, block)).items()}
        changes, after = core.changes(states, before)
        recorded = await _record(conn, lo, hours, states, changes)
        announced = {lo + store: from_us(at) for store, at in after.items()}
        await present.save(conn, block, states.store + lo, states, announced, mark)
    if recorded:
        log.info("block %d at %s: %d events", block, mark.now.isoformat(), recorded)
    return recorded


async def _record(
    conn: asyncpg.Connection,
    lo: int,
    hours: StoreHours,
    states: core.States,
    changes: list[core.Event],
) -> int:
    """Record the events of `changes` (stores as batch indexes from key `lo`)."""
    if not changes:
        return 0
    ids = await stores.ids_of(conn, [lo + e.store for e in changes])
    row_of = {int(store): i for i, store in enumerate(states.store.tolist())}
    ups = [e for e in changes if e.type == "store.up"]
    lasting = core.business_between(
        hours,
        np.array([e.store for e in ups], np.int64),
        np.array([e.start for e in ups], np.int64),
        np.array([e.end for e in ups], np.int64),
    )
    business = {e.store: int(us) for e, us in zip(ups, lasting.tolist(), strict=True)}
    new = []
    for e in changes:
        i = row_of[e.store]
        data: dict[str, object] = {
            "store_id": ids[lo + e.store],
            "last_poll": from_us(int(states.last_poll[i])),
        }
        if e.type == "store.down":
            data["since"] = from_us(e.start)
            data["down_minutes"] = _minutes(int(states.down_us[i]))
        else:
            data["outage"] = {
                "start": from_us(e.start),
                "end": from_us(e.end),
                "business_minutes": _minutes(business[e.store]),
            }
        new.append(events.NewEvent(e.type, from_us(e.at), data, lo + e.store))
    await events.record(conn, new)
    return len(new)


def _minutes(us: int) -> float:
    return round(us / US_PER_MINUTE, 2)
