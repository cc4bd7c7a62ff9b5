"""The OpenAPI 3.1 document of the HTTP API, built in code and served at `GET /openapi.json`.

Every operation lists each status code it can answer with its exact body schema; there is no
catch-all `default` response. tests/test_openapi.py runs schemathesis against the live API with
this document, so a change to an endpoint that is not reflected here fails the tests.
"""

from importlib.metadata import version
from typing import Any

import orjson
from aiohttp import web

OPENAPI_VERSION = "3.1.0"
REPORT_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
CSV_URL_PATTERN = "^/reports/" + REPORT_ID_PATTERN[1:-1] + "\\.csv$"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema) -> dict[str, Schema]:
    return {"application/json": {"schema": schema}}


def _response(description: str, content: dict[str, Schema], **extra: Any) -> Schema:
    return {"description": description, "content": content, **extra}


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """A closed JSON object: exactly these properties, the required ones always present."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_INSTANT: Schema = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 / RFC 3339 in UTC with a `Z`, e.g. `2023-01-25T18:13:22.388884Z`.",
}
_AS_OF: Schema = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "The report's *now*; null only when it was requested without an as_of "
    "while no poll had been ingested yet.",
}
_REPORT_ID: Schema = {
    "type": "string",
    "pattern": REPORT_ID_PATTERN,
    "description": "A lowercase canonical UUID.",
}


def _report(status: str, **fields: Schema) -> Schema:
    return _object(
        {
            "report_id": _REPORT_ID,
            "status": {"type": "string", "const": status},
            "as_of": _AS_OF,
            "requested_at": _INSTANT,
            **fields,
        }
    )


SCHEMAS: dict[str, Schema] = {
    "TriggerRequest": {
        "type": "object",
        "properties": {
            "as_of": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "ISO 8601 instant; without an offset it is UTC. Absent or null: "
                "the latest ingested poll.",
                "examples": ["2023-01-25T18:13:22Z"],
            }
        },
        "description": "Other members are ignored.",
    },
    "TriggerAccepted": _object(
        {
            "report_id": _REPORT_ID,
            "status": {"type": "string", "const": "Running"},
            "as_of": _AS_OF,
        }
    ),
    "RunningReport": _report(
        "Running",
        progress={"type": "number", "minimum": 0, "maximum": 1},
        shards_total={
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "Shards the report is split into; null until it is planned.",
        },
        shards_done={"type": "integer", "minimum": 0, "description": "Shards finished."},
    ),
    "CompleteReport": _report(
        "Complete",
        finished_at=_INSTANT,
        rows={"type": "integer", "minimum": 0, "description": "Stores in the CSV."},
        csv_url={"type": "string", "pattern": CSV_URL_PATTERN},
    ),
    "FailedReport": _report("Failed", finished_at=_INSTANT, error={"type": "string"}),
    "Report": {
        "oneOf": [_ref("RunningReport"), _ref("CompleteReport"), _ref("FailedReport")],
        "discriminator": {
            "propertyName": "status",
            "mapping": {
                "Running": "#/components/schemas/RunningReport",
                "Complete": "#/components/schemas/CompleteReport",
                "Failed": "#/components/schemas/FailedReport",
            },
        },
    },
    "ReportList": _object(
        {
            "reports": {
                "type": "array",
                "items": _ref("Report"),
                "description": "The most recently requested reports, newest first.",
            }
        }
    ),
    "ReportNotFound": _object(
        {
            "report_id": {"type": "string", "description": "The id as asked, whatever it was."},
            "status": {"type": "string", "const": "Not Found"},
        }
    ),
    "Error": _object({"error": {"type": "string", "description": "What went wrong."}}),
    "PathNotFound": _object(
        {"error": {"type": "string"}, "status": {"type": "string", "const": "Not Found"}}
    ),
    "Health": _object({"status": {"type": "string", "const": "ok"}}),
    "Ready": _object(
        {
            "status": {"type": "string", "const": "ready"},
            "postgres": {"type": "string", "const": "ok"},
            "rabbitmq": {"type": "string", "const": "ok"},
        }
    ),
    "NotReady": _object(
        {
            "status": {"type": "string"},
            "postgres": {"type": "string", "enum": ["ok", "down"]},
            "rabbitmq": {"type": "string", "enum": ["ok", "down"]},
        }
    ),
    "ReportCsv": {
        "type": "string",
        "description": "`store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
        "downtime_last_hour,downtime_last_day,downtime_last_week`, one line per store.",
    },
}

_CONTENT_DISPOSITION: Schema = {
    "description": '`attachment; filename="<report_id>.csv"`',
    "schema": {"type": "string", "pattern": "^attachment"},
}
_CSV = {"text/csv": {"schema": _ref("ReportCsv")}}
_ERROR = _json(_ref("Error"))
_UNAUTHORIZED = _response(
    "Only when the API runs with `API_TOKEN`: no `Authorization: Bearer <token>` header, or a "
    "wrong token.",
    _ERROR,
    headers={
        "WWW-Authenticate": {
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer "},
        }
    },
)
_DATABASE_DOWN = _response("PostgreSQL is unreachable.", _ERROR)
# A report id with `..` segments may be normalised by the client into another path, answered by
# the catch-all 404 of unknown paths: both 404 bodies are possible.
_NOT_FOUND_BODY = _json({"anyOf": [_ref("ReportNotFound"), _ref("PathNotFound")]})
_REPORT_ID_PARAMETER = {"name": "report_id", "required": True, "schema": _REPORT_ID}
_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`csv` asks for the CSV file itself, like `Accept: text/csv`.",
    "schema": {"type": "string", "enum": ["csv"]},
}
_GET_REPORT_RESPONSES: dict[str, Schema] = {
    "200": _response(
        "The report's state (JSON); or, when the CSV was asked for (`Accept: text/csv` or "
        "`format=csv`) and the report is Complete, the CSV file.",
        {**_json(_ref("Report")), **_CSV},
        headers={"Content-Disposition": {**_CONTENT_DISPOSITION, "required": False}},
    ),
    "202": _response(
        "The CSV was asked for; the report is still Running.", _json(_ref("RunningReport"))
    ),
    "404": _response(
        "Unknown report, or an id that is not a lowercase canonical UUID.", _NOT_FOUND_BODY
    ),
    "409": _response("The CSV was asked for; the report Failed.", _json(_ref("FailedReport"))),
    "503": _DATABASE_DOWN,
}
_AS_OF_QUERY = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "description": "As the body's `as_of` (the body wins when both are given).",
    "schema": {"type": "string", "format": "date-time"},
}
_TRIGGER_RESPONSES: dict[str, Schema] = {
    "202": _response(
        "Recorded and queued; the workers compute it.",
        _json(_ref("TriggerAccepted")),
        links={
            "GetReport": {
                "operationId": "getReport",
                "parameters": {"report_id": "$response.body#/report_id"},
            },
            "GetReportFile": {
                "operationId": "getReportFile",
                "parameters": {"report_id": "$response.body#/report_id"},
            },
        },
    ),
    "400": _response("A bad `as_of`, or a body that is not a JSON object.", _ERROR),
    "503": _response(
        "RabbitMQ or PostgreSQL is unreachable: no report was queued (one recorded before the "
        "broker failed is marked Failed).",
        _ERROR,
    ),
}


def _operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Schema],
    parameters: list[Schema] | None = None,
    *,
    public: bool = False,
) -> Schema:
    """An operation; unless `public`, it may answer 401 (when the API asks for a token)."""
    operation: Schema = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if parameters:
        operation["parameters"] = parameters
    if public:
        operation["security"] = []
        operation["responses"] = responses
    else:
        operation["responses"] = {**responses, "401": _UNAUTHORIZED}
    return operation


def _trigger(method: str) -> Schema:
    responses = _TRIGGER_RESPONSES
    if method == "post":
        responses = {**responses, "413": _response("A body over 1 MiB.", _ERROR)}
    operation = _operation(
        f"triggerReport{method.capitalize()}",
        "Request a report",
        "reports",
        responses,
        [_AS_OF_QUERY],
    )
    if method == "post":
        operation["requestBody"] = {"required": False, "content": _json(_ref("TriggerRequest"))}
    return operation


def _text(media_type: str, description: str) -> Schema:
    return _response(description, {media_type: {"schema": {"type": "string"}}})


PATHS: dict[str, Schema] = {
    "/trigger_report": {"post": _trigger("post"), "get": _trigger("get")},
    "/get_report/{report_id}": {
        "get": _operation(
            "getReport",
            "A report's state, or its CSV",
            "reports",
            _GET_REPORT_RESPONSES,
            [{**_REPORT_ID_PARAMETER, "in": "path"}, _FORMAT],
        )
    },
    "/get_report": {
        "get": _operation(
            "getReportByQuery",
            "A report's state, or its CSV (the id in the query)",
            "reports",
            _GET_REPORT_RESPONSES,
            [{**_REPORT_ID_PARAMETER, "in": "query"}, _FORMAT],
        )
    },
    "/reports/{report_id}.csv": {
        "get": _operation(
            "getReportFile",
            "A Complete report's CSV file",
            "reports",
            {
                "200": _response(
                    "The CSV file.",
                    _CSV,
                    headers={"Content-Disposition": {**_CONTENT_DISPOSITION, "required": True}},
                ),
                "404": _response("Unknown, not finished, or Failed.", _NOT_FOUND_BODY),
                "503": _DATABASE_DOWN,
            },
            [{**_REPORT_ID_PARAMETER, "in": "path"}],
        )
    },
    "/api/reports": {
        "get": _operation(
            "listReports",
            "The most recent reports (what the dashboard shows)",
            "reports",
            {
                "200": _response(
                    "Newest first, each as `GET /get_report` shows it.",
                    _json(_ref("ReportList")),
                ),
                "400": _response("A bad `limit`, or more than one.", _ERROR),
                "503": _DATABASE_DOWN,
            },
            [
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20},
                }
            ],
        )
    },
    "/healthz": {
        "get": _operation(
            "healthz",
            "Liveness: the process answers",
            "operations",
            {"200": _response("Alive.", _json(_ref("Health")))},
            public=True,
        )
    },
    "/readyz": {
        "get": _operation(
            "readyz",
            "Readiness: PostgreSQL and RabbitMQ are reachable",
            "operations",
            {
                "200": _response("Both reachable.", _json(_ref("Ready"))),
                "503": _response("At least one is down.", _json(_ref("NotReady"))),
            },
            public=True,
        )
    },
    "/metrics": {
        "get": _operation(
            "metrics",
            "Prometheus metrics",
            "operations",
            {"200": _text("text/plain", "The Prometheus text exposition format, 0.0.4.")},
        )
    },
    "/": {
        "get": _operation(
            "dashboard",
            "The dashboard",
            "operations",
            {"200": _text("text/html", "A static HTML page; it asks for the token if needed.")},
            public=True,
        )
    },
    "/openapi.json": {
        "get": _operation(
            "openapi",
            "This document",
            "operations",
            {
                "200": _response(
                    "The OpenAPI document.",
                    _json({"type": "object", "required": ["openapi", "info", "paths"]}),
                )
            },
        )
    },
}

DESCRIPTION = """\
Store Monitor: uptime and downtime of stores within business hours, as CSV reports computed by
workers. Every answer but a CSV file, the metrics and the dashboard page is JSON, errors
included. Beyond the operations below, a path that is not here answers 404
`{"error": "Not Found", "status": "Not Found"}` and a method an operation does not list answers
405 `{"error": "Method Not Allowed"}`. When the API runs with `API_TOKEN`, every request but the
probes and the dashboard page needs `Authorization: Bearer <token>` (401 otherwise, unknown
paths included); without it, no operation asks for one."""


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy)."""
    doc: dict[str, Any] = orjson.loads(_BODY)
    return doc


_BODY = orjson.dumps(
    {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Store Monitor",
            "version": version("storemon"),
            "description": DESCRIPTION,
        },
        "tags": [
            {"name": "reports", "description": "Trigger a report, follow it, download it."},
            {"name": "operations", "description": "Probes, metrics, the dashboard, this document."},
        ],
        # The token is optional: asked for only when the API runs with API_TOKEN.
        "security": [{"bearerToken": []}, {}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The API_TOKEN the API runs with, if any.",
                }
            },
        },
    }
)


async def openapi_json(request: web.Request) -> web.Response:
    """GET /openapi.json"""
    return web.Response(body=_BODY, content_type="application/json")
