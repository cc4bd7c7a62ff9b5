"""The dashboard (`GET /`) and its JSON (`GET /api/reports`), the page driven in Debian's headless
Chromium (/usr/bin/chromium, from scripts/browser.sh) with playwright: the real API on a real
port, a real worker, PostgreSQL and RabbitMQ. Its pages: the list (trigger, period form, cancel),
a report's page (summary, histogram, sorted, searched and paged rows) and a store's page (its
row, a timeline per local date, outages), at addresses of the URL hash.

Screenshots of the report and store pages go to the test's tmp_path and, when it is set, to the
directory STOREMON_SCREENSHOTS names (to look at them after a run)."""

import contextlib
import csv
import dataclasses
import io
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession, web
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from api.app import create_app
from sampledata.generate import generate_dataset
from shared.config import Settings
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from tests.sample import AS_OF, EXPECTED, HEADER, Client, load_sample, wait_until_finished
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
SHOTS = os.environ.get("STOREMON_SCREENSHOTS")


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
        row = page.locator(f'tr[data-report-id="{report_id}"]')
        await row.get_by_role("link", name="Open").click()  # the report's page, with the token
        await expect(page.locator('#tiles [data-tile="stores"] .value')).to_have_text("3")
        await _expect_store_ids(page, ["s0", "s1", "s2"])
        await page.go_back()
        await expect(page.locator("#errors")).to_be_hidden()
        await page.get_by_role("button", name="Forget token").click()
        await expect(page.locator("#auth")).to_be_visible()  # asked again at the next poll
        assert await page.evaluate("sessionStorage.getItem('storemon.apiToken')") is None

        async with open_page(browser) as shared:  # a link to the report page, opened afresh
            await shared.goto(f"{url}/#/reports/{report_id}")
            await expect(shared.locator("#auth")).to_be_visible()
            await expect(shared.locator("#report-state")).to_have_text("Waiting for the API token…")
            await shared.get_by_label("API token").fill(TOKEN)
            await shared.get_by_role("button", name="Use token").click()
            await expect(shared.locator("#auth")).to_be_hidden()
            await expect(shared.locator('#tiles [data-tile="stores"] .value')).to_have_text("3")
            await shared.locator("#rows-body").get_by_role("link", name="s1").click()
            await expect(shared.locator("#store-zone")).to_have_text("UTC")
            await expect(shared.locator("#timeline g.day")).to_have_count(8)
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


async def test_errors_are_shown_and_text_is_never_markup(
    browser: Browser, settings: Settings, conn: asyncpg.Connection
) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\"><b>boom</b>"
    failed_id, cancelled_id, expired_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO reports (id, status, error, finished_at) VALUES ($1, 'Failed', $2, now())",
        failed_id,
        hostile,
    )
    for report_id, status in ((cancelled_id, "Cancelled"), (expired_id, "Expired")):
        await conn.execute(
            "INSERT INTO reports (id, status, finished_at, requested_at)"
            " VALUES ($1, $2, now(), now() - interval '1 hour')",
            report_id,
            status,
        )
    cut = dataclasses.replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/")
    async with serve(cut, wait_ready=False) as url, open_page(browser) as page:
        await page.goto(f"{url}/")
        row = page.locator(f'tr[data-report-id="{failed_id}"]')
        await expect(row.locator("td.status")).to_have_text("Failed")
        await expect(row.locator("td.progress")).to_have_text(hostile)  # as text
        assert await row.locator("img, b").count() == 0
        assert await page.title() == "Store Monitor"
        for report_id, status, shown in (
            (cancelled_id, "Cancelled", "cancelled: no CSV"),
            (expired_id, "Expired", "expired: its files are deleted"),
        ):
            other = page.locator(f'tr[data-report-id="{report_id}"]')
            await expect(other).to_have_attribute("data-status", status)
            await expect(other.locator("td.progress")).to_have_text(shown)
            await expect(other.get_by_role("link")).to_have_count(0)  # no page, no CSV
        await page.locator("#status-filter").select_option("Expired")
        await expect(page.locator("#reports tr")).to_have_count(1)
        await expect(page.locator(f'tr[data-report-id="{expired_id}"]')).to_be_visible()

        await page.get_by_role("button", name="Trigger report").click()
        errors = page.locator("#errors")
        await expect(errors).to_be_visible()
        await expect(errors).to_contain_text("Trigger failed: 503 message broker unavailable")
        await expect(page.get_by_role("button", name="Trigger report")).to_be_enabled()
    assert await conn.fetchval("SELECT count(*) FROM reports") == 3  # nothing new Running


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


