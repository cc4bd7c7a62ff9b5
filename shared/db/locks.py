"""Advisory locks that order work across sessions without blocking readers (their keys here,
in one place, so that they never collide)."""

import asyncpg

MIGRATIONS = 0x5704E0  # concurrent `migrate` runs queue up
SEAL = 0x5704E1  # ingests take their rank and commit in turn
HOUSEKEEPING = 0x5704E3  # one housekeeping pass at a time, over all hosts
SNAPSHOTS = 0x5704E4  # recording a report (shared) / dropping old snapshots (exclusive)
FOLLOWUPS = 0x5704E5  # one worker at a time queues the work that follows an ingest
PRESENT = 0x5704E6 << 20  # + block: one evaluation of a block's present state at a time
FIGURES = 0x5704E7  # with a block: one figures job of that block at a time


async def snapshots_pinned(conn: asyncpg.Connection) -> None:
    """Held while a report is recorded with its snapshots (until the transaction ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", SNAPSHOTS)


async def snapshots_dropping(conn: asyncpg.Connection) -> None:
    """Held while old snapshots are dropped: reports being recorded are committed first."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", SNAPSHOTS)


async def try_followups(conn: asyncpg.Connection) -> bool:
    """Take the follow-ups' turn until the transaction ends; False when another worker has it."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", FOLLOWUPS))


async def present_block(conn: asyncpg.Connection, block: int) -> None:
    """Held while a block's present state is evaluated (until the transaction ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", PRESENT + block)
