"""What the API's and the workers' metrics share: histogram bucket bounds, and the SQL that
counts a histogram in PostgreSQL (the API reads report figures from the tables at scrape time)."""

from collections.abc import Sequence

REPORT_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)  # seconds, trigger → Complete
SHARD_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)  # seconds a worker spends on a shard


def histogram_sql(seconds: str, buckets: Sequence[float]) -> str:
    """Select-list items: the cumulative count of each bucket, the count, the sum of `seconds`."""
    counts = ", ".join(f"count(*) FILTER (WHERE {seconds} <= {b})" for b in buckets)
    return f"{counts}, count(*), coalesce(sum({seconds}), 0)"
