"""The HTTP endpoints of the spec: trigger a report (idempotently with an Idempotency-Key),
follow it, download it, cancel it; and the paged list of reports the dashboard polls."""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from api import views
from api.database import read, write
from api.errors import json_response
from api.keys import BROKER, SETTINGS
from shared import cursors, reportfiles
from shared.csvfile import report_path
from shared.db import idempotency, reports
from shared.errors import BadInput, Conflict, Unavailable
from shared.logs import REPORT_ID
from shared.messages import Job
from shared.reportids import is_report_id
from shared.requests import ReportRequest, parse_request

routes = web.RouteTableDef()
RETRY_AFTER = "1"  # seconds a client waits before asking after a Running report again
_KEY = re.compile(r"[\x20-\x7e]{1,255}")  # an Idempotency-Key: printable ASCII


@routes.post("/trigger_report")
@routes.get("/trigger_report", allow_head=False)  # HEAD must not create a report
async def trigger_report(request: web.Request) -> web.Response:
    asked = parse_request(await _parameters(request))
    key = _idempotency_key(request)
    if not request.app[BROKER].ready:  # refuse before recording anything
        raise Unavailable("message broker unavailable: no report was created")
    report, new = await write(request, lambda conn: _record(conn, asked, key))
    report_id = report.id
    REPORT_ID.set(report_id)
    if not new:  # the same key and request again: the first report, nothing created
        return _status_response(report, 200)
    try:
        await request.app[BROKER].publish(Job(report_id))
    except Unavailable as e:
        # Not queued means never computed: say so now rather than leave it Running forever;
        # a retry with the same key makes a new report.
        error = f"job could not be queued: {e}"
        await write(request, lambda conn: _not_queued(conn, report_id, error, key))
        raise Unavailable(f"{e}; report {report_id} not queued") from e
    response = json_response(views.accepted_json(report), 202)
    response.headers["Location"] = f"/get_report/{report_id}"
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def _idempotency_key(request: web.Request) -> str | None:
    values = request.headers.getall("Idempotency-Key", [])
    if not values:
        return None
    if len(values) > 1 or not _KEY.fullmatch(values[0]):
        raise BadInput("Idempotency-Key must be one value of 1 to 255 printable ASCII characters")
    return str(values[0])


async def _record(
    conn: asyncpg.Connection, asked: ReportRequest, key: str | None
) -> tuple[reports.Report, bool]:
    """The report of a trigger, and whether it is new: with a key already used for the same
    request within 24 hours, the first report (a key used for another request: Conflict)."""
    async with conn.transaction():
        if key is not None and not await idempotency.claim(conn, key, asked.canonical()):
            held = await idempotency.held(conn, key)
            if held is None or held[0] != asked.canonical():
                raise Conflict(f"Idempotency-Key {key!r} was used for another request")
            first = await reports.get(conn, held[1])
            assert first is not None
            return first, False
        report = await reports.create(conn, asked)
        if key is not None:
            await idempotency.attach(conn, key, report.id)
        return report, True


async def _not_queued(
    conn: asyncpg.Connection, report_id: str, error: str, key: str | None
) -> None:
    await reports.fail(conn, report_id, error)
    if key is not None:
        await idempotency.forget(conn, key)


async def _parameters(request: web.Request) -> dict[str, Any]:
    """The query's parameters, and a JSON body's members over them."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        raw = await request.read()
        if raw.strip():
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise BadInput("request body is not JSON") from None
            if not isinstance(body, dict):
                raise BadInput('request body must be a JSON object like {"as_of": "…"}')
            params.update(body)
    return params


@routes.get("/get_report")
@routes.get("/get_report/{report_id:.*}")
async def get_report(request: web.Request) -> web.StreamResponse:
    report_id = request.match_info.get("report_id", request.query.get("report_id", ""))
    report = await find_report(request, report_id)
    if report is None:
        return not_found(report_id)
    if request.query.get("format") == "csv" or "text/csv" in request.headers.get("Accept", ""):
        return _csv_or_status(request, report)
    return _status_response(report, 200)


def _status_response(report: reports.Report, status: int) -> web.Response:
    """The report's status JSON; a Running one says when to ask again."""
    response = json_response(views.status_json(report), status)
    if report.status == "Running":
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def _csv_or_status(request: web.Request, report: reports.Report) -> web.StreamResponse:
    """The CSV of a Complete report; the status JSON of another: 202 while it is Running,
    410 once Expired (its file is gone), 409 otherwise (Failed, Cancelled)."""
    if report.status == "Complete":
        return _csv_file(request, report.id)
    return _status_response(report, {"Running": 202, "Expired": 410}.get(report.status, 409))


