"""Looking inside a Complete report: its summary, its rows a sorted and filtered page at a
time (from the index the worker wrote beside the CSV), and why one store's row is what it is
(recomputed from the report's pinned as_of and snapshots)."""

from datetime import UTC, datetime
from typing import Any

import asyncpg
import numpy as np
from aiohttp import web

from api import views
from api.database import read
from api.errors import json_response
from api.keys import SETTINGS
from api.routes import find_report, not_found, parse_limit
from shared import rowsindex
from shared.csvfile import HEADER, PERIOD_HEADER, report_path
from shared.db import polls, reports, snapshots, stores
from shared.errors import BadInput
from shared.instants import to_us
from shared.pollchunks import span_of
from shared.uptime.explain import Store, explain
from shared.uptime.hours import StoreHours
from shared.uptime.periods import days_read
from shared.uptime.stores import BUCKETS

routes = web.RouteTableDef()
DEFAULT_ROWS = 50


async def _complete(request: web.Request) -> reports.Report | web.Response:
    """The Complete report of the path, or the answer to give instead (404, 409)."""
    report_id = request.match_info["report_id"]
    report = await find_report(request, report_id)
    if report is None:
        return not_found(report_id)
    if report.status != "Complete":
        return json_response(views.status_json(report), 409)
    return report


def _index(request: web.Request, report: reports.Report) -> rowsindex.Index | web.Response:
    report_id = report.id
    reports_dir = request.app[SETTINGS].reports_dir
    directory = rowsindex.index_path(reports_dir, report_id)
    header = HEADER if report.periods is None else PERIOD_HEADER
    if not (directory / "offsets.npy").is_file():
        error = (
            f"report {report_id} has {report.rows:,} rows, more than can be browsed "
            f"({rowsindex.MAX_ROWS:,}): download its CSV"
        )
        return json_response({"error": error}, 409)
    return rowsindex.Index(directory, report_path(reports_dir, report_id), header)


async def _browsable(
    request: web.Request,
) -> tuple[reports.Report, rowsindex.Index] | web.Response:
    """The Complete report of the path and its index, or the answer to give instead."""
    report = await _complete(request)
    if isinstance(report, web.Response):
        return report
    index = _index(request, report)
    if isinstance(index, web.Response):
        return index
    return report, index


@routes.get("/reports/{report_id}/summary")
async def summary(request: web.Request) -> web.Response:
    report = await _complete(request)
    if isinstance(report, web.Response):
        return report
    settings = request.app[SETTINGS]
    directory = rowsindex.index_path(settings.reports_dir, report.id)
    found = rowsindex.Index.summary(directory).answer()
    target = settings.uptime_target_percent
    below = rowsindex.stores_below(directory, target)
    as_of = report.as_of
    return json_response(
        {
            "report_id": report.id,
            **found,
            "latest_poll": report.latest_poll,
            "stale_seconds": None
            if as_of is None
            else round((datetime.now(UTC) - as_of).total_seconds(), 3),
            "target_percent": target,
            "stores_below_target": below,
        }
    )


@routes.get("/reports/{report_id}/rows")
async def rows(request: web.Request) -> web.Response:
    found = await _browsable(request)
    if isinstance(found, web.Response):
        return found
    report, index = found
    query = request.query
    sort, order, q = (_one(query, name, default) for name, default in _ROW_PARAMETERS)
    limit = parse_limit(query.getall("limit", []), DEFAULT_ROWS, rowsindex.MAX_LIMIT)
    page = index.page(sort or index.header[0], order, q, limit, _one(query, "cursor", "") or None)
    return json_response(
        {
            "report_id": report.id,
            "rows_total": page.matching,  # with q, the rows it lets through
            "sort": sort or index.header[0],
            "order": order,
            "q": q,
            "rows": page.rows,
            "next_cursor": page.next_cursor,
        }
    )


_ROW_PARAMETERS = (("sort", ""), ("order", "asc"), ("q", ""))


@routes.get("/reports/{report_id}/stores")
async def ranking(request: web.Request) -> web.Response:
    """The report's stores ranked over the whole report (worst first by default)."""
    found = await _browsable(request)
    if isinstance(found, web.Response):
        return found
    report, index = found
    query = request.query
    sort, order, q, bucket = (
        _one(query, name, default)
        for name, default in (
            ("sort", "uptime_percent"),
            ("order", "asc"),
            ("q", ""),
            ("bucket", ""),
        )
    )
    limit = parse_limit(query.getall("limit", []), DEFAULT_ROWS, rowsindex.MAX_LIMIT)
    page = index.stores_page(
        sort, order, q, _bucket(bucket), limit, _one(query, "cursor", "") or None
    )
    return json_response(
        {
            "report_id": report.id,
            "stores_total": page.matching,  # with q and bucket, the stores they let through
            "sort": sort,
            "order": order,
            "q": q,
            "bucket": bucket or None,
            "stores": page.stores,
            "next_cursor": page.next_cursor,
        }
    )


def _bucket(text: str) -> int | None:
    """A histogram bucket as asked for: 0 … 9, `none` (−1: no business time), or "" (any)."""
    if not text:
        return None
    if text == "none":
        return -1
    if text.isdigit() and int(text) < BUCKETS:
        return int(text)
    raise BadInput(f"bucket must be 0 to {BUCKETS - 1} or none, not {text[:20]!r}")


def _one(query: Any, name: str, default: str) -> str:
    values = query.getall(name, [])
    if len(values) > 1:
        raise BadInput(f"{name} must be given once")
    return str(values[0]) if values else default


@routes.get("/reports/{report_id}/stores/{store_id:.+}")
async def store(request: web.Request) -> web.Response:
    browsable = await _browsable(request)
    if isinstance(browsable, web.Response):
        return browsable
    report, index = browsable
    store_id = request.match_info["store_id"]
    found = index.rows_of(store_id)
    if not found:
        error = f"store {store_id[:80]!r} has no row in report {report.id}"
        return json_response({"error": error, "status": "Not Found"}, 404)
    explained = await read(request, lambda conn: _explain(conn, report, store_id))
    body = {"report_id": report.id, "store_id": store_id, **explained}
    if report.periods is None:
        body["row"] = found[0]
    else:
        body["rows"] = found
    return json_response(body)


async def _explain(
    conn: asyncpg.Connection, report: reports.Report, store_id: str
) -> dict[str, Any]:
    """The store's explanation, from its polls and the report's snapshots, in one snapshot."""
    as_of, periods = report.as_of, report.periods
    assert as_of is not None  # it has a row: there were polls
    first, last = days_read(as_of, periods)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        key = await stores.key(conn, store_id)
        assert key is not None  # it has a row
        meta = await snapshots.store_meta(
            conn, store_id, report.hours_snapshot, report.timezones_snapshot
        )
        days = await polls.read(conn, key, key + 1, first, last)
    mine = span_of(days, np.zeros(1, np.int64), key)
    store = Store(meta.timezone, StoreHours.from_metas([meta]))
    found = explain(to_us(as_of), store, mine, periods)
    return {
        "business_hours": [
            {"day": day, "start": start.isoformat(), "end": end.isoformat()}
            for day, start, end in meta.hours
        ],
        **found,
    }
