"""Packed polls on the real PostgreSQL: the later stored poll wins an instant across chunks,
compaction merges a block's day into one chunk (through the queue, on the workers), loses
nothing when killed halfway, never blocks a report and never changes what one reads; and
migration 002 moves the polls of the old one-row-per-poll table."""

import asyncio
import contextlib
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import aio_pika
import asyncpg
import numpy as np
import pytest

from shared.db import polls, schema
from shared.ingest import ingest_polls
from shared.instants import US_PER_DAY, day_number
from shared.messages import Compaction, declare_queues, publish_job
from shared.pollchunks import Chunk, encode
from shared.uptime.polls import Polls
from tests.sample import AS_OF, HEADER, Client, load_sample, wait_until_finished
from tests.services import HOLDER, holding_shards, logged, until, until_waiting
from tests.test_ingest import polls_of, write

DAY = date(2023, 1, 22)
NOON = "2023-01-22 12:00:00 UTC"
POLLS = "store_id,status,timestamp_utc\n"
# The sample (tests/sample.py) with s2's 12:00 poll sent again, active, by a later file: s2 is
# then up all the time (24x7, active at 11:00 and 12:00); s1 is as in the sample.
RESENT = POLLS + "s2,active,2023-01-23 12:00:00 UTC\n"
EXPECTED_RESENT = (
    HEADER + "\ns1,0.00,1.74,1.74,30.00,1.26,1.26\ns2,60.00,24.00,168.00,0.00,0.00,0.00\n"
)


def shown(stored: list[tuple[str, datetime, bool]]) -> list[tuple[str, str, bool]]:
    return [(s, f"{t:%d %H:%M}", a) for s, t, a in stored]


async def chunk_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM poll_chunks"))


