"""GET /openapi.json: its shape, and schemathesis against the live API on the real services.

schemathesis fuzzes every operation of the document with valid and invalid input (positive and
negative generation) against the real application, a worker, PostgreSQL and RabbitMQ: no answer
may be a 5xx, and each must have a status code, content type, headers and body that the document
lists for that operation. Hand-built cases then reach the states random ids cannot (Running,
Complete, Failed reports, the broker down, a token asked for) and validate those answers alike.
"""

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp import web
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.keys import POOL
from api.openapi import document
from shared.config import Settings
from shared.ingest import ingest_polls
from tests.services import free_port, purge_jobs, until_sync
from worker.main import Worker

ENDPOINTS = {
    "/trigger_report": {"get", "post"},
    "/get_report/{report_id}": {"get"},
    "/get_report": {"get"},
    "/reports/{report_id}.csv": {"get"},
    "/reports/{report_id}/cancel": {"post"},
    "/reports/{report_id}/summary": {"get"},
    "/reports/{report_id}/rows": {"get"},
    "/reports/{report_id}/stores": {"get"},
    "/reports/{report_id}/stores/{store_id}": {"get"},
    "/api/reports": {"get"},
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/metrics": {"get"},
    "/": {"get"},
    "/openapi.json": {"get"},
    "/polls": {"post"},
    "/fleet/now": {"get"},
    "/events": {"get"},
    "/webhooks": {"get", "post"},
    "/webhooks/{webhook_id}": {"get", "delete"},
    "/webhooks/{webhook_id}/test": {"post"},
    "/webhooks/{webhook_id}/deliveries": {"get"},
}
# aiohttp routes whose path the document spells otherwise.
ROUTE_PATHS = {"/reports/{filename}": "/reports/{report_id}.csv"}
PUBLIC = {("/healthz", "get"), ("/readyz", "get"), ("/", "get")}  # no token ever asked for
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # positive and negative
            "max-examples": 30,
            "database": ":memory:",  # no .hypothesis/ directory in the work tree
        },
    }
)
SERVER_START_TIMEOUT = 30.0
T = TypeVar("T")


class LiveApi:
    """The real application and one worker, on a free port, in a thread with its own event loop:
    schemathesis' HTTP calls are synchronous and would block an event loop serving the app."""

    def __init__(self, settings: Settings, *, worker: bool = True, ready: bool = True) -> None:
        self.settings = settings
        self.with_worker = worker
        self.expect_ready = ready
        self.app = create_app(settings)
        self.url = ""
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)

    def __enter__(self) -> "LiveApi":
        self._thread.start()
        if not self._started.wait(SERVER_START_TIMEOUT):
            raise TimeoutError("the API did not start")
        if self._error is not None:
            raise self._error
        if self.expect_ready:  # the broker link connects in the background
            until_sync(
                lambda: requests.get(f"{self.url}/readyz", timeout=10).status_code == 200,
                "the API's /readyz to answer 200",
                SERVER_START_TIMEOUT,
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(SERVER_START_TIMEOUT)
        assert not self._thread.is_alive(), "the API did not stop"
        if self._error is not None:
            raise self._error

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's event loop (where the app's pool and channel live)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:
            self._error = e
        finally:
            self._started.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
            if not self.with_worker:
                self._started.set()
                await self._stop.wait()
                return
            worker = Worker(self.settings)
            ready = asyncio.Event()
            worker_task = asyncio.create_task(worker.run(ready))
            await asyncio.wait_for(ready.wait(), SERVER_START_TIMEOUT)
            self._started.set()
            await self._stop.wait()
            worker.stop()
            await asyncio.wait_for(worker_task, SERVER_START_TIMEOUT)
            # Leave no job of the reports triggered here to other tests.
            await purge_jobs(self.settings.amqp_url)
        finally:
            await runner.cleanup()


