"""The dashboard's report and store pages in Debian's headless Chromium (tests/browser.py),
over the real API, a worker, PostgreSQL and RabbitMQ: what an owner checks on them — the worst
store first, a date without a poll said to be "no data", times in the store's zone with its
abbreviation, durations in hours and minutes, the page's state in its address, tooltips reached
by keyboard and touch — each page at 1440×900 and 390×844, with nothing wider than the screen
and no serious or critical axe-core finding."""

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from sampledata.generate import generate_dataset
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from tests.browser import PHONE, WIDE, check, chromium, open_page
from tests.sample import AS_OF, EXPECTED, Client, load_sample, wait_until_finished
from tests.services import until

pytestmark = pytest.mark.usefixtures("purge_queue", "worker")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _finished(client: Client, body: dict[str, object]) -> str:
    """A report triggered through the API and done: its id."""
    response = await client.post("/trigger_report", json=body)
    assert response.status == 202, await response.text()
    report_id: str = (await response.json())["report_id"]
    done = await wait_until_finished(client, report_id)
    assert done["status"] == "Complete", done
    return report_id


async def _shown(rows: Locator, expected: list[str], attribute: str = "store") -> None:
    """The table shows these rows (by their data attribute), in this order."""
    await expect(rows).to_have_count(len(expected))

    async def in_order() -> bool:
        found = await rows.evaluate_all(f"rs => rs.map(r => r.dataset.{attribute})")
        return bool(found == expected)

    await until(in_order, f"the table to show {expected}", timeout=10)


async def _readout(page: Page, chart: str) -> str:
    return await page.locator(f"#{chart}-readout").inner_text()


# ------------------------------------------------------------------------- the sample's pages


async def test_a_store_page_explains_its_row_in_local_time(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id = await _finished(client, {"as_of": AS_OF})
    csv_rows = {r["store_id"]: r for r in csv.DictReader(io.StringIO(EXPECTED))}
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}/stores/s1")
        await expect(page.locator("#store-zone")).to_have_text("UTC: UTC (UTC+00:00)")
        await expect(page.locator("#store-hours")).to_contain_text("Mon 09:00–12:00")
        await expect(page.locator("#store-hours")).to_contain_text("Tue–Sun closed")
        for column, value in csv_rows["s1"].items():  # the CSV's own words, for checking
            await expect(page.locator(f'#store-row td[data-column="{column}"]')).to_have_text(value)
        day = page.locator('#store-windows tr[data-window="last_day"]')
        await expect(day.locator('td[data-label="Uptime"]')).to_have_text("1 h 44 min")
        await expect(day.locator('td[data-label="Downtime"]')).to_have_text("1 h 16 min")
        hour = page.locator('#store-windows tr[data-window="last_hour"]')
        await expect(hour.locator('td[data-label="Downtime"]')).to_have_text("30 min")

        days = page.locator("#timeline li.day")
        await expect(days).to_have_count(8)
        dates = await days.evaluate_all("days => days.map(d => d.dataset.date)")
        assert dates == [f"2023-01-{d}" for d in range(16, 24)]
        monday = page.locator('#timeline li.day[data-date="2023-01-23"]')
        await expect(monday.locator("rect.up")).to_have_count(1)
        await expect(monday.locator("rect.down")).to_have_count(1)
        await expect(monday.locator("rect.poll.obs")).to_have_count(2)
        assert await page.locator("#timeline rect.up, #timeline rect.down").count() == 2
        await expect(monday).to_have_attribute(
            "aria-label", "Mon 2023-01-23: up 1 h 45 min, down 1 h 16 min; 2 polls"
        )
        # Dates without a poll but with business time are "no data"; the others are closed.
        await expect(page.locator("#timeline .nodata-mark")).to_have_count(0)

        # The tooltips: by keyboard (a date, then its marks), by touch, by pointer.
        await monday.focus()
        assert (await _readout(page, "timeline")).startswith("Mon 2023-01-23: up")
        await page.keyboard.press("ArrowRight")
        assert "00:00:00 UTC → 09:00:00 UTC: closed" in await _readout(page, "timeline")
        await page.keyboard.press("ArrowRight")
        up = await _readout(page, "timeline")
        assert up == (
            "Mon 2023-01-23, 09:00:00 UTC → 10:44:30 UTC (1 h 45 min): up, from the poll at"
            " 2023-01-23 10:14:00 UTC"
        ), up
        await page.keyboard.press("ArrowRight")
        assert await _readout(page, "timeline") == "Mon 2023-01-23, poll at 10:14:00 UTC: active"
        await page.keyboard.press("ArrowUp")  # the date before
        focused = await page.evaluate("document.activeElement.dataset.date")
        assert focused == "2023-01-22"
        await monday.locator("rect.down").tap()
        assert ": down, from the poll at 2023-01-23 11:15:00 UTC" in await _readout(
            page, "timeline"
        )

        outages = page.locator("#outages-table tbody tr")
        await expect(outages).to_have_count(1)
        await expect(outages.locator("td")).to_have_text(
            ["2023-01-23 10:44:30 UTC", "2023-01-23 12:00:00 UTC", "1 h 16 min"]
        )
        await check(page, tmp_path, "store")
        await page.set_viewport_size(PHONE)
        width = await monday.locator("svg").evaluate("svg => svg.getBoundingClientRect().width")
        assert 300 <= width <= PHONE["width"]  # the day's 24 hours fit the phone's width

        # A shared link: s2, a zone by default and no hours, in Chicago's local days.
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}/stores/s2")
        await expect(page.locator("#store-zone")).to_have_text(
            "America/Chicago: CST (UTC-06:00) — the default: the store has no zone of its own"
        )
        await expect(page.locator("#store-hours")).to_have_text(re.compile("open 24×7"))
        first = page.locator('#timeline li.day[data-date="2023-01-16"]')
        await expect(first.locator("line.outside")).to_have_count(1)  # the week starts 06:30
        # Its only polls are on the 23rd: every date before says "no data", hatched, not green.
        await expect(page.locator("#timeline .nodata-mark")).to_have_count(7)
        await expect(first.locator(".nodata-mark")).to_have_text("no data")
        await expect(first.locator("rect.up")).to_have_count(0)
        await expect(first.locator("rect.nodata")).to_have_attribute(
            "data-tip",
            "Mon 2023-01-16, 06:30:00 CST → 2023-01-17 00:00:00 CST (17 h 30 min): no data: no poll"
            " this date; counted up from the poll at 2023-01-23 05:00:00 CST",
        )
        await check(page, tmp_path, "store-no-data")
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}/stores/nope")
        await expect(page.locator("#store-state")).to_contain_text("has no row")


