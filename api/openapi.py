"""The OpenAPI 3.1 document of the HTTP API, api/openapi.yaml, served at `GET /openapi.json`.

The document is loaded once, at import; the few values whose one definition lives in Python are
filled in at the paths FILLED lists, where the YAML holds PLACEHOLDER. tests/test_openapi.py runs
schemathesis against the live API with the result.
"""

from importlib.metadata import version
from importlib.resources import files
from typing import Any

import orjson
import yaml
from aiohttp import web

from shared.csvfile import HEADER, PERIOD_HEADER
from shared.reportids import REPORT_ID_PATTERN

PLACEHOLDER = "(set by api/openapi.py)"
FILLED: dict[str, str] = {  # JSON Pointer (RFC 6901) in the document: its value
    "/info/version": version("storemon"),
    "/components/schemas/ReportId/pattern": REPORT_ID_PATTERN,
    "/components/schemas/CompleteReport/properties/csv_url/pattern": (
        "^/reports/" + REPORT_ID_PATTERN.removeprefix("^").removesuffix("$") + r"\.csv$"
    ),
    "/components/schemas/ReportCsv/description": (
        f"The standard report: `{','.join(HEADER)}`, one line per store. A period report: "
        f"`{','.join(PERIOD_HEADER)}`, one line per store and period."
    ),
}


def _fill(doc: dict[str, Any], pointer: str, value: str) -> None:
    """Replace the PLACEHOLDER at `pointer` with `value`; an error if it is not there."""
    *parents, key = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node: Any = doc
    try:
        for part in parents:
            node = node[part]
        found = node[key]
    except (KeyError, TypeError) as e:
        raise LookupError(f"openapi.yaml: no {pointer}") from e
    if found != PLACEHOLDER:
        raise ValueError(f"openapi.yaml: {pointer} is {found!r}, not {PLACEHOLDER!r}")
    node[key] = value


def _load() -> bytes:
    doc = yaml.safe_load(files("api").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    for pointer, value in FILLED.items():
        _fill(doc, pointer, value)
    body = orjson.dumps(doc)
    if PLACEHOLDER.encode() in body:
        raise ValueError(f"openapi.yaml: {PLACEHOLDER!r} at a path that FILLED does not list")
    return body


_BODY = _load()


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy)."""
    doc: dict[str, Any] = orjson.loads(_BODY)
    return doc


async def openapi_json(request: web.Request) -> web.Response:
    """GET /openapi.json"""
    return web.Response(body=_BODY, content_type="application/json")