@pytest.fixture(scope="module")
def live_api(
    database_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    """One server for the module's examples (Hypothesis reruns a test, not its fixtures)."""
    reports_dir = tmp_path_factory.mktemp("openapi") / "reports"
    reports_dir.mkdir()
    settings = Settings(database_url=database_url, amqp_url=amqp_url, reports_dir=reports_dir)
    with LiveApi(settings) as api:
        yield api


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        # schemathesis gives a session's default headers (`Accept: */*`...) priority over the
        # case's own: without them, a case's `Accept: text/csv` is sent as it is.
        session.headers.clear()
        yield session


def _routes() -> dict[str, set[str]]:
    """The application's routes as the document spells them (without aiohttp's implicit HEAD)."""
    found: dict[str, set[str]] = {}
    for route in create_app(Settings()).router.routes():
        if route.method != "HEAD" and route.resource is not None:
            path = ROUTE_PATHS.get(route.resource.canonical, route.resource.canonical)
            found.setdefault(path, set()).add(route.method.lower())
    return found


def _target(doc: dict[str, Any], ref: str) -> Any:
    """What a local reference (`#/components/...`, a JSON Pointer) points to; KeyError if none."""
    assert ref.startswith("#/components/"), ref
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _resolved(doc: dict[str, Any], node: Any) -> Any:
    """`node`, or what its `$ref` (and theirs, in turn) points to."""
    while isinstance(node, dict) and "$ref" in node:
        node = _target(doc, node["$ref"])
    return node


def _references(node: Any) -> Iterator[str]:
    """Every reference in `node`: the `$ref`s and the discriminators' mapping values."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        if isinstance(node.get("discriminator"), dict):
            yield from node["discriminator"].get("mapping", {}).values()
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


# schemathesis.pytest.from_fixture (a schema loaded from the live URL) fails under pytest 9.2
# ('Function' object has no attribute '_nodeid'), so the operations come from the same document
# the API serves (test_openapi_json_is_served checks that it is this one).
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


def test_document_lists_every_endpoint_without_default_responses() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.")
    schema.validate()  # against the OpenAPI meta-schema of its version
    paths = doc["paths"]
    assert {path: set(ops) for path, ops in paths.items()} == ENDPOINTS == _routes()
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses, (method, path)
            assert "default" not in responses, (method, path)
            assert all(code.isdigit() and len(code) == 3 for code in responses), (method, path)
            for code, response in responses.items():
                assert _resolved(doc, response).get("content"), (method, path, code)
            assert ("401" not in responses) == ((path, method) in PUBLIC), (method, path)


def test_openapi_json_is_served(live_api: LiveApi, http: requests.Session) -> None:
    response = http.get(f"{live_api.url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == document()


def test_served_document_has_no_unresolved_references(
    live_api: LiveApi, http: requests.Session
) -> None:
    doc = http.get(f"{live_api.url}/openapi.json", timeout=10).json()
    references = set(_references(doc))
    assert "#/components/schemas/Report" in references  # the walk finds them
    for ref in sorted(references):
        try:
            target = _target(doc, ref)
        except (KeyError, TypeError):
            pytest.fail(f"{ref} points to no component")
        assert isinstance(target, dict), ref


@schema.parametrize()
def test_live_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, live_api: LiveApi, http: requests.Session
) -> None:
    case.call_and_validate(base_url=live_api.url, session=http, checks=CHECKS)


def _call(
    live_api: LiveApi,
    http: requests.Session,
    path: str,
    method: str = "GET",
    checks: list[CheckFunction] = CHECKS,
    **data: Any,
) -> schemathesis.Response:
    """One request built by hand, validated like the generated ones."""
    case = schema[path][method].Case(**data)
    return case.call_and_validate(base_url=live_api.url, session=http, checks=checks)


def _every_report_form(
    live_api: LiveApi, http: requests.Session, report_id: str
) -> list[tuple[int, str]]:
    """(status, content type) of the five ways to ask for a report, each validated."""
    by_path = {"report_id": report_id}
    answers = [
        _call(live_api, http, "/get_report/{report_id}", path_parameters=by_path),
        _call(live_api, http, "/get_report", query=by_path),
        _call(
            live_api,
            http,
            "/get_report/{report_id}",
            path_parameters=by_path,
            headers={"Accept": "text/csv"},
        ),
        _call(live_api, http, "/get_report", query={**by_path, "format": "csv"}),
        _call(live_api, http, "/reports/{report_id}.csv", path_parameters=by_path),
    ]
    return [(r.status_code, r.headers["content-type"][0].split(";")[0]) for r in answers]


JSON, CSV = "application/json", "text/csv"


def _insert_report(live_api: LiveApi, status: str) -> str:
    """A report in `status` that no job will touch."""
    report_id = str(uuid.uuid4())

    async def insert() -> None:
        async with live_api.app[POOL].acquire() as conn:
            await conn.execute(
                "INSERT INTO reports (id, status, error, finished_at) VALUES ($1, $2, $3, $4)",
                uuid.UUID(report_id),
                status,
                "boom" if status == "Failed" else None,
                None if status == "Running" else datetime.now(UTC),
            )

    live_api.run(insert())
    return report_id


def test_known_reports_conform(live_api: LiveApi, http: requests.Session) -> None:
    """The generated ids above are all unknown: these are the answers for known reports."""
    running = _insert_report(live_api, "Running")
    assert _every_report_form(live_api, http, running) == [
        (200, JSON),
        (200, JSON),
        (202, JSON),
        (202, JSON),
        (202, JSON),  # the file of a Running report: its status, as Accept: text/csv gets
    ]
    failed = _insert_report(live_api, "Failed")
    assert _every_report_form(live_api, http, failed) == [
        (200, JSON),
        (200, JSON),
        (409, JSON),
        (409, JSON),
        (409, JSON),
    ]

    triggered = _call(
        live_api,
        http,
        "/trigger_report",
        "POST",
        body={"as_of": "2023-01-25T18:13:22Z"},
        media_type=JSON,
    )
    assert triggered.status_code == 202
    report_id = triggered.json()["report_id"]
    until_sync(
        lambda: http.get(f"{live_api.url}/get_report/{report_id}").json()["status"] != "Running",
        "the report to finish",
        60,
    )
    assert _every_report_form(live_api, http, report_id) == [
        (200, JSON),
        (200, JSON),
        (200, CSV),
        (200, CSV),
        (200, CSV),
    ]
    assert http.get(f"{live_api.url}/get_report/{report_id}").json()["status"] == "Complete"
    by_path = {"report_id": report_id}
    for path, query in [
        ("/reports/{report_id}/summary", {}),
        ("/reports/{report_id}/rows", {"sort": "uptime_last_week", "order": "desc", "limit": 1}),
        ("/reports/{report_id}/rows", {"sort": "uptime_percent_last_day", "limit": 2}),
        ("/reports/{report_id}/stores", {}),
        ("/reports/{report_id}/stores", {"sort": "polls", "order": "desc", "bucket": "9"}),
    ]:
        assert _call(live_api, http, path, path_parameters=by_path, query=query).status_code == 200
    # The database holds whatever earlier tests left (tests/sample.py's s1 and s2, say): an id
    # no test ever ingests is the store this report cannot have.
    store = {**by_path, "store_id": "no-such-store"}
    assert _call(live_api, http, "/reports/{report_id}/stores/{store_id}",
                 path_parameters=store).status_code == 404  # fmt: skip
    # Cancelling: a Running report now (202), then again (200); a Complete one (409).
    cancels = [
        _call(live_api, http, "/reports/{report_id}/cancel", "POST", path_parameters=p)
        for p in ({"report_id": running}, {"report_id": running}, by_path)
    ]
    assert [c.status_code for c in cancels] == [202, 200, 409]
    assert _every_report_form(live_api, http, running) == [
        (200, JSON),
        (200, JSON),
        (409, JSON),
        (409, JSON),
        (409, JSON),
    ]
    expired = _insert_report(live_api, "Expired")
    assert [s for s, _ in _every_report_form(live_api, http, expired)] == [200, 200, 410, 410, 410]
    # Every report of the run so far (the random ones above included), as the dashboard lists them.
    listed = _call(live_api, http, "/api/reports", query={"limit": 200})
    assert {running, failed, report_id} <= {r["report_id"] for r in listed.json()["reports"]}
    cancelled = _call(live_api, http, "/api/reports", query={"status": "Cancelled"})
    assert [r["report_id"] for r in cancelled.json()["reports"]] == [running]


def test_store_explanation_conforms_with_poll_statuses(
    live_api: LiveApi, http: requests.Session, tmp_path: Path
) -> None:
    """A store with polls, explained: the document's enums are checked on a real answer (polls
    `active`/`inactive`, segments `up`/`down`). The store has no zone or hours (24x7):
    10:00 active, 11:00 inactive, as of 12:00 — up until 10:30, down after."""
    store_id = f"openapi-{uuid.uuid4().hex[:12]}"  # no other test ingests it
    polls = tmp_path / "store_status.csv"
    polls.write_text(
        "store_id,status,timestamp_utc\n"
        f"{store_id},active,2023-01-25 10:00:00 UTC\n{store_id},inactive,2023-01-25 11:00:00 UTC\n"
    )

    async def ingest() -> None:
        async with live_api.app[POOL].acquire() as conn:
            await ingest_polls(conn, polls)

    live_api.run(ingest())
    triggered = _call(
        live_api,
        http,
        "/trigger_report",
        "POST",
        body={"as_of": "2023-01-25T12:00:00Z"},
        media_type=JSON,
    )
    report_id = triggered.json()["report_id"]
    until_sync(
        lambda: http.get(f"{live_api.url}/get_report/{report_id}").json()["status"] != "Running",
        "the report to finish",
        60,
    )
    found = _call(
        live_api,
        http,
        "/reports/{report_id}/stores/{store_id}",
        path_parameters={"report_id": report_id, "store_id": store_id},
    )
    assert found.status_code == 200
    body = found.json()
    assert [p["status"] for p in body["polls"]] == ["active", "inactive"]
    assert [(s["to"], s["status"]) for s in body["segments"]] == [
        ("2023-01-25T10:30:00.000000Z", "up"),
        ("2023-01-25T12:00:00.000000Z", "down"),
    ]


def test_broker_down_answers_503_as_documented(
    database_url: str, tmp_path: Path, http: requests.Session
) -> None:
    settings = Settings(
        database_url=database_url,
        amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/",  # nothing listens there
        reports_dir=tmp_path / "reports",
    )
    with LiveApi(settings, worker=False, ready=False) as live_api:
        # The documented 5xx answers: every check but not_a_server_error.
        for path, method in [("/trigger_report", "POST"), ("/trigger_report", "GET")]:
            assert _call(live_api, http, path, method, checks=CHECKS[1:]).status_code == 503
        not_ready = _call(live_api, http, "/readyz", checks=CHECKS[1:])
        assert not_ready.status_code == 503
        assert not_ready.json()["rabbitmq"] == "down"


def test_token_answers_conform(
    database_url: str, amqp_url: str, tmp_path: Path, http: requests.Session
) -> None:
    token = "s3cret-" + uuid.uuid4().hex
    settings = Settings(
        database_url=database_url,
        amqp_url=amqp_url,
        reports_dir=tmp_path / "reports",
        api_token=token,
    )
    unknown = {"report_id": str(uuid.uuid4()), "store_id": "s1", "webhook_id": str(uuid.uuid4())}
    with LiveApi(settings, worker=False) as live_api:
        for path, method in [
            (path, method) for path, methods in ENDPOINTS.items() for method in methods
        ]:
            wanted = {k: v for k, v in unknown.items() if "{" + k + "}" in path}
            params = {"path_parameters": wanted} if wanted else {}
            if path == "/get_report":
                params = {"query": {"report_id": unknown["report_id"]}}
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                answer = _call(live_api, http, path, method.upper(), headers=headers, **params)
                expected = 401 if (path, method) not in PUBLIC else answer.status_code
                assert answer.status_code == expected, (method, path, headers)
                assert answer.status_code != 401 or answer.headers["www-authenticate"]
        right = {"Authorization": f"Bearer {token}"}
        found = _call(live_api, http, "/get_report", query=unknown, headers=right)
        assert found.status_code == 404


@pytest.mark.parametrize(
    ("as_of", "in_body", "in_query"),  # the status expected with as_of in a JSON body, a query
    [
        ("2023-01-25T18:13:22Z", 202, 202),
        ("2023-01-25T18:13:22.123456+05:30", 202, 202),
        ("2023-01-25T18:13:22", 202, 202),  # no offset: UTC
        ("2023-01-25", 202, 202),  # a date: its midnight, UTC
        ("yesterday", 400, 400),
        ("", 400, 400),
        (None, 202, 400),  # null in a body: the default; the query sends `as_of=`
        ("0001-01-01T00:00:00Z", 400, 400),  # ±infinity to PostgreSQL, or an overflow: 400
        ("9999-12-31T23:59:59.999999Z", 400, 400),
        ("0001-01-01T00:00:00+01:00", 400, 400),
        ("9999-12-31T23:59:59-01:00", 400, 400),
        ("2023-01-25T18:13:22\x00", 400, 400),
    ],
)
def test_trigger_as_of_edges_conform(
    live_api: LiveApi, http: requests.Session, as_of: str | None, in_body: int, in_query: int
) -> None:
    body = _call(live_api, http, "/trigger_report", "POST", body={"as_of": as_of}, media_type=JSON)
    query = _call(live_api, http, "/trigger_report", "GET", query={"as_of": as_of or ""})
    assert (body.status_code, query.status_code) == (in_body, in_query)
