"""Optional bearer-token authentication (API_TOKEN): every endpoint but /healthz, /readyz and the
dashboard page answers 401 JSON without the right `Authorization: Bearer <token>`."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from api.auth import token_matches
from shared.config import Settings
from shared.csvfile import report_path
from tests.conftest import api_with
from tests.sample import HEADER, Client
from tests.services import purge_jobs

TOKEN = "s3cret"
CSV = HEADER + "\ns1,1.00,2.00,3.00,4.00,5.00,6.00\n"
WRONG = [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Bearer s3cre"},
    {"Authorization": "Bearer s3cret0"},
    {"Authorization": "Bearer S3CRET"},
    {"Authorization": "Bearer "},
    {"Authorization": "s3cret"},
    {"Authorization": "Basic czNjcmV0"},
    {"Authorization": "Token s3cret"},
    {"X-Api-Token": "s3cret"},
]


@pytest.fixture
async def complete_id(settings: Settings, conn: asyncpg.Connection) -> str:
    """A Complete report with its CSV in place."""
    report_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO reports (id, status, as_of, rows, finished_at) "
        "VALUES ($1, 'Complete', '2023-01-23 12:30:00+00', 1, now())",
        report_id,
    )
    path = report_path(settings.reports_dir, str(report_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CSV)
    return str(report_id)


@pytest.fixture
async def drain_queue(amqp_url: str) -> AsyncIterator[None]:
    """Leave no job of this test's triggers (never computed: no worker) for later tests."""
    yield
    await purge_jobs(amqp_url)


@pytest.fixture
async def secured(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Client]:
    """The API with API_TOKEN set, on a real port."""
    async with api_with(settings, api_token=TOKEN) as test_client:  # /readyz needs no token
        yield test_client


def _requests(report_id: str) -> list[tuple[str, str]]:
    """Every endpoint that needs the token, with an unknown path and a method not allowed."""
    return [
        ("POST", "/trigger_report"),
        ("GET", "/trigger_report"),
        ("GET", f"/get_report/{report_id}"),
        ("GET", f"/get_report?report_id={report_id}"),
        ("GET", f"/get_report/{report_id}?format=csv"),
        ("GET", f"/reports/{report_id}.csv"),
        ("GET", "/api/reports"),
        ("GET", "/api/reports?limit=5"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/fleet/now"),
        ("GET", "/events"),
        ("GET", "/webhooks"),
        ("POST", "/polls"),
        ("GET", "/no/such/thing"),
        ("GET", "/reports/../../etc/passwd"),
        ("DELETE", "/trigger_report"),
        ("POST", "/"),
    ]


async def test_without_the_right_token_every_endpoint_answers_401_json(
    secured: Client, complete_id: str
) -> None:
    for method, path in _requests(complete_id):
        for headers in WRONG:
            response = await secured.request(method, path, headers=headers)
            assert response.status == 401, (method, path, headers)
            assert response.content_type == "application/json", (method, path)
            body = await response.json()
            assert set(body) == {"error"} and body["error"], (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer "), (method, path)
            if headers.get("Authorization", "").startswith("Bearer s"):
                assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.usefixtures("drain_queue")
async def test_with_the_right_token_every_endpoint_works(secured: Client, complete_id: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    expected = {
        ("POST", "/trigger_report"): 202,
        ("GET", "/trigger_report"): 202,
        ("GET", "/no/such/thing"): 404,
        ("GET", "/reports/../../etc/passwd"): 404,
        ("DELETE", "/trigger_report"): 405,
        ("POST", "/"): 405,
        ("POST", "/polls"): 400,  # an empty body is no polls file
    }
    for method, path in _requests(complete_id):
        response = await secured.request(method, path, headers=auth)
        assert response.status == expected.get((method, path), 200), (method, path)
        assert "WWW-Authenticate" not in response.headers
    csv = await secured.get(f"/reports/{complete_id}.csv", headers=auth)
    assert await csv.text() == CSV
    by_accept = await secured.get(
        f"/get_report/{complete_id}", headers={**auth, "Accept": "text/csv"}
    )
    assert await by_accept.text() == CSV
    listed = await (await secured.get("/api/reports", headers=auth)).json()
    assert complete_id in [report["report_id"] for report in listed["reports"]]
    # The scheme is case-insensitive, and spaces around the token do not matter.
    for header in (f"bearer {TOKEN}", f"BEARER  {TOKEN} "):
        response = await secured.get("/api/reports", headers={"Authorization": header})
        assert response.status == 200, header


async def test_probes_and_the_dashboard_page_need_no_token(secured: Client) -> None:
    assert await (await secured.get("/healthz")).json() == {"status": "ok"}
    ready = await secured.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ready"
    page = await secured.get("/")  # static HTML without data: it asks for the token itself
    assert page.status == 200 and page.content_type == "text/html"
    assert "Trigger report" in await page.text()
    assert (await secured.head("/")).status == 200
    # A wrong token on an exempt path is ignored, not refused.
    wrong = {"Authorization": "Bearer wrong"}
    assert (await secured.get("/healthz", headers=wrong)).status == 200


@pytest.mark.usefixtures("drain_queue")
async def test_without_api_token_nothing_needs_one(client: Client, complete_id: str) -> None:
    for method, path in _requests(complete_id):
        for headers in ({}, {"Authorization": "Bearer anything"}):
            response = await client.request(method, path, headers=headers)
            assert response.status != 401, (method, path, headers)
            assert "WWW-Authenticate" not in response.headers
    csv = await client.get(f"/reports/{complete_id}.csv")
    assert csv.status == 200 and await csv.text() == CSV


def test_api_token_comes_from_the_environment() -> None:
    assert Settings.from_env({}).api_token is None
    assert Settings.from_env({"API_TOKEN": ""}).api_token is None
    assert Settings.from_env({"API_TOKEN": "s3cret"}).api_token == "s3cret"


def test_token_comparison() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches("", "s3cret")
    assert token_matches("sécret", "sécret")  # any text, compared as UTF-8 bytes
    assert not token_matches("s\udce9cret", "sécret")  # undecodable header bytes