# --------------------------------------------------------------------- the report and store pages


async def _finished(client: Client, body: dict[str, object]) -> str:
    """A report triggered through the API and done: its id."""
    response = await client.post("/trigger_report", json=body)
    assert response.status == 202, await response.text()
    report_id: str = (await response.json())["report_id"]
    done = await wait_until_finished(client, report_id)
    assert done["status"] == "Complete", done
    return report_id


async def _screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """The whole page as `name` in tmp_path, copied to SHOTS when it is set."""
    target = tmp_path / name
    await page.screenshot(path=target, full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(SHOTS) / name)
    return target


async def _expect_store_ids(page: Page, expected: list[str]) -> None:
    """The rows table shows the rows of these stores, in this order."""
    await expect(page.locator("#rows-body tr")).to_have_count(len(expected))

    async def shown() -> bool:
        found = await page.locator("#rows-body tr").evaluate_all(
            "rs => rs.map(r => r.dataset.store)"
        )
        return bool(found == expected)

    await until(shown, f"the rows table to show {expected}", timeout=10)


@pytest.mark.usefixtures("purge_queue")
async def test_report_and_store_pages_explain_the_csv(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id = await _finished(client, {"as_of": AS_OF})
    csv_rows = {r["store_id"]: r for r in csv.DictReader(io.StringIO(EXPECTED))}
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")))
        row = page.locator(f'tr[data-report-id="{report_id}"]')
        await expect(row.locator("td.status")).to_have_text("Complete")
        await expect(row.locator("td.params")).to_have_text("last hour, day, week")
        await row.get_by_role("link", name="Open").click()
        await expect(page).to_have_url(re.compile(f"#/reports/{report_id}$"))
        await expect(page.locator("#report-view")).to_be_visible()
        await expect(page.locator("#list-view")).to_be_hidden()

        # The summary as test_inside computes it by hand.
        tiles = page.locator("#tiles")
        await expect(tiles.locator('[data-tile="stores"] .value')).to_have_text("2")
        await expect(tiles.locator('[data-tile="business_hours"] .value')).to_have_text("171.00 h")
        await expect(tiles.locator('[data-tile="uptime_percent"] .value')).to_have_text("98.68 %")
        await expect(tiles.locator('[data-tile="last_hour"] .value')).to_have_text("0.00 %")
        await expect(tiles.locator('[data-tile="last_day"] .value')).to_have_text("91.64 %")
        await expect(tiles.locator('[data-tile="last_day"] .detail')).to_have_text(
            "24.74 h up · 2.26 h down · of 27.00 h"
        )
        bars = page.locator("#histogram g.bar")
        await expect(bars).to_have_count(11)
        counts = await bars.evaluate_all("bars => bars.map(b => b.dataset.stores)")
        assert counts == ["0"] * 5 + ["1", "0", "0", "0", "1"] + ["0"]
        await expect(bars.last).to_contain_text("no business")

        # Sorted by a column, both ways; searched by a store id prefix.
        await _expect_store_ids(page, ["s1", "s2"])
        header = page.locator('#rows-head th[data-column="downtime_last_day"]')
        await header.get_by_role("button").click()
        await expect(header).to_have_attribute("aria-sort", "ascending")
        await _expect_store_ids(page, ["s2", "s1"])  # 1.00 < 1.26
        await header.get_by_role("button").click()
        await expect(header).to_have_attribute("aria-sort", "descending")
        await _expect_store_ids(page, ["s1", "s2"])
        await page.locator("#rows-q").fill("s1")
        await _expect_store_ids(page, ["s1"])
        await expect(page.locator("#rows-info")).to_have_text(
            "1 row with a store id starting with “s1”"  # of the 2 in the report
        )
        await expect(page.locator("#rows-page")).to_have_text("Page 1 · rows 1–1 of 1")
        await expect(page.locator("#rows-next")).to_be_disabled()
        for column, value in csv_rows["s1"].items():
            cell = page.locator(f'#rows-body tr[data-store="s1"] td[data-column="{column}"]')
            await expect(cell).to_have_text(value)
        await _screenshot(page, tmp_path, "report-page.png")

        # The store's page: the same numbers as the CSV row, a line per local date.
        await page.locator("#rows-body").get_by_role("link", name="s1").click()
        await expect(page).to_have_url(re.compile(f"#/reports/{report_id}/stores/s1$"))
        await expect(page.locator("#store-view")).to_be_visible()
        await expect(page.locator("#store-zone")).to_have_text("UTC")
        await expect(page.locator("#store-hours")).to_contain_text("Mon 09:00–12:00")
        await expect(page.locator("#store-hours")).to_contain_text("Tue–Sun closed")
        for column, value in csv_rows["s1"].items():
            await expect(page.locator(f'#store-row td[data-column="{column}"]')).to_have_text(value)
        days = page.locator("#timeline g.day")
        await expect(days).to_have_count(8)
        dates = await days.evaluate_all("days => days.map(d => d.dataset.date)")
        assert dates == [f"2023-01-{d}" for d in range(16, 24)]
        monday = page.locator('#timeline g.day[data-date="2023-01-23"]')
        await expect(monday.locator("rect.up")).to_have_count(1)
        await expect(monday.locator("rect.down")).to_have_count(1)
        await expect(monday.locator("rect.poll.obs")).to_have_count(2)
        assert await page.locator("#timeline rect.up, #timeline rect.down").count() == 2
        up = await monday.locator("rect.up title").text_content()
        assert up is not None
        assert "2023-01-23 09:00:00 +00:00 → 2023-01-23 10:44:30 +00:00" in up
        assert "UTC: 2023-01-23 09:00:00 UTC → 2023-01-23 10:44:30 UTC" in up
        poll = await monday.locator("rect.poll").first.locator("title").text_content()
        assert poll is not None and "2023-01-23 10:14:00 +00:00" in poll
        assert poll.startswith("poll: active (an observation)"), poll
        assert await monday.locator("rect.closed").count() == 2  # before 09:00, after 12:00
        await expect(page.locator("#outages-table tbody tr")).to_have_count(1)
        await expect(page.locator("#outages-table tbody tr")).to_have_text(
            "2023-01-23 10:44:30 +00:002023-01-23 12:00:00 +00:001.26"
        )
        await _screenshot(page, tmp_path, "store-page.png")

        # Back: the report page, its table as it was left; forward again; back to the list.
        await page.go_back()
        await expect(page.locator("#report-view")).to_be_visible()
        await _expect_store_ids(page, ["s1"])
        await expect(page.locator("#rows-q")).to_have_value("s1")
        await page.go_forward()
        await expect(page.locator("#store-zone")).to_have_text("UTC")
        await page.go_back()
        await page.go_back()
        await expect(page.locator("#list-view")).to_be_visible()
        await expect(row.locator("td.status")).to_have_text("Complete")

        # A shared link: s2, a zone by default and no hours, in Chicago's local days.
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}/stores/s2")
        await expect(page.locator("#store-zone")).to_contain_text("America/Chicago (default")
        await expect(page.locator("#store-hours")).to_have_text(re.compile("open 24×7"))
        first = page.locator('#timeline g.day[data-date="2023-01-16"]')
        await expect(first.locator("rect.outside")).to_have_count(1)  # the week starts 06:30
        up = await first.locator("rect.up title").text_content()
        assert up is not None and "local: 2023-01-16 06:30:00 -06:00 → 2023-01-23 05:30:00" in up
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}/stores/nope")
        await expect(page.locator("#store-state")).to_contain_text("has no row")


