"""The HTTP endpoints of the spec: trigger a report, ask for it, download it; and the list of
recent reports that the dashboard (api/dashboard.py) polls, `GET /api/reports?limit=N`."""

import re
from typing import Any

import orjson
from aiohttp import web

from api.database import read, write
from api.errors import json_response
from api.keys import BROKER, SETTINGS
from shared.csvfile import is_report_id, report_path
from shared.db import reports
from shared.errors import BadInput, Unavailable
from shared.logs import REPORT_ID
from shared.messages import Job
from shared.requests import parse_request

routes = web.RouteTableDef()


@routes.post("/trigger_report")
@routes.get("/trigger_report", allow_head=False)  # HEAD must not create a report
async def trigger_report(request: web.Request) -> web.Response:
    asked = parse_request(await _parameters(request))
    if not request.app[BROKER].ready:  # refuse before recording anything
        raise Unavailable("message broker unavailable: no report was created")
    report = await write(request, lambda conn: reports.create(conn, asked))
    report_id = str(report["id"])
    REPORT_ID.set(report_id)
    try:
        await request.app[BROKER].publish(Job(report_id))
    except Unavailable as e:
        # Not queued means never computed: say so now rather than leave it Running forever.
        error = f"job could not be queued: {e}"
        await write(request, lambda conn: reports.fail(conn, report_id, error))
        raise Unavailable(f"{e}; report {report_id} not queued") from e
    return json_response(reports.accepted_json(report), 202)


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
    return json_response(reports.status_json(report))


def _csv_or_status(request: web.Request, report: reports.Report) -> web.StreamResponse:
    """The CSV of a Complete report; the status JSON of another, 202 while it is Running."""
    if report["status"] == "Complete":
        return _csv_file(request, str(report["id"]))
    status = 202 if report["status"] == "Running" else 409
    return json_response(reports.status_json(report), status)


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


@routes.get("/api/reports")
async def list_reports(request: web.Request) -> web.Response:
    """The most recently requested reports, newest first, each as `GET /get_report` shows it."""
    limit = parse_limit(request.query.getall("limit", []))
    rows = await read(request, lambda conn: reports.recent(conn, limit))
    return json_response({"reports": [reports.status_json(row) for row in rows]})
