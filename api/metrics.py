"""`GET /metrics` in the Prometheus text format.

Report and ingest figures come from PostgreSQL at scrape time, so they are global (every API
replica reports the same values: aggregate them with max, not sum) and survive restarts; the
job queue's depth comes from RabbitMQ. Each worker also serves its own process metrics (see
worker/metrics.py).
"""

from collections.abc import Iterator, Sequence

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from api.database import read
from api.keys import BROKER
from shared.db import housekeeping, ingests, reports, shards
from shared.metrics import REPORT_BUCKETS, SHARD_BUCKETS

routes = web.RouteTableDef()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _histogram(
    name: str, doc: str, buckets: Sequence[float], row: Sequence[float]
) -> HistogramMetricFamily:
    *cumulative, total, total_seconds = row
    pairs = [(str(b), float(c)) for b, c in zip(buckets, cumulative, strict=True)]
    return HistogramMetricFamily(
        name, doc, buckets=[*pairs, ("+Inf", float(total))], sum_value=float(total_seconds)
    )


def _actions(upkeep: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(
        "storemon_housekeeping_actions", "What housekeeping passes did.", labels=["action"]
    )
    for action, count in sorted(upkeep.items()):
        if action != "passes":
            family.add_metric([action], count)
    return family


class _Snapshot(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


async def _figures(
    conn: asyncpg.Connection,
) -> tuple[dict[str, int], int, list[float], list[float], dict[str, int]]:
    return (
        await reports.counts(conn),
        await ingests.polls_ingested(conn),
        await reports.duration_histogram(conn),
        await shards.duration_histogram(conn),
        await housekeeping.counts(conn),
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    counts, polls, report_seconds, shard_seconds, upkeep = await read(request, _figures)
    found: list[Metric] = [
        CounterMetricFamily(
            "storemon_reports_triggered", "Reports requested.", value=counts["triggered"]
        ),
        CounterMetricFamily(
            "storemon_reports_completed", "Reports completed.", value=counts["done"]
        ),
        CounterMetricFamily("storemon_reports_failed", "Reports failed.", value=counts["failed"]),
        CounterMetricFamily(
            "storemon_reports_cancelled", "Reports cancelled.", value=counts["cancelled"]
        ),
        CounterMetricFamily(
            "storemon_reports_expired", "Reports expired by retention.", value=counts["expired"]
        ),
        CounterMetricFamily(
            "storemon_housekeeping_passes", "Housekeeping passes.", value=upkeep.get("passes", 0)
        ),
        _actions(upkeep),
        CounterMetricFamily("storemon_polls_ingested", "Poll rows ingested.", value=polls),
        _histogram(
            "storemon_report_duration_seconds",
            "Seconds from trigger to Complete.",
            REPORT_BUCKETS,
            report_seconds,
        ),
        _histogram(
            "storemon_shard_duration_seconds",
            "Seconds a worker took for a report shard.",
            SHARD_BUCKETS,
            shard_seconds,
        ),
    ]
    depth = await request.app[BROKER].queue_depth()
    if depth is not None:  # omitted while the broker is unreachable
        found.append(
            GaugeMetricFamily(
                "storemon_job_queue_messages", "Jobs waiting in storemon.jobs.", value=depth
            )
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(found))
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})