@pytest.mark.usefixtures("purge_queue")
async def test_rows_are_paged_with_next_and_previous(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    generate_dataset(tmp_path, 40, 8.5, seed=5)
    await ingest_timezones(conn, tmp_path / "timezones.csv")
    await ingest_hours(conn, tmp_path / "menu_hours.csv")
    await ingest_polls(conn, tmp_path / "store_status.csv")
    # One more store, its id markup and URL syntax: text on the page, escaped in addresses.
    hostile = "<b>x</b>/?#%20 é"
    (tmp_path / "hostile.csv").write_text(
        f"store_id,status,timestamp_utc\n{hostile},active,2023-01-20 10:00:00 UTC\n"
    )
    await ingest_polls(conn, tmp_path / "hostile.csv")
    report_id = await _finished(client, {})
    text = await (await client.get(f"/reports/{report_id}.csv")).text()
    ids = [r["store_id"] for r in csv.DictReader(io.StringIO(text))]
    assert len(ids) == 41 and hostile in ids
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}")
        await _expect_store_ids(page, ids[:25])
        await page.locator("#rows-limit").select_option("10")
        await _expect_store_ids(page, ids[:10])
        await expect(page.locator("#rows-page")).to_have_text("Page 1 · rows 1–10 of 41")
        await expect(page.locator("#rows-prev")).to_be_disabled()
        for n in range(1, 5):
            await page.locator("#rows-next").click()
            await _expect_store_ids(page, ids[10 * n : 10 * (n + 1)])
        await expect(page.locator("#rows-page")).to_have_text("Page 5 · rows 41–41 of 41")
        await expect(page.locator("#rows-next")).to_be_disabled()
        await page.locator("#rows-prev").click()
        await page.locator("#rows-prev").click()
        await _expect_store_ids(page, ids[20:30])
        await page.locator('#rows-head th[data-column="store_id"] button').click()
        await _expect_store_ids(page, ids[::-1][:10])  # a new order starts at its first page
        await expect(page.locator("#rows-prev")).to_be_disabled()
        await _screenshot(page, tmp_path, "report-page-generated.png")

        await page.locator("#rows-q").fill("<b")
        await _expect_store_ids(page, [hostile])
        await expect(page.locator("#rows-page")).to_have_text("Page 1 · rows 1–1 of 1")
        assert await page.locator("#rows-body b").count() == 0
        await page.locator("#rows-body a").click()
        await expect(page.locator("#store-title")).to_have_text(f"Store {hostile}")
        await expect(page.locator("#store-row td[data-column=store_id]")).to_have_text(hostile)
        await page.reload()  # the address alone finds the store again
        await expect(page.locator("#store-title")).to_have_text(f"Store {hostile}")
        await expect(page.locator("#timeline g.day")).to_have_count(8)  # a week: 8 local dates
        assert await page.locator("main b").count() == 0

        await page.go_back()  # after the reload: the table as a new visit shows it
        await expect(page.locator("#rows-q")).to_have_value("")
        await _expect_store_ids(page, ids[:25])
        await page.locator("#rows-body a").nth(1).click()
        await expect(page.locator("#timeline g.day")).to_have_count(8)
        await _screenshot(page, tmp_path, "store-page-generated.png")


