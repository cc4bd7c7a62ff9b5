"""A worker's own metrics, served on WORKER_METRICS_PORT when set (one port per process).

Report-level figures are global and come from the API's /metrics; these say what this
process did.
"""

from prometheus_client import Counter, Histogram, start_http_server

from shared.metrics import SHARD_BUCKETS

JOBS = Counter(
    "storemon_worker_jobs", "Jobs this worker handled.", ["kind", "outcome"]
)  # kind: plan, shard (unknown: not a job); outcome: see worker/delivery.py
SHARD_SECONDS = Histogram(
    "storemon_worker_shard_duration_seconds",
    "Seconds this worker spent on a report shard.",
    buckets=SHARD_BUCKETS,
)


def serve(port: int | None) -> None:
    """Expose this process's metrics over HTTP on `port` (nothing when None)."""
    if port is not None:
        start_http_server(port)
