"""What the API's and the workers' metrics share: histogram bucket bounds, and the counters in
PostgreSQL that /metrics reads (kept by the statements that change what they count, so that a
scrape reads a few rows, never the history)."""

from collections.abc import Sequence

import asyncpg

REPORT_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)  # seconds, trigger → Complete
SHARD_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)  # seconds a worker spends on a shard


def count_outcomes(source: str) -> str:
    """An INSERT (for a WITH clause) adding to report_counts the `outcome` column of each row
    of `source` (a CTE or subquery)."""
    return (
        "INSERT INTO report_counts AS c (outcome, count) "
        f"SELECT outcome, count(*) FROM {source} x WHERE outcome IS NOT NULL GROUP BY outcome "
        "ON CONFLICT (outcome) DO UPDATE SET count = c.count + EXCLUDED.count"
    )


def observe(metric: str, buckets: Sequence[float], source: str) -> str:
    """An INSERT (for a WITH clause) adding the `seconds` column of each row of `source` (NULL
    ones skipped) to the histogram `metric` of duration_counts, one row per bucket."""
    bounds = "{" + ", ".join(str(b) for b in buckets) + "}"
    upper = (
        f"(SELECT coalesce(min(b), 'Infinity') FROM unnest('{bounds}'::float8[]) b"
        " WHERE b >= x.seconds)"
    )
    return (
        "INSERT INTO duration_counts AS d (metric, upper, count, seconds) "
        f"SELECT '{metric}', upper, count(*), sum(seconds) FROM (SELECT x.seconds, {upper} AS"
        f" upper FROM {source} x WHERE x.seconds IS NOT NULL) o GROUP BY upper "
        "ON CONFLICT (metric, upper) DO UPDATE SET count = d.count + EXCLUDED.count,"
        " seconds = d.seconds + EXCLUDED.seconds"
    )


async def histogram(conn: asyncpg.Connection, metric: str, buckets: Sequence[float]) -> list[float]:
    """The histogram `metric` as /metrics shows it: the cumulative count of each bucket, the
    count, the sum of the seconds."""
    rows = await conn.fetch(
        "SELECT upper, count, seconds FROM duration_counts WHERE metric = $1", metric
    )
    cumulative = [float(sum(r["count"] for r in rows if r["upper"] <= b)) for b in buckets]
    return [
        *cumulative,
        float(sum(r["count"] for r in rows)),
        float(sum(r["seconds"] for r in rows)),
    ]
