"""The dashboard (`GET /`) and its list of reports (`GET /api/reports`), the page driven in
Debian's headless Chromium with playwright (tests/browser.py): the real API on a real port, a
real worker, PostgreSQL and RabbitMQ. Here: the list (trigger, follow, cancel, download, the
period form, paging through every report, the filter in the address), every status of a report
opened on its own page, the API token, errors shown as text. Every page is checked at
1440×900 and 390×844: nothing wider than the screen, no serious or critical axe-core finding.
The report and store pages are in test_dashboard_reports.py."""

import contextlib
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession, web
from playwright.async_api import Browser, Page, expect

from api.app import create_app
from shared.config import Settings
from tests.browser import AXE, PHONE, axe_version, check, chromium, open_page, shows_in_order
from tests.sample import HEADER, Client, load_sample
from tests.services import Hold, holding_shards, settled, until
from worker.main import Worker

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


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


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


async def _in_view(page: Page, selector: str) -> None:
    """The element is inside the screen's width (reachable without sideways scrolling)."""
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


async def _follow_to_complete(page: Page, report_id: str, hold: Hold, tmp_path: Path) -> None:
    """The report's row shows it Running with a progress bar and a Cancel button, within the
    phone's width too, while its shards are held; then Complete."""
    row = page.locator(f'tr[data-report-id="{report_id}"]')
    await expect(row.locator("td.status")).to_have_text("Running")
    await expect(row.locator("progress")).to_be_visible()
    await expect(row.locator("td.progress")).to_contain_text(re.compile(r"\d+ % · \d+ of 4 shards"))
    await check(page, tmp_path, "list-running")
    await page.set_viewport_size(PHONE)
    for part in ("progress", "button.cancel", "a:text-is('Open')"):
        await _in_view(page, f'tr[data-report-id="{report_id}"] {part}')
    await hold.release()
    await expect(row.locator("td.status")).to_have_text("Complete", timeout=REPORT_TIMEOUT_MS)
    await _in_view(page, f'tr[data-report-id="{report_id}"] a:text-is("Download CSV")')
    await expect(row.locator("progress")).to_have_count(0)
    await expect(row.locator("td.asOf")).to_have_text("2023-01-23 13:00:00 GMT")
    await expect(row.locator("td.progress")).to_have_text("3 stores")
    await expect(row.locator("td.took")).to_have_text(re.compile(r"^\d+(\.\d)? s$"))
    await check(page, tmp_path, "list")


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
    await settled(conn)
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + "#/reports")
        await expect(page.locator("#empty")).to_be_visible()
        await check(page, tmp_path, "list-empty")
        async with holding_shards(settings.database_url) as hold:
            report_id = await _trigger(page)
            await _follow_to_complete(page, report_id, hold, tmp_path)
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
    await settled(conn)
    guarded = dataclasses.replace(settings, api_token=TOKEN)
    async with serve(guarded) as url, open_page(browser) as page:
        await page.goto(f"{url}/#/reports")  # the page itself needs no token
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
            await hold.release()
        row = page.locator(f'tr[data-report-id="{report_id}"]')
        await expect(row.locator("td.status")).to_have_text("Complete", timeout=REPORT_TIMEOUT_MS)
        downloaded = await _download(page, report_id, tmp_path)
        await row.get_by_role("link", name="Open").click()  # the report's page, with the token
        await expect(page.locator("#histogram a[data-bucket]")).to_have_count(11)
        await page.go_back()
        await expect(page.locator("#errors")).to_be_hidden()
        await page.get_by_role("button", name="Forget token").click()
        await expect(page.locator("#auth")).to_be_visible()  # asked again at the next poll
        assert await page.evaluate("sessionStorage.getItem('storemon.apiToken')") is None

        async with open_page(browser) as shared:  # a link to a store's page, opened afresh
            await shared.goto(f"{url}/#/reports/{report_id}/stores/s1")
            await expect(shared.locator("#auth")).to_be_visible()
            await expect(shared.locator("#store-state")).to_have_text("Waiting for the API token…")
            await shared.get_by_label("API token").fill(TOKEN)
            await shared.get_by_role("button", name="Use token").click()
            await expect(shared.locator("#auth")).to_be_hidden()
            await expect(shared.locator("#store-zone")).to_contain_text("UTC")
            await expect(shared.locator("#timeline li.day")).to_have_count(8)
            await expect(shared.locator("#errors")).to_be_hidden()

        async with ClientSession() as http:
            path = f"{url}/reports/{report_id}.csv"
            async with http.get(path) as refused:
                assert refused.status == 401  # the download did need the token
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(path, headers=auth) as response:
                served = await response.read()
    assert downloaded == served
    assert downloaded.decode() == EXPECTED_LATEST