async def test_the_rows_table_keeps_its_state_in_the_address(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
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
    rows = "#table-body tr"
    async with open_page(browser) as page:
        base = str(client.make_url("/")) + f"#/reports/{report_id}"
        await page.goto(base + "?view=rows")
        await _shown(page.locator(rows), ids[:25])
        await expect(page.locator("#table-title")).to_have_text("Rows of the CSV")
        await page.locator("#table-limit").select_option("10")
        await _shown(page.locator(rows), ids[:10])
        await expect(page.locator("#table-page")).to_have_text("Page 1 · 1–10 of 41")
        await expect(page.locator("#table-prev")).to_be_disabled()
        for n in range(1, 5):
            await page.locator("#table-next").click()
            await _shown(page.locator(rows), ids[10 * n : 10 * (n + 1)])
        await expect(page.locator("#table-page")).to_have_text("Page 5 · 41–41 of 41")
        await expect(page.locator("#table-next")).to_be_disabled()
        assert "limit=10" in page.url and "page=5" in page.url
        await page.reload()  # the page is in the address
        await _shown(page.locator(rows), ids[40:])
        await page.locator("#table-prev").click()
        await page.locator("#table-prev").click()
        await _shown(page.locator(rows), ids[20:30])
        header = page.locator('#table-head th[data-column="store_id"]')
        await header.get_by_role("button").click()
        await expect(header).to_have_attribute("aria-sort", "descending")
        await _shown(page.locator(rows), ids[::-1][:10])  # a new order starts at its first page
        await expect(page.locator("#table-prev")).to_be_disabled()
        # Durations in hours and minutes; the CSV's hours behind them.
        first = page.locator(rows).first
        down = await first.locator('td[data-column="downtime_last_week"]').inner_text()
        assert re.fullmatch(r"(\d+ h( \d+ min)?|\d+ min|< 1 min)", down), down
        await check(page, tmp_path, "report-rows")

        await page.locator("#table-q").fill("<b")
        await _shown(page.locator(rows), [hostile])
        assert "q=%3Cb" in page.url
        await expect(page.locator("#table-page")).to_have_text("Page 1 · 1–1 of 1")
        assert await page.locator("#table-body b").count() == 0
        await page.locator("#table-body a").click()
        await expect(page.locator("#store-title")).to_have_text(f"Store {hostile}")
        focused = await page.evaluate("document.activeElement.id")
        assert focused == "store-title"  # a new page: the focus moved to its title
        await expect(page.locator("#store-row td[data-column=store_id]")).to_have_text(hostile)
        await page.reload()  # the address alone finds the store again
        await expect(page.locator("#store-title")).to_have_text(f"Store {hostile}")
        await expect(page.locator("#timeline li.day")).to_have_count(8)  # a week: 8 local dates
        assert await page.locator("main b").count() == 0
        await page.go_back()  # the table as it was left: its state is in the address
        await expect(page.locator("#table-q")).to_have_value("<b")
        await _shown(page.locator(rows), [hostile])
        await expect(page.locator("#table-order")).to_have_value("desc")


async def test_a_report_page_sums_up_the_fleet(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id = await _finished(client, {"as_of": AS_OF})
    async with open_page(browser, PHONE) as page:
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}")
        tiles = page.locator("#tiles")
        await expect(tiles.locator('[data-tile="last_hour"] .figure')).to_have_text("0.00 %")
        await expect(tiles.locator('[data-tile="last_day"] .figure')).to_have_text("91.64 %")
        await expect(tiles.locator('[data-tile="last_week"] .figure')).to_have_text("98.68 %")
        await expect(tiles).not_to_contain_text("171")  # no fleet total of store-hours
        bars = page.locator("#histogram a[data-bucket]")
        await expect(bars).to_have_count(11)
        counts = await bars.evaluate_all("bars => bars.map(b => b.dataset.stores)")
        assert counts == ["0"] * 5 + ["1", "0", "0", "0", "1"] + ["0"]
        await expect(bars.last).to_have_attribute(
            "aria-label", "0 stores without business time: list them"
        )
        await bars.nth(9).focus()  # a bar's figures by keyboard
        assert await _readout(page, "histogram") == (
            "1 store with an uptime of 90 % to 100 % over the last week"
        )
        await page.set_viewport_size(WIDE)
        await expect(page.locator("#histogram svg")).to_have_attribute(
            "width", re.compile(r"1\d\d\d")
        )
