"""What the API's and the workers' metrics share: histogram bucket bounds, and the SQL that
counts a histogram in PostgreSQL (the API reads report figures from the tables at scrape time)."""

from collections.abc import Sequence

import asyncpg

REPORT_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)  # seconds, trigger → Complete
SHARD_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)  # seconds a worker spends on a shard


async def histogram(
    conn: asyncpg.Connection, seconds: str, buckets: Sequence[float], rows: str
) -> list[float]:
    """The histogram of the SQL expression `seconds` over `rows` (a FROM … WHERE …, given by
    the module of the table): the cumulative count of each bucket, the count, the sum."""
    counts = ", ".join(f"count(*) FILTER (WHERE {seconds} <= {b})" for b in buckets)
    row = await conn.fetchrow(f"SELECT {counts}, count(*), coalesce(sum({seconds}), 0) {rows}")
    assert row is not None
    return [float(v) for v in row.values()]
