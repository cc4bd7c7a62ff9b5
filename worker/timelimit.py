"""The time limit of a job (JOB_TIMEOUT_SECONDS): past it the job is cancelled, which stops its
computing child for real (worker/child.py kills it), and the attempt counts as failed."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class TimeLimitExceeded(Exception):
    """The job ran past its time limit and was stopped."""


async def time_limited(seconds: float, work: Awaitable[T]) -> T:
    """`work`, stopped after `seconds` with TimeLimitExceeded."""
    limit = asyncio.timeout(seconds)
    try:
        async with limit:
            return await work
    except TimeoutError:
        if limit.expired():
            raise TimeLimitExceeded(f"took longer than JOB_TIMEOUT_SECONDS={seconds:g}") from None
        raise
