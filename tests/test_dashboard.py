"""The dashboard (`GET /`) and its JSON (`GET /api/reports`), the page driven in Debian's headless
Chromium (/usr/bin/chromium, from scripts/browser.sh) with playwright: the real API on a real
port, a real worker, PostgreSQL and RabbitMQ."""

import contextlib
import dataclasses
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession, web
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from api.app import create_app
from shared.config import Settings
from tests.sample import HEADER, Client, load_sample
from tests.services import Hold, holding_shards, until
from worker.main import Worker

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "s3cret"
# The sample data reported as of the latest poll (s0's, 2023-01-23 13:00 UTC, what the page's
# button asks for). s0: one active poll, no zone or hours: up all the time. s1: UTC, open Monday
# 09:00-12:00, switch at 10:44:30: nothing in the last hour, 1.74 h up and 1.26 h down in the
# day and the week. s2: 24x7, active 11:00, inactive 12:00, switch at 11:30: the last hour all
# down; 1.5 h down in the day and the week. s3 (too old) is not in it.
EXPECTED_LATEST = (
    HEADER + "\n"
    "s0,60.00,24.00,168.00,0.00,0.00,0.00\n"
    "s1,0.00,1.74,1.74,0.00,1.26,1.26\n"
    "s2,0.00,22.50,166.50,60.00,1.50,1.50\n"
)
REPORT_TIMEOUT_MS = 30_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One shard per store: the page shows the shards done."""
    return dataclasses.replace(settings, shard_stores=1)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless; required under CI=true, skipped without it elsewhere."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: run scripts/browser.sh (Debian's chromium package)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@contextlib.asynccontextmanager
async def serve(settings: Settings, *, wait_ready: bool = True) -> AsyncIterator[str]:
    """The API application on a free port of 127.0.0.1, in this event loop; its base URL."""
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    try:
        if wait_ready:
            async with ClientSession() as http:

                async def ready() -> bool:
                    async with http.get(f"{url}/readyz") as response:
                        return response.status == 200

                await until(ready, "the API's /readyz to answer 200")
        yield url
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def open_page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page that fails the test on a script error or a Content-Security-Policy refusal."""
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", console)
    try:
        yield page
    finally:
        await context.close()
    assert problems == []


async def _trigger(page: Page) -> str:
    """Click "Trigger report"; the new report's id."""
    async with page.expect_response(lambda r: r.url.endswith("/trigger_report")) as answer:
        await page.get_by_role("button", name="Trigger report").click()
    response = await answer.value
    assert response.status == 202, await response.text()
    report_id: str = (await response.json())["report_id"]
    await expect(page.locator("#notice")).to_contain_text(report_id)
    return report_id


async def _download(page: Page, report_id: str, tmp_path: Path) -> bytes:
    row = page.locator(f'tr[data-report-id="{report_id}"]')
    async with page.expect_download() as started:
        await row.get_by_role("link", name="Download CSV").click()
    download = await started.value
    assert download.suggested_filename == f"{report_id}.csv"
    target = tmp_path / f"downloaded-{report_id}.csv"
    await download.save_as(target)
    return target.read_bytes()


async def _follow_to_complete(page: Page, report_id: str, hold: Hold) -> None:
    """The report's row shows it Running with a progress bar while its shards are held, then
    Complete."""
    row = page.locator(f'tr[data-report-id="{report_id}"]')
    await expect(row.locator("td.status")).to_have_text("Running")
    await expect(row.locator("progress")).to_be_visible()
    await hold.release()
    await expect(row.locator("td.status")).to_have_text("Complete", timeout=REPORT_TIMEOUT_MS)
    await expect(row.locator("progress")).to_have_count(0)
    await expect(row.locator("td.asOf")).to_have_text("2023-01-23 13:00:00 UTC")
    await expect(row.locator("td.progress")).to_have_text("3 stores")
    await expect(row.locator("td.duration")).to_have_text(re.compile(r"^\d+(\.\d)? s$"))


