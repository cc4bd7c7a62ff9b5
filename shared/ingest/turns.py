"""Files of one command ingested side by side, each on its own connection and in its own
transaction, with the outcome of ingesting them one after the other in the order given: a file
records its ingest (taking the next ingest id) and commits only after the file before it has
done so, and once one fails, those after it give up and roll back, as if never started."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class GaveUp(Exception):
    """A file before this one failed: this one is not stored."""


class Turn:
    """A file's place in line; `Turn()` alone waits for nothing."""

    def __init__(self, before: "Turn | None" = None) -> None:
        self._before = before
        loop = asyncio.get_running_loop()
        self._recorded: asyncio.Future[bool] = loop.create_future()
        self._stored: asyncio.Future[bool] = loop.create_future()

    async def record(self, new: Callable[[], Awaitable[T]]) -> T:
        """`new()` (which records the ingest) once the file before has recorded its own."""
        if self._before is not None:
            await _succeeded(self._before._recorded)
        recorded = await new()
        _settle(self._recorded, True)
        return recorded

    async def commit(self) -> None:
        """Wait, just before committing, until the file before is stored."""
        if self._before is not None:
            await _succeeded(self._before._stored)

    def hold(self, say: Callable[[str], None]) -> Callable[[str], None]:
        """`say`, its messages held until the files before are stored (dropped if one
        fails), so that the output reads as if the files were ingested one after another."""
        before = self._before
        if before is None:
            return say
        held: list[str] = []

        def flush(stored: asyncio.Future[bool]) -> None:
            if stored.result():
                for message in held:
                    say(message)
            held.clear()

        def held_say(message: str) -> None:
            if before._stored.done():
                if before._stored.result():
                    say(message)
            else:
                held.append(message)

        before._stored.add_done_callback(flush)
        return held_say

    def _end(self, stored: bool) -> None:
        _settle(self._recorded, stored)
        _settle(self._stored, stored)


async def in_turn(files: Sequence[Callable[[Turn], Awaitable[None]]]) -> None:
    """Run each file's ingest with its turn, side by side. When one fails, its error is raised
    once the files before it are stored and those after it have stopped."""
    tasks, turn = [], None
    for ingest in files:
        turn = Turn(turn)
        tasks.append(asyncio.create_task(_run(ingest, turn)))
    try:
        for task in tasks:  # in order: the first failure is the one a user would have seen
            await task
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _run(ingest: Callable[[Turn], Awaitable[None]], turn: Turn) -> None:
    try:
        await ingest(turn)
    except BaseException:
        turn._end(False)
        raise
    turn._end(True)


async def _succeeded(step: asyncio.Future[bool]) -> None:
    if not await asyncio.shield(step):
        raise GaveUp


def _settle(step: asyncio.Future[bool], done: bool) -> None:
    if not step.done():
        step.set_result(done)
