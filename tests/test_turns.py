"""Files ingested side by side with the outcome of one after the other (shared/ingest/turns.py),
without the database: fake files that take their steps after given delays."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from shared.ingest.turns import Turn, in_turn


class Files:
    """Fake ingests that log their steps; file k records after `record[k]` seconds, commits
    `commit[k]` seconds later, and fails at `fails` (a step name) if given."""

    def __init__(self, record: list[float], commit: list[float], fails: dict[int, str]) -> None:
        self.record, self.commit, self.fails = record, commit, fails
        self.log: list[str] = []
        self.said: list[str] = []

    def ingest(self, k: int) -> Callable[[Turn], Awaitable[None]]:
        async def run(turn: Turn) -> None:
            say = turn.hold(self.said.append)
            say(f"{k} started")
            await asyncio.sleep(self.record[k])
            if self.fails.get(k) == "read":
                raise ValueError(f"file {k} is bad")
            await turn.record(lambda: self._step(f"{k} recorded"))
            await asyncio.sleep(self.commit[k])
            if self.fails.get(k) == "store":
                raise ValueError(f"file {k} could not be stored")
            await turn.commit()
            self.log.append(f"{k} committed")
            say(f"{k} done")

        return run

    async def _step(self, what: str) -> None:
        self.log.append(what)

    async def run(self) -> None:
        await in_turn([self.ingest(k) for k in range(len(self.record))])


async def test_later_files_wait_their_turn_to_record_and_commit() -> None:
    files = Files(record=[0.03, 0.0, 0.0], commit=[0.03, 0.0, 0.0], fails={})
    await files.run()
    assert files.log == [
        "0 recorded",
        "1 recorded",
        "2 recorded",
        "0 committed",
        "1 committed",
        "2 committed",
    ]
    # What a file says is held until the files before it are done: it reads in file order.
    assert files.said == ["0 started", "0 done", "1 started", "1 done", "2 started", "2 done"]


@pytest.mark.parametrize("step", ["read", "store"])
async def test_a_failure_stops_the_files_after_it_and_the_ones_before_are_stored(
    step: str,
) -> None:
    files = Files(record=[0.03, 0.01, 0.0], commit=[0.03, 0.01, 0.0], fails={1: step})
    with pytest.raises(ValueError, match="file 1"):
        await files.run()
    assert "0 committed" in files.log
    assert "1 committed" not in files.log and "2 committed" not in files.log
    if step == "read":  # before its turn to record: file 2's turn never came
        assert "2 recorded" not in files.log
    assert files.said == ["0 started", "0 done", "1 started"]  # file 2's words dropped


async def test_of_two_failures_the_earlier_file_is_reported() -> None:
    """As one after the other: the later file would never have been tried."""
    files = Files(record=[0.03, 0.0], commit=[0.0, 0.0], fails={0: "store", 1: "read"})
    with pytest.raises(ValueError, match="file 0"):
        await files.run()


async def test_a_file_alone_waits_for_nothing() -> None:
    turn = Turn()
    said: list[str] = []
    turn.hold(said.append)("now")
    assert said == ["now"]
    assert await asyncio.wait_for(turn.record(lambda: asyncio.sleep(0, 7)), 1) == 7
    await asyncio.wait_for(turn.commit(), 1)