@pytest.mark.usefixtures("purge_queue")
async def test_cancel_a_running_report_from_the_list(
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
        async with holding_shards(settings.database_url):
            report_id = await _trigger(page)
            row = page.locator(f'tr[data-report-id="{report_id}"]')
            await expect(row.locator("td.status")).to_have_text("Running")
            await expect(row.get_by_role("link", name="Open")).to_have_count(0)
            async with page.expect_response(lambda r: r.url.endswith("/cancel")) as answer:
                await row.get_by_role("button", name="Cancel").click()
            assert (await answer.value).status == 202
            await expect(row.locator("td.status")).to_have_text("Cancelled")
            await expect(row).to_have_attribute("data-status", "Cancelled")
            await expect(row.locator("td.progress")).to_have_text("cancelled: no CSV")
            await expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
            await expect(row.get_by_role("link")).to_have_count(0)
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}")
        await expect(page.locator("#report-state")).to_have_text(
            "This report was cancelled: it has no rows."
        )
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
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")))
        await page.locator("#period-box summary").click()
        await page.get_by_label("From").fill("2023-01-23")
        await page.get_by_label("To", exact=True).fill("2023-01-16")
        await page.get_by_role("button", name="Trigger period report").click()
        error = page.locator("#period-error")
        await expect(error).to_have_text(f"Not triggered: 400 {refused}")  # the API's words

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
            "2023-01-16 → 2023-01-23 by day · 2 stores listed"
        )
        await expect(row.locator("td.status")).to_have_text("Complete", timeout=REPORT_TIMEOUT_MS)
        await expect(row.locator("td.progress")).to_have_text("16 rows")  # 8 days × 2 stores
        await row.get_by_role("link", name="Open").click()
        await expect(page.locator("#report-meta")).to_contain_text(
            "period report: 2023-01-16 → 2023-01-23 by day"
        )
        await expect(page.locator("#periods tbody tr")).to_have_count(8)
        await expect(page.locator("#rows-head th")).to_have_count(5)
        await page.locator("#rows-body").get_by_role("link", name="s1").first.click()
        await expect(page.locator("#store-row tbody tr")).to_have_count(8)
        await expect(page.locator("#timeline g.day")).to_have_count(8)
        monday = page.locator(
            '#store-row tr:has(td[data-column="period_start"]:text-is("2023-01-23"))'
        )
        await expect(monday.locator('td[data-column="uptime_hours"]')).to_have_text("1.74")
        await expect(monday.locator('td[data-column="uptime_percent"]')).to_have_text("58.06")
