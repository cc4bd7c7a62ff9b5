"""The work that follows an ingest (and any event): functions that look at the database's state
(watermarks, not a notification's payload) and return the jobs to publish for what is pending.
Each job they return is an idempotent catch-up: a duplicate finds nothing to do.

They run when a worker hears a notification (worker/listener.py) and on every housekeeping pass
(the safety net for notifications nobody heard), one worker at a time: inside a transaction that
holds the follow-ups' advisory lock, so a follow-up may also mark what it returns (as published)
and the mark commits only once the jobs were published."""

import logging
from collections.abc import Awaitable, Callable

import asyncpg

from shared.config import Settings
from shared.db import locks
from shared.messages import AnyJob
from worker import deliveries, figures, present

log = logging.getLogger(__name__)
FollowUp = Callable[[asyncpg.Connection], Awaitable[list[AnyJob]]]
Publish = Callable[[AnyJob], Awaitable[None]]

FOLLOWUPS: list[FollowUp] = [figures.pending, present.catch_up, deliveries.catch_up]


def followups(settings: Settings) -> list[FollowUp]:
    """The follow-ups of these settings (daily figures off: none kept)."""
    return [f for f in FOLLOWUPS if settings.daily_figures or f is not figures.pending]


async def run(pool: asyncpg.Pool, publish: Publish, settings: Settings) -> int | None:
    """Run every follow-up and publish their jobs, if no other worker is doing it now (None:
    one is; it heard the same news and runs them again after its current run)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await locks.try_followups(conn):
            return None
        jobs = [job for follow in followups(settings) for job in await follow(conn)]
        for job in jobs:
            await publish(job)
    if jobs:
        log.info("follow-ups: %d jobs queued", len(jobs))
    return len(jobs)