async def test_a_later_file_wins_across_chunks_and_compaction_keeps_it(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await ingest_polls(conn, write(tmp_path, "a.csv", f"{POLLS}s,active,{NOON}\nt,active,{NOON}\n"))
    b = f"{POLLS}s,inactive,{NOON}\ns,active,2023-01-22 13:00Z\n"
    await ingest_polls(conn, write(tmp_path, "b.csv", b))
    before = await polls_of(conn)
    assert shown(before) == [
        ("s", "22 12:00", False),
        ("s", "22 13:00", True),
        ("t", "22 12:00", True),
    ]
    assert await chunk_count(conn) == 2 and await polls.fragmented(conn) == [(0, DAY)]
    newest = await conn.fetchval("SELECT max(rank) FROM poll_chunks")
    assert await polls.compact(conn, 0, DAY) == 2
    assert await chunk_count(conn) == 1 and await polls.fragmented(conn) == []
    assert await conn.fetchval("SELECT rank FROM poll_chunks") == newest
    assert await polls_of(conn) == before
    assert await polls.compact(conn, 0, DAY) == 0  # idempotent: nothing left to merge

    # Late polls for the compacted day, one an instant sent again: the later file wins.
    c = f"{POLLS}t,inactive,{NOON}\nt,active,2023-01-22 09:00Z\n"
    await ingest_polls(conn, write(tmp_path, "c.csv", c))
    after = shown(await polls_of(conn))
    assert after[2:] == [("t", "22 09:00", True), ("t", "22 12:00", False)]
    assert await polls.compact(conn, 0, DAY) == 2
    assert shown(await polls_of(conn)) == after


async def _chunks(*chunks: Chunk) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk


def _one_poll(active: bool) -> Chunk:
    """Store key 1 at midnight of DAY."""
    at = day_number(DAY) * US_PER_DAY
    return encode(day_number(DAY), 0, Polls(np.array([1]), np.array([at]), np.array([active])))


async def test_the_ingest_stored_last_wins_whatever_order_they_began(
    conn: asyncpg.Connection, database_url: str
) -> None:
    """Ranks are taken as ingests commit: of two ingests holding one instant, the one that
    began first but was stored last wins, before and after compaction."""
    await conn.execute("INSERT INTO stores (store_id) VALUES ('s')")
    other = await asyncpg.connect(database_url)
    try:
        first, second = conn.transaction(), other.transaction()
        await first.start()
        await second.start()
        add = "INSERT INTO ingests (kind, source) VALUES ('polls', $1) RETURNING id"
        first_id = await conn.fetchval(add, "first")
        second_id = await other.fetchval(add, "second")
        assert first_id < second_id
        await polls.append(conn, first_id, 0, _chunks(_one_poll(True)))
        await polls.append(other, second_id, 0, _chunks(_one_poll(False)))
        await polls.seal(other, second_id)
        await second.commit()
        await polls.seal(conn, first_id)
        await first.commit()
    finally:
        await other.close()
    assert [active for *_, active in await polls_of(conn)] == [True]
    assert await polls.compact(conn, 0, DAY) == 2
    assert [active for *_, active in await polls_of(conn)] == [True]


@contextlib.asynccontextmanager
async def locking_a_chunk(database_url: str, day: date) -> AsyncIterator[None]:
    """A chunk of `day` locked FOR UPDATE by another session until the block ends (a
    compaction then waits to delete it, its transaction open)."""
    holder = await asyncpg.connect(database_url, server_settings={"application_name": HOLDER})
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM poll_chunks WHERE day = $1 LIMIT 1 FOR UPDATE", day)
            yield
    finally:
        await holder.close()


async def publish(amqp_url: str, job: Compaction) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_queues(channel)
        await publish_job(channel, job)


@pytest.mark.usefixtures("purge_queue")
async def test_compaction_runs_on_the_workers_and_a_kill_halfway_loses_nothing(
    conn: asyncpg.Connection,
    database_url: str,
    amqp_url: str,
    tmp_path: Path,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    await load_sample(conn, tmp_path)
    await ingest_polls(conn, write(tmp_path, "again.csv", RESENT))
    block_day = (0, date(2023, 1, 23))
    assert block_day in await polls.fragmented(conn)
    before, chunks = await polls_of(conn), await chunk_count(conn)

    # Halfway: the merged chunk written, the old ones being deleted; one of them is locked.
    async with locking_a_chunk(database_url, block_day[1]):
        doomed = workers()
        await publish(amqp_url, Compaction(*block_day))
        await until_waiting(conn)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    assert await chunk_count(conn) == chunks and await polls_of(conn) == before

    workers()  # the job comes back to a healthy worker

    async def compacted() -> bool:
        return block_day not in await polls.fragmented(conn)

    async def reported() -> bool:  # the worker logs just after its commit
        return logged(tmp_path / "worker-1.log", f"block 0 on {block_day[1]}: 2 chunks merged")

    await until(compacted, "the day compacted")
    assert await polls_of(conn) == before
    await until(reported, "the compaction logged by the second worker")


@pytest.mark.usefixtures("purge_queue")
async def test_housekeeping_queues_the_compactions(
    conn: asyncpg.Connection, tmp_path: Path, workers: Callable[..., subprocess.Popen[bytes]]
) -> None:
    await load_sample(conn, tmp_path)
    await ingest_polls(conn, write(tmp_path, "again.csv", RESENT))
    before = await polls_of(conn)
    workers(HOUSEKEEPING_SECONDS="0.2")

    async def compacted() -> bool:
        return await polls.fragmented(conn) == []

    await until(compacted, "housekeeping to have the days compacted")
    assert await polls_of(conn) == before


@pytest.mark.usefixtures("purge_queue")
async def test_a_report_reads_one_snapshot_and_is_never_blocked_by_compaction(
    client: Client,
    conn: asyncpg.Connection,
    database_url: str,
    tmp_path: Path,
    workers: Callable[..., subprocess.Popen[bytes]],
) -> None:
    await load_sample(conn, tmp_path)
    await ingest_polls(conn, write(tmp_path, "again.csv", RESENT))
    async with holding_shards(database_url) as hold:
        workers(STOREMON_SHARD_STORES="4096")
        response = await client.post("/trigger_report", json={"as_of": AS_OF})
        during = (await response.json())["report_id"]
        await until_waiting(conn)  # the shard took its snapshot, then waits for the hours
        merged = [
            await polls.compact(conn, block, day) for block, day in await polls.fragmented(conn)
        ]
        assert sum(merged) > 0
        await hold.release()
    done = await wait_until_finished(client, during)
    assert await (await client.get(done["csv_url"])).text() == EXPECTED_RESENT

    # A compaction that holds its transaction open (it waits for a row lock) blocks no report.
    await ingest_polls(conn, write(tmp_path, "once_more.csv", RESENT))
    compactor = await asyncpg.connect(database_url)
    try:
        async with locking_a_chunk(database_url, date(2023, 1, 23)):
            stuck = asyncio.create_task(_compact_all(compactor))
            await until_waiting(conn)
            response = await client.post("/trigger_report", json={"as_of": AS_OF})
            after = await wait_until_finished(client, (await response.json())["report_id"])
            assert await (await client.get(after["csv_url"])).text() == EXPECTED_RESENT
            assert not stuck.done()
        await stuck
    finally:
        await compactor.close()


async def _compact_all(conn: asyncpg.Connection) -> None:
    for block, day in await polls.fragmented(conn):
        await polls.compact(conn, block, day)


async def test_migration_002_moves_the_stored_polls(database_url: str) -> None:
    url = database_url.rsplit("/", 1)[0] + f"/storemon_migrate_{uuid.uuid4().hex[:8]}"
    try:
        await schema.migrate(url, up_to=1)
        old = await asyncpg.connect(url)
        try:
            await old.execute(
                "CREATE TABLE polls_20230122 PARTITION OF polls "
                "FOR VALUES FROM ('2023-01-22 00:00Z') TO ('2023-01-23 00:00Z');"
                "CREATE TABLE polls_20230123 PARTITION OF polls "
                "FOR VALUES FROM ('2023-01-23 00:00Z') TO ('2023-01-24 00:00Z');"
                "INSERT INTO stores (store_id) SELECT 's' || n FROM generate_series(1, 5000) n;"
                "INSERT INTO ingests (kind, source) VALUES ('polls', 'a'), ('polls', 'b')"
            )
            one, two = 1 << 32, 2 << 32  # seq: ingest << 32 | line
            await old.executemany(
                "INSERT INTO polls (store, ts, active, seq) VALUES ($1, $2, $3, $4)",
                [
                    (1, datetime(2023, 1, 22, 12, tzinfo=UTC), True, one + 2),
                    (1, datetime(2023, 1, 22, 12, tzinfo=UTC), False, two + 2),  # wins
                    (1, datetime(2023, 1, 23, 1, tzinfo=UTC), True, one + 3),
                    (4100, datetime(2023, 1, 22, 8, tzinfo=UTC), False, two + 5),  # block 1
                    (4100, datetime(2023, 1, 22, 8, tzinfo=UTC), True, one + 5),
                ],
            )
        finally:
            await old.close()
        assert (await schema.migrate(url))[0] == "002_poll_chunks"
        new = await asyncpg.connect(url)
        try:
            assert shown(await polls_of(new)) == [
                ("s1", "22 12:00", False),
                ("s1", "23 01:00", True),
                ("s4100", "22 08:00", False),
            ]
            chunks = await new.fetch("SELECT block, day, polls FROM poll_chunks ORDER BY 1, 2")
            assert [tuple(r) for r in chunks] == [
                (0, date(2023, 1, 22), 1),
                (0, date(2023, 1, 23), 1),
                (1, date(2023, 1, 22), 1),
            ]
            assert await new.fetchval("SELECT to_regclass('polls')") is None
            # Ingests after the move outrank the moved polls.
            assert await new.fetchval("SELECT nextval('poll_chunk_ranks')") == 3
        finally:
            await new.close()
    finally:
        await schema.drop_database(url)


async def test_migration_002_writes_the_chunks_of_version_2_byte_for_byte(
    database_url: str,
) -> None:
    """The chunks as laid out when migration 002 was written (computed by hand here, not by
    shared/pollchunks.py, whose layout may change later): the migration's own copy of the
    layout must keep writing exactly these."""
    url = database_url.rsplit("/", 1)[0] + f"/storemon_migrate_{uuid.uuid4().hex[:8]}"
    one, two = 1 << 32, 2 << 32  # seq: ingest << 32 | line
    at = {h: datetime(2023, 1, 22, h, tzinfo=UTC) for h in (6, 8, 12)}
    try:
        await schema.migrate(url, up_to=1)
        old = await asyncpg.connect(url)
        try:
            await old.execute(
                "CREATE TABLE polls_20230122 PARTITION OF polls "
                "FOR VALUES FROM ('2023-01-22 00:00Z') TO ('2023-01-23 00:00Z');"
                "INSERT INTO stores (store_id) SELECT 's' || n FROM generate_series(1, 5000) n;"
                "INSERT INTO ingests (kind, source) VALUES ('polls', 'a'), ('polls', 'b')"
            )
            await old.executemany(
                "INSERT INTO polls (store, ts, active, seq) VALUES ($1, $2, $3, $4)",
                [
                    (3, at[8], True, one + 1),
                    (1, at[12], True, one + 2),
                    (1, at[12], False, two + 2),  # the later line wins the instant
                    (1, at[6], True, two + 7),
                    (4097, at[8], False, one + 9),  # block 1, store 1 within it
                ],
            )
        finally:
            await old.close()
        await schema.migrate(url)
        new = await asyncpg.connect(url)
        try:
            chunks = await new.fetch(
                "SELECT block, day, ingest, rank, polls, offsets, stores, ts, active "
                "FROM poll_chunks ORDER BY block"
            )
        finally:
            await new.close()
    finally:
        await schema.drop_database(url)

    def us(hour: int) -> bytes:  # big-endian int64 µs since 1970-01-01 UTC
        return int(at[hour].timestamp() * 1_000_000).to_bytes(8, "big", signed=True)

    assert [tuple(c) for c in chunks] == [
        # Block 0: store 1 at 06:00 (up), 12:00 (down), store 3 at 08:00 (up).
        (0, DAY, 2, 2, 3, [0, 0, 2, 2] + [3] * 4093,
         b"\x00\x01\x00\x01\x00\x03", us(6) + us(12) + us(8), b"\x01\x00\x01"),
        (1, DAY, 2, 2, 1, [0, 0] + [1] * 4095, b"\x00\x01", us(8), b"\x00"),
    ]  # fmt: skip