async def _insert_report(
    conn: asyncpg.Connection, status: str, at: datetime, **columns: object
) -> str:
    """A report row as the API and workers leave it; its id."""
    report_id = uuid.uuid4()
    names = ["id", "status", "requested_at", *columns]
    marks = ", ".join(f"${n}" for n in range(1, len(names) + 1))
    await conn.execute(
        f"INSERT INTO reports ({', '.join(names)}) VALUES ({marks})",
        report_id,
        status,
        at,
        *columns.values(),
    )
    return str(report_id)


async def test_every_status_opens_and_text_is_never_markup(
    browser: Browser, settings: Settings, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\"><b>boom</b>"
    now = datetime.now(UTC)
    failed = await _insert_report(conn, "Failed", now, error=hostile, finished_at=now)
    cancelled = await _insert_report(conn, "Cancelled", now - timedelta(hours=1), finished_at=now)
    expired = await _insert_report(
        conn, "Expired", now - timedelta(hours=2), finished_at=now, expired_from="Complete", rows=7
    )
    cut = dataclasses.replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/")
    async with serve(cut, wait_ready=False) as url, open_page(browser) as page:
        await page.goto(f"{url}/#/reports")
        row = page.locator(f'tr[data-report-id="{failed}"]')
        await expect(row.locator("td.status")).to_have_text("Failed")
        await expect(row.locator("td.progress")).to_have_text(hostile)  # as text
        assert await row.locator("img, b").count() == 0
        assert await page.title() == "Reports — Store Monitor"
        for report_id, status, shown in (
            (cancelled, "Cancelled", "cancelled: no CSV"),
            (expired, "Expired", "expired: its files are deleted"),
        ):
            other = page.locator(f'tr[data-report-id="{report_id}"]')
            await expect(other).to_have_attribute("data-status", status)
            await expect(other.locator("td.progress")).to_have_text(shown)
            await expect(other.get_by_role("link", name="Download CSV")).to_have_count(0)
        await check(page, tmp_path, "list-statuses")

        # Every report opens, whatever its status, and says what became of it.
        for report_id, said in (
            (failed, "This report failed"),
            (cancelled, "This report was cancelled"),
            (expired, "This report expired"),
        ):
            await (
                page.locator(f'tr[data-report-id="{report_id}"]')
                .get_by_role("link", name="Open")
                .click()
            )
            await expect(page).to_have_url(re.compile(f"#/reports/{report_id}$"))
            await expect(page.locator("#report-state")).to_contain_text(said)
            # a new page: the focus moves to its title
            await expect(page.locator("#report-title")).to_be_focused()
            if report_id == failed:
                await expect(page.locator("#report-state .error")).to_have_text(hostile)
                await check(page, tmp_path, "report-failed")
            if report_id == expired:
                await expect(page.locator("#report-state")).to_contain_text("7 stores")
            await page.go_back()
            await expect(page.locator("#list-view")).to_be_visible()
        assert await page.locator("main b, main img").count() == 0

        await page.locator("#status-filter").select_option("Expired")
        await expect(page).to_have_url(re.compile(r"#/reports\?status=Expired$"))
        await expect(page.locator("#reports tr")).to_have_count(1)
        await page.reload()  # the filter is in the address
        await expect(page.locator("#status-filter")).to_have_value("Expired")
        await expect(page.locator("#reports tr")).to_have_count(1)
        await page.goto(f"{url}/#/?status=Expired")  # the list's address before the Now page
        await expect(page).to_have_url(re.compile(r"#/reports\?status=Expired$"))
        await expect(page.locator("#list-view")).to_be_visible()

        await page.get_by_role("button", name="Trigger report").click()
        errors = page.locator("#errors")
        await expect(errors).to_be_visible()
        await expect(errors).to_contain_text("Trigger failed: 503 message broker unavailable")
        await expect(page.get_by_role("button", name="Trigger report")).to_be_enabled()
    assert await conn.fetchval("SELECT count(*) FROM reports") == 3  # nothing new Running


async def test_the_list_pages_through_every_report(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    ids = [
        await _insert_report(conn, "Cancelled", start + timedelta(minutes=n), finished_at=start)
        for n in range(45)
    ]
    newest_first = ids[::-1]

    async def listed(page: Page, expected: list[str]) -> None:
        await shows_in_order(page.locator("#reports tr"), "reportId", expected, "the list's page")

    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + "#/reports")
        await listed(page, newest_first[:20])
        await expect(page.locator("#list-newer")).to_be_disabled()
        await page.get_by_role("button", name="Older").click()
        await expect(page).to_have_url(re.compile(r"#/reports\?page=2&cursor="))
        await listed(page, newest_first[20:40])
        await expect(page.locator("#list-page")).to_have_text("Page 2")
        await page.reload()  # the page is in the address
        await listed(page, newest_first[20:40])
        await page.get_by_role("button", name="Older").click()
        await listed(page, newest_first[40:])
        await expect(page.locator("#list-older")).to_be_disabled()
        await expect(page.locator("#list-title")).to_be_focused()
        await check(page, tmp_path, "list-last-page")
        await page.get_by_role("button", name="Newer").click()
        await listed(page, newest_first[20:40])
        # A link to the third page without its cursor walks there from the first.
        await page.goto(str(client.make_url("/")) + "#/reports?page=3")
        await listed(page, newest_first[40:])
        await page.get_by_role("button", name="Newer").click()
        await page.get_by_role("button", name="Newer").click()
        await listed(page, newest_first[:20])
        await expect(page).to_have_url(re.compile(r"#/reports$"))


@pytest.mark.usefixtures("purge_queue")
async def test_a_running_report_shows_its_progress_and_can_be_cancelled_on_its_page(
    browser: Browser,
    settings: Settings,
    client: Client,
    worker: Worker,
    conn: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    await load_sample(conn, tmp_path)
    await settled(conn)
    async with open_page(browser, PHONE) as page:
        await page.goto(str(client.make_url("/")) + "#/reports")
        async with holding_shards(settings.database_url):
            report_id = await _trigger(page)
            row = page.locator(f'tr[data-report-id="{report_id}"]')
            await expect(row.locator("td.status")).to_have_text("Running")
            await row.get_by_role("link", name="Open").click()
            state = page.locator("#report-state")
            await expect(state).to_contain_text("This report is running")
            await expect(state.locator("progress")).to_be_visible()
            await expect(state).to_contain_text(re.compile(r"\d+ % done \(\d+ of 4 shards\)"))
            await check(page, tmp_path, "report-running")
            await page.set_viewport_size(PHONE)
            await _in_view(page, "#report-state button.cancel")
            async with page.expect_response(lambda r: r.url.endswith("/cancel")) as answer:
                await state.get_by_role("button", name=re.compile("Cancel")).click()
            assert (await answer.value).status == 202
            await expect(state).to_contain_text("This report was cancelled")
            await expect(state.get_by_role("button")).to_have_count(0)
        await page.go_back()
        await expect(row.locator("td.status")).to_have_text("Cancelled")
        await expect(row.locator("td.progress")).to_have_text("cancelled: no CSV")
        await expect(row.get_by_role("button", name=re.compile("Cancel"))).to_have_count(0)
    got = await (await client.get(f"/get_report/{report_id}")).json()
    assert got["status"] == "Cancelled"


@pytest.mark.usefixtures("purge_queue")
async def test_trigger_a_period_report_from_the_form(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    answer = await client.post("/trigger_report", json={"from": "2023-01-23", "to": "2023-01-16"})
    assert answer.status == 400
    refused = (await answer.json())["error"]
    async with open_page(browser, PHONE) as page:
        await page.goto(str(client.make_url("/")) + "#/reports")
        await page.locator("#period-box summary").click()
        await page.get_by_label("From").fill("2023-01-23")
        await page.get_by_label("To", exact=True).fill("2023-01-16")
        await page.get_by_role("button", name="Trigger period report").click()
        error = page.locator("#period-error")
        await expect(error).to_have_text(f"Not triggered: 400 {refused}")  # the API's words
        await check(page, tmp_path, "list-period-form")

        await page.get_by_label("From").fill("2023-01-16")
        await page.get_by_label("To", exact=True).fill("2023-01-23")
        await page.locator("#period-interval").select_option("day")
        await page.get_by_label("Store ids").fill("s1,\n s2\n\n")
        async with page.expect_response(lambda r: r.url.endswith("/trigger_report")) as answer:
            await page.get_by_role("button", name="Trigger period report").click()
        response = await answer.value
        assert response.status == 202, await response.text()
        assert response.request.post_data_json == {
            "interval": "day",
            "from": "2023-01-16",
            "to": "2023-01-23",
            "store_ids": ["s1", "s2"],
        }
        report_id = (await response.json())["report_id"]
        await expect(error).to_have_text("")
        row = page.locator(f'tr[data-report-id="{report_id}"]')
        await expect(row.locator("td.params")).to_have_text(
            "Daily, 2023-01-16 → 2023-01-23 · 2 stores listed"
        )
        await expect(row.locator("td.status")).to_have_text("Complete", timeout=REPORT_TIMEOUT_MS)
        await expect(row.locator("td.progress")).to_have_text("16 rows")  # 8 days × 2 stores
        await row.get_by_role("link", name="Open").click()
        await expect(page.locator("#report-meta")).to_contain_text(
            "Daily, 2023-01-16 → 2023-01-23 · 2 stores listed"
        )


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


def test_the_vendored_axe_core_is_the_pinned_one() -> None:
    """tests/axe/axe.min.js is what scripts/axe.sh copies from the version the lock pins."""
    pin = json.loads((AXE.parent / "package.json").read_text())["dependencies"]["axe-core"]
    lock = json.loads((AXE.parent / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == pin
    assert axe_version() == pin
    assert "Mozilla Public License" in (AXE.parent / "LICENSE").read_text()