@routes.post("/reports/{report_id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    """Cancel a Running report: Cancelled at once (202); no CSV ever appears, workers drop its
    remaining shards. Cancelled already: 200; finished otherwise: 409."""
    report_id = request.match_info["report_id"]
    if not is_report_id(report_id):
        return not_found(report_id)
    REPORT_ID.set(report_id)
    cancelled = await write(request, lambda conn: reports.cancel(conn, report_id))
    report = await find_report(request, report_id)
    if report is None:
        return not_found(report_id)
    if cancelled:
        # A CSV an assembly left behind, crashing before it could mark the report Complete
        # (parts are the workers' and housekeeping's to remove: one may be writing one).
        reportfiles.remove(request.app[SETTINGS].reports_dir, report_id, ("csv", "rows"))
        return _status_response(report, 202)
    return _status_response(report, 200 if report.status == "Cancelled" else 409)


@routes.get("/reports/{filename:.*}")
async def report_file(request: web.Request) -> web.StreamResponse:
    report_id = request.match_info["filename"].removesuffix(".csv")
    if not request.match_info["filename"].endswith(".csv"):
        return not_found(report_id)
    report = await find_report(request, report_id)
    if report is None:
        return not_found(report_id)
    return _csv_or_status(request, report)


async def find_report(request: web.Request, report_id: str) -> reports.Report | None:
    if not is_report_id(report_id):
        return None
    REPORT_ID.set(report_id)
    return await read(request, lambda conn: reports.get(conn, report_id))


def not_found(report_id: str) -> web.Response:
    return json_response({"report_id": report_id, "status": "Not Found"}, 404)


def _csv_file(request: web.Request, report_id: str) -> web.StreamResponse:
    path = report_path(request.app[SETTINGS].reports_dir, report_id)
    if not path.is_file():
        return not_found(report_id)
    response = web.FileResponse(path)
    response.content_type = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{report_id}.csv"'
    return response


DEFAULT_LIMIT = 20
MAX_LIMIT = 200
_LIMIT = re.compile(r"[0-9]{1,6}")


def parse_limit(values: list[str], default: int = DEFAULT_LIMIT, most: int = MAX_LIMIT) -> int:
    """A `limit` query parameter: absent = `default`; otherwise one integer from 1 to `most`."""
    if not values:
        return default
    if len(values) > 1:
        raise BadInput("limit must be given once")
    if not _LIMIT.fullmatch(values[0]) or not 1 <= int(values[0]) <= most:
        raise BadInput(f"limit must be an integer from 1 to {most}")
    return int(values[0])


def one_value(request: web.Request, name: str) -> str | None:
    """A query parameter given at most once (BadInput when repeated)."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise BadInput(f"{name} must be given once")
    return str(values[0]) if values else None


@routes.get("/api/reports")
async def list_reports(request: web.Request) -> web.Response:
    """Reports newest first, each as `GET /get_report` shows it, a page at a time: `status`
    (one of the statuses) filters them, `cursor` goes on where the last page ended."""
    limit = parse_limit(request.query.getall("limit", []))
    statuses = request.query.getall("status", [])
    if len(statuses) > 1 or (statuses and statuses[0] not in reports.STATUSES):
        raise BadInput(f"status must be one of {', '.join(reports.STATUSES)}")
    status = statuses[0] if statuses else None
    cursor = request.query.getall("cursor", [])
    if len(cursor) > 1:
        raise BadInput("cursor must be given once")
    before = _list_position(cursor[0], status) if cursor and cursor[0] else None
    rows = await read(request, lambda conn: reports.listing(conn, limit + 1, status, before))
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return json_response(
        {
            "reports": [views.status_json(row) for row in rows[:limit]],
            "next_cursor": None if last is None else _list_cursor(last, status),
        }
    )


_LIST_FIELDS: dict[str, cursors.Types] = {"t": str, "i": str, "s": (str, type(None))}


def _list_cursor(last: reports.Report, status: str | None) -> str:
    at = last.requested_at.isoformat()
    return cursors.encode("reports", {"t": at, "i": last.id, "s": status})


def _list_position(cursor: str, status: str | None) -> tuple[datetime, uuid.UUID]:
    data = cursors.decode(cursor, "reports", _LIST_FIELDS)
    if data["s"] != status:
        raise BadInput("cursor belongs to another status filter: ask again without it")
    try:
        at, report_id = datetime.fromisoformat(data["t"]), uuid.UUID(data["i"])
        if at.tzinfo is None:
            raise ValueError("a naive instant")
        return at.astimezone(UTC), report_id
    except (ValueError, OverflowError):
        raise BadInput(cursors.NOT_OURS) from None