@pytest.mark.usefixtures("purge_queue")
async def test_trigger_follow_and_download_in_the_browser(
    browser: Browser,
    settings: Settings,
    client: Client,
    worker: Worker,
    conn: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    await load_sample(conn, tmp_path)
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")))
        await expect(page.locator("#empty")).to_be_visible()
        async with holding_shards(settings.database_url) as hold:
            report_id = await _trigger(page)
            await _follow_to_complete(page, report_id, hold)
        await expect(page.locator("#empty")).to_be_hidden()
        await expect(page.locator("#auth")).to_be_hidden()
        downloaded = await _download(page, report_id, tmp_path)
    served = await (await client.get(f"/reports/{report_id}.csv")).read()
    assert downloaded == served
    assert downloaded.startswith(HEADER.encode() + b"\n")
    assert downloaded.decode() == EXPECTED_LATEST


@pytest.mark.usefixtures("purge_queue")
async def test_with_api_token_the_page_asks_for_it_and_sends_it(
    browser: Browser,
    settings: Settings,
    worker: Worker,
    conn: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    await load_sample(conn, tmp_path)
    guarded = dataclasses.replace(settings, api_token=TOKEN)
    async with serve(guarded) as url, open_page(browser) as page:
        await page.goto(f"{url}/")  # the page itself needs no token
        await expect(page.locator("#auth")).to_be_visible()
        await expect(page.locator("#auth-message")).to_contain_text("needs a token")
        await page.get_by_label("API token").fill("wrong")
        await page.get_by_role("button", name="Use token").click()
        await expect(page.locator("#auth-message")).to_contain_text("refused")
        assert await page.evaluate("sessionStorage.getItem('storemon.apiToken')") is None

        await page.get_by_label("API token").fill(TOKEN)
        await page.get_by_role("button", name="Use token").click()
        await expect(page.locator("#auth")).to_be_hidden()
        await expect(page.locator("#empty")).to_be_visible()  # the list loaded, with the token
        assert await page.evaluate("sessionStorage.getItem('storemon.apiToken')") == TOKEN
        async with holding_shards(settings.database_url) as hold:
            report_id = await _trigger(page)
            await _follow_to_complete(page, report_id, hold)
        downloaded = await _download(page, report_id, tmp_path)
        await expect(page.locator("#errors")).to_be_hidden()
        await page.get_by_role("button", name="Forget token").click()
        await expect(page.locator("#auth")).to_be_visible()  # asked again at the next poll
        assert await page.evaluate("sessionStorage.getItem('storemon.apiToken')") is None

        async with ClientSession() as http:
            path = f"{url}/reports/{report_id}.csv"
            async with http.get(path) as refused:
                assert refused.status == 401  # the download did need the token
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(path, headers=auth) as response:
                served = await response.read()
    assert downloaded == served
    assert downloaded.decode() == EXPECTED_LATEST


async def test_errors_are_shown_and_text_is_never_markup(
    browser: Browser, settings: Settings, conn: asyncpg.Connection
) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\"><b>boom</b>"
    failed_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO reports (id, status, error, finished_at) VALUES ($1, 'Failed', $2, now())",
        failed_id,
        hostile,
    )
    cut = dataclasses.replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/")
    async with serve(cut, wait_ready=False) as url, open_page(browser) as page:
        await page.goto(f"{url}/")
        row = page.locator(f'tr[data-report-id="{failed_id}"]')
        await expect(row.locator("td.status")).to_have_text("Failed")
        await expect(row.locator("td.progress")).to_have_text(hostile)  # as text
        assert await row.locator("img, b").count() == 0
        assert await page.title() == "Store Monitor"

        await page.get_by_role("button", name="Trigger report").click()
        errors = page.locator("#errors")
        await expect(errors).to_be_visible()
        await expect(errors).to_contain_text("Trigger failed: 503 message broker unavailable")
        await expect(page.get_by_role("button", name="Trigger report")).to_be_enabled()
    assert await conn.fetchval("SELECT count(*) FROM reports") == 1  # nothing new Running


async def test_api_reports_lists_newest_first_as_get_report_shows_them(
    client: Client, conn: asyncpg.Connection
) -> None:
    assert await (await client.get("/api/reports")).json() == {"reports": [], "next_cursor": None}
    start = datetime(2024, 5, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(25)]
    for n, report_id in enumerate(ids):
        await conn.execute(
            "INSERT INTO reports (id, status, requested_at) VALUES ($1, 'Running', $2)",
            report_id,
            start + timedelta(minutes=n),
        )
    await conn.execute(
        "UPDATE reports SET status = 'Complete', rows = 7, finished_at = now() WHERE id = $1",
        ids[-1],
    )
    await conn.execute(
        "UPDATE reports SET status = 'Failed', error = 'boom', finished_at = now() WHERE id = $1",
        ids[-2],
    )
    newest_first = [str(i) for i in reversed(ids)]

    response = await client.get("/api/reports")
    assert response.status == 200 and response.content_type == "application/json"
    listed = (await response.json())["reports"]
    assert [r["report_id"] for r in listed] == newest_first[:20]  # 20 by default
    for report in listed[:3]:
        one = await (await client.get(f"/get_report/{report['report_id']}")).json()
        assert report == one
    assert [r["status"] for r in listed[:3]] == ["Complete", "Failed", "Running"]

    one = await (await client.get("/api/reports?limit=1")).json()
    assert [r["report_id"] for r in one["reports"]] == newest_first[:1]
    every = await (await client.get("/api/reports?limit=200")).json()
    assert [r["report_id"] for r in every["reports"]] == newest_first

    for bad in ("0", "201", "-1", "abc", "1.5", "", " 5", "1e2", "٣", "9" * 40, "5&limit=6"):
        response = await client.get(f"/api/reports?limit={bad}")
        assert response.status == 400, bad
        assert "limit" in (await response.json())["error"], bad


async def test_dashboard_page_is_static_html_with_a_strict_policy(client: Client) -> None:
    response = await client.get("/")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "Trigger report" in page and "/api/reports" in page
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
