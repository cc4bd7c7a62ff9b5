"""The worker's computing child (worker/child.py): calls run in another process, a cancelled
call kills it and removes what it was writing, and the next call gets a new one."""

import asyncio
import os
import platform
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from shared.csvfile import AtomicFile
from worker import compute
from worker.child import Child, ChildDied
from worker.timelimit import TimeLimitExceeded, time_limited


def pid_and_sum(numbers: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def write_then_spin(target: Path, seconds: float) -> None:
    """Start writing `target` (a temporary file appears), then spin: killed, it never ends."""
    with AtomicFile(target) as f:
        f.write(b"half of it")
        compute.burn(seconds)
        f.commit()


def faults_of_a_fresh_array(megabytes: int) -> int:
    """The page faults of filling a new array of that size (then freed)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(megabytes << 20, np.uint8)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def fail(text: str) -> None:
    raise ValueError(text)


def die() -> None:
    os._exit(3)


@pytest.fixture
async def child() -> AsyncIterator[Child]:
    started = Child()
    yield started
    started.close()


async def test_a_call_runs_in_the_child_and_the_child_is_reused(child: Child) -> None:
    first = await child.call(pid_and_sum, [1, 2, 3])
    second = await child.call(pid_and_sum, [4])
    assert first[1] == 6 and second[1] == 4
    assert first[0] == second[0] == child.pid != os.getpid()
    assert child.started == 1


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="not glibc")
async def test_the_child_keeps_the_memory_a_job_freed_for_the_next(child: Child) -> None:
    """A job's pages are not faulted in again by the next (glibc would unmap a block this
    large when freed: 12,800 faults for 50 MB)."""
    await child.call(faults_of_a_fresh_array, 50)
    assert await child.call(faults_of_a_fresh_array, 50) < 100


async def test_an_error_in_the_child_is_raised_in_the_parent(child: Child) -> None:
    with pytest.raises(ValueError, match="no good"):
        await child.call(fail, "no good")
    assert (await child.call(pid_and_sum, [1]))[1] == 1  # the same child goes on


async def test_a_cancelled_call_kills_the_child_and_removes_its_temporary_files(
    child: Child, tmp_path: Path
) -> None:
    await child.call(pid_and_sum, [])  # started, NumPy imported
    first = child.pid
    assert first is not None
    target = tmp_path / "out.csv"
    loop_gaps: list[float] = []

    async def ticking() -> None:  # the event loop stays free while the child spins
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            loop_gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(ticking())
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.5):
            await child.call(write_then_spin, target, 60.0, writes_in=[tmp_path])
    stopped = time.monotonic() - began
    ticker.cancel()
    assert stopped < 3  # killed at the limit, not after the 60 s of spinning
    assert max(loop_gaps) < 0.5
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # gone (and reaped)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary name
    assert (await child.call(pid_and_sum, [2]))[0] not in (first, os.getpid())
    assert child.started == 2


async def test_a_child_that_dies_is_a_failed_call_and_is_replaced(child: Child) -> None:
    with pytest.raises(ChildDied):
        await child.call(die)
    assert (await child.call(pid_and_sum, [5]))[1] == 5
    assert child.started == 2


async def test_the_time_limit_stops_a_computing_job_and_names_itself(child: Child) -> None:
    await child.call(pid_and_sum, [])
    first = child.pid
    with pytest.raises(TimeLimitExceeded, match=r"JOB_TIMEOUT_SECONDS=0\.5"):
        await time_limited(0.5, child.call(compute.burn, 30.0))
    assert child.pid is None and child.started == 1  # killed; the next call starts another

    async def times_out_itself() -> None:
        raise TimeoutError("the job's own")

    with pytest.raises(TimeoutError, match="the job's own"):  # not the limit's: kept as it is
        await time_limited(5, times_out_itself())
    assert first is not None


async def test_waiting_for_the_child_behind_another_job_is_not_counted(child: Child) -> None:
    """A job (limit 1 s) whose call waits 1.5 s for another job's call (no limit) to leave the
    child: its limit counts its own time only; past it, on its own, it is stopped."""
    await child.call(pid_and_sum, [])
    other = asyncio.create_task(child.call(compute.burn, 1.5))
    await asyncio.sleep(0.1)  # the other call is in the child
    assert (await time_limited(1, child.call(pid_and_sum, [2, 3])))[1] == 5
    await other
    started = asyncio.get_running_loop().time()

    async def waits_then_computes() -> None:
        await asyncio.sleep(0.6)  # counted: not a wait for the child
        await child.call(compute.burn, 30.0)

    with pytest.raises(TimeLimitExceeded):
        await time_limited(1, waits_then_computes())
    assert asyncio.get_running_loop().time() - started < 2
