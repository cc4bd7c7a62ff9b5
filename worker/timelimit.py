"""The time limit of a job (JOB_TIMEOUT_SECONDS): past it the job is cancelled, which stops its
computing child for real (worker/child.py kills it), and the attempt counts as failed. A job
taken ahead (worker/main.py) waits for the child while the job before it computes there: that
wait is not its own time, and does not count."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_LIMIT: ContextVar[asyncio.Timeout | None] = ContextVar("job_time_limit", default=None)


class TimeLimitExceeded(Exception):
    """The job ran past its time limit and was stopped."""


async def time_limited(seconds: float, work: Awaitable[T]) -> T:
    """`work`, stopped after `seconds` (not counting `not_counted` waits) with
    TimeLimitExceeded."""
    limit = asyncio.timeout(seconds)
    token = _LIMIT.set(limit)
    try:
        async with limit:
            return await work
    except TimeoutError:
        if limit.expired():
            raise TimeLimitExceeded(f"took longer than JOB_TIMEOUT_SECONDS={seconds:g}") from None
        raise
    finally:
        _LIMIT.reset(token)


@contextlib.contextmanager
def not_counted() -> Iterator[None]:
    """Time that the limit of the job running (if any) does not count: it cannot run out
    meanwhile, and what was left of it is left after."""
    limit = _LIMIT.get()
    if limit is None or limit.expired() or (deadline := limit.when()) is None:
        yield
        return
    loop = asyncio.get_running_loop()
    left = deadline - loop.time()
    limit.reschedule(None)
    try:
        yield
    finally:
        if not limit.expired():
            limit.reschedule(loop.time() + left)


@contextlib.asynccontextmanager
async def holding(lock: asyncio.Lock) -> AsyncIterator[None]:
    """`lock` held; waiting for it (while another job holds it) is not counted."""
    with not_counted():
        await lock.acquire()
    try:
        yield
    finally:
        lock.release()
