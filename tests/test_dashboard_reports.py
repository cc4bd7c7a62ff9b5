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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from sampledata.generate import generate_dataset
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from tests.browser import PHONE, WIDE, check, chromium, contrast, open_page
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
        await expect(page.locator('[data-date="2023-01-22"]')).to_be_focused()
        await monday.locator("rect.down").tap()
        assert ": down, from the poll at 2023-01-23 11:15:00 UTC" in await _readout(
            page, "timeline"
        )

        # Up, down, closed and no data: 3:1 at least against white (the gaps and separators
        # between marks) and up against down, as they are drawn.
        colours = await page.evaluate(
            """() => Object.fromEntries([
                ["up", "#timeline rect.up", "fill"], ["down", "svg .down-base", "fill"],
                ["closed", "#timeline rect.closed", "fill"],
                ["nodata", "svg .nodata-stripe", "fill"],
                ["outside", "#legend line.outside", "stroke"],
                ["separator", "#timeline rect.up", "stroke"],
            ].map(([name, css, property]) =>
                [name, getComputedStyle(document.querySelector(css))[property]]))"""
        )
        assert colours["separator"] == "rgb(255, 255, 255)"
        for name in ("up", "down", "closed", "nodata", "outside"):
            assert contrast(colours[name], "rgb(255, 255, 255)") >= 3, (name, colours)
        assert contrast(colours["up"], colours["down"]) >= 3, colours

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
            if n == 1:  # the focus stays on the button pressed, for the next page
                await expect(page.locator("#table-next")).to_be_focused()
        await expect(page.locator("#table-page")).to_have_text("Page 5 · 41–41 of 41")
        await expect(page.locator("#table-next")).to_be_disabled()
        # the button pressed is disabled now: the focus is not lost
        await expect(page.locator("#table-title")).to_be_focused()
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
        # a new page: the focus moves to its title
        await expect(page.locator("#store-title")).to_be_focused()
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


# ------------------------------------------------------------------------- a small fleet


def _fleet_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Four stores polled every hour at :30 from 2023-03-11 00:30 UTC, across Chicago's change
    to daylight saving time (Sunday 2023-03-12, a 23-hour date):
    - alpha (Chicago, 24x7): always active; the latest poll, 12:00 on the 14th, is its own;
    - bravo (Chicago, Mon-Sat 09:00-17:00, closed on Sundays): inactive on the 13th and 14th;
    - charlie (UTC, 24x7): active at its first poll, inactive ever after: the worst;
    - delta (UTC, 24x7): polled on the 11th only, active: nothing in the last hour or day.
    Before the 11th nobody was polled: a week, or a report from the 8th, starts without data."""
    lines = ["store_id,status,timestamp_utc"]
    first = datetime(2023, 3, 11, 0, 30, tzinfo=UTC)
    for n in range(84):  # to 11:30 on the 14th
        at = first + timedelta(hours=n)
        stamp = at.strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"alpha,active,{stamp}")
        lines.append(f"bravo,{'inactive' if at.day >= 13 else 'active'},{stamp}")
        lines.append(f"charlie,{'active' if n == 0 else 'inactive'},{stamp}")
        if at.day == 11:
            lines.append(f"delta,active,{stamp}")
    lines.append("alpha,active,2023-03-14 12:00:00 UTC")
    polls = tmp_path / "fleet_polls.csv"
    polls.write_text("\n".join(lines) + "\n")
    hours = tmp_path / "fleet_hours.csv"
    hours.write_text(
        "store_id,day,start_time_local,end_time_local\n"
        + "".join(f"bravo,{day},09:00:00,17:00:00\n" for day in range(6))
    )
    zones = tmp_path / "fleet_zones.csv"
    zones.write_text(
        "store_id,timezone_str\nalpha,America/Chicago\nbravo,America/Chicago\n"
        "charlie,UTC\ndelta,UTC\n"
    )
    return polls, hours, zones


async def _load_fleet(conn: asyncpg.Connection, tmp_path: Path) -> None:
    polls, hours, zones = _fleet_files(tmp_path)
    await ingest_timezones(conn, zones)
    await ingest_hours(conn, hours)
    await ingest_polls(conn, polls)


async def test_the_worst_store_comes_first_and_a_bar_lists_its_stores(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _load_fleet(conn, tmp_path)
    report_id = await _finished(client, {})
    rows = "#table-body tr"
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}")
        await expect(page.locator("#table-title")).to_have_text("Stores, worst first")
        await _shown(page.locator(rows), ["charlie", "bravo", "alpha", "delta"])
        worst = page.locator(rows).first
        await expect(worst.locator('td[data-column="uptime_percent"]')).to_have_text(
            re.compile(r"^▼ below target: \d+\.\d\d$")
        )
        tiles = page.locator("#tiles")
        await expect(tiles.locator('[data-tile="last_week"] .verdict')).to_have_text("below target")
        await expect(tiles.locator('[data-tile="below_target"] .figure')).to_have_text("2")
        await expect(tiles.locator('[data-tile="below_target"]')).to_contain_text(
            "under 99 % over the last week, of 4 stores"
        )
        await expect(tiles.locator('[data-tile="without_data"] .figure')).to_have_text("1")
        await expect(tiles.locator('[data-tile="last_hour"]')).to_contain_text(
            re.compile(r"(▲ up|▼ down) \d+\.\d\d points vs the hour before|no change")
        )
        await expect(page.locator("#histogram line.target")).to_have_count(1)
        await expect(page.locator("#warnings")).to_contain_text("Old data:")
        await check(page, tmp_path, "report-standard")

        # A bar of the histogram lists exactly its stores; the bucket is in the address.
        bar = page.locator('#histogram a[data-bucket="8"]')
        await expect(bar).to_have_attribute("data-stores", "1")
        await bar.click()
        await expect(page).to_have_url(re.compile(r"bucket=8"))
        await _shown(page.locator(rows), ["bravo"])
        await expect(page.locator("#table-filter")).to_contain_text("80 % to under 90 %")
        await expect(bar).to_have_attribute("aria-current", "true")
        await page.reload()
        await _shown(page.locator(rows), ["bravo"])
        await page.set_viewport_size(PHONE)
        await page.locator('#histogram a[data-bucket="9"]').tap()  # by touch, on a phone
        await _shown(page.locator(rows), ["alpha", "delta"])
        await page.locator("#table-filter").get_by_role("link", name="List every store").click()
        await _shown(page.locator(rows), ["charlie", "bravo", "alpha", "delta"])
        await page.locator("#table-order").select_option("desc")
        best = await (await client.get(f"/reports/{report_id}/stores?order=desc")).json()
        best_first = [s["store_id"] for s in best["stores"]]
        assert best_first[2:] == ["bravo", "charlie"]
        await _shown(page.locator(rows), best_first)

        # The CSV's rows, with each window's percent: a window without a poll says "no data".
        await page.get_by_role("link", name="Rows of the CSV").click()
        await expect(page).to_have_url(re.compile(r"view=rows"))
        await page.locator("#table-sort").select_option("uptime_percent_last_hour")
        # bravo opens at 09:00 in Chicago: no business time in the last hour, so it comes last.
        await _shown(page.locator(rows), ["charlie", "alpha", "delta", "bravo"])
        bravo = page.locator(f'{rows}[data-store="bravo"]')
        await expect(bravo.locator('td[data-column="uptime_percent_last_hour"]')).to_have_text(
            "no business time"
        )
        delta = page.locator(f'{rows}[data-store="delta"]')
        await expect(delta.locator('td[data-column="uptime_percent_last_hour"]')).to_contain_text(
            "no data"
        )
        await expect(delta.locator('td[data-column="uptime_percent_last_week"]')).to_have_text(
            "100.00"
        )
        await check(page, tmp_path, "report-standard-rows")


async def test_a_daily_report_shows_its_coverage_its_trend_and_its_worst_stores(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _load_fleet(conn, tmp_path)
    report_id = await _finished(client, {"from": "2023-03-08", "to": "2023-03-14"})
    dates = [f"2023-03-{d:02d}" for d in range(8, 15)]
    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")) + f"#/reports/{report_id}")
        warnings = page.locator("#warnings")
        await expect(warnings).to_contain_text(
            "No data on 2 periods: no store had a poll from 2023-03-08 to 2023-03-09"
        )
        await expect(warnings).to_contain_text(
            "The last period is partial: the period from 2023-03-14"
        )
        # The fleet per date: no point where nobody was polled, the partial date marked.
        trend = page.locator("#trend svg")
        await expect(trend.locator("rect.hit")).to_have_count(7)
        await expect(trend.locator("rect.band.nodata")).to_have_count(2)
        await expect(trend.locator(".point")).to_have_count(5)
        await expect(trend.locator(".point.partial")).to_have_count(1)
        await expect(trend.locator("text", has_text="partial")).to_have_count(1)
        await trend.focus()
        await page.keyboard.press("ArrowRight")
        assert (await _readout(page, "trend")).startswith(
            "2023-03-08 (Wed): no data: no store had a poll"
        )
        table = page.locator("#periods tbody tr")
        await _shown(table, dates, "period")
        await expect(table.first.locator("td").nth(1)).to_have_text("no data")
        await expect(table.last.locator("td").first).to_have_text("2023-03-14 partial")

        # The worst stores, a cell per date: hatched without a poll, a line when closed.
        lanes = page.locator("#heatmap svg.lane")
        await expect(lanes).to_have_count(4)
        links = await page.locator("#heatmap .heat-row a").all_inner_texts()
        assert links == ["charlie", "bravo", "alpha", "delta"]
        bravo = lanes.nth(1)
        classes = await bravo.locator("rect").evaluate_all(
            "cells => cells.map(c => c.getAttribute('class'))"
        )
        assert classes[:2] == ["cell nodata", "cell nodata"]  # the 8th and 9th: nobody polled
        assert classes[4] == "cell closed"  # Sunday the 12th: bravo is closed
        await bravo.focus()
        await page.keyboard.press("ArrowRight")
        assert (await _readout(page, "heatmap")).startswith(
            "bravo, 2023-03-08 (Wed): no data: no poll that date"
        )
        await expect(page.locator("#heatmap-data tbody tr")).to_have_count(4)  # as a table
        await _shown(page.locator("#table-body tr"), ["charlie", "bravo", "alpha", "delta"])
        await expect(
            page.locator('#table-body tr[data-store="charlie"] td[data-column="worst_period"]')
        ).to_contain_text("2023-03-")
        await check(page, tmp_path, "report-daily")

        # Its rows: a date without a poll is "no data", whatever was carried into it.
        await page.goto(
            str(client.make_url("/"))
            + f"#/reports/{report_id}?view=rows&sort=period_start&q=charlie"
        )
        rows = page.locator("#table-body tr")
        await expect(rows).to_have_count(7)
        await expect(rows.first.locator('td[data-column="uptime_percent"]')).to_contain_text(
            "no data"
        )
        await expect(rows.last.locator('td[data-column="period_start"]')).to_have_text(
            "2023-03-14 partial"
        )
        await check(page, tmp_path, "report-daily-rows")

        # A store's own dates: the same words on its page.
        await rows.first.get_by_role("link", name="charlie").click()
        periods = page.locator("#store-periods tbody tr")
        await _shown(periods, dates, "period")
        await expect(periods.first.locator('td[data-label="Uptime (%)"]')).to_contain_text(
            "no data"
        )
        await expect(periods.last.locator("td").first).to_have_text("2023-03-14 partial")
        await check(page, tmp_path, "store-daily")


async def test_a_store_page_across_a_change_of_offset(
    browser: Browser, client: Client, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await _load_fleet(conn, tmp_path)
    report_id = await _finished(client, {})
    base = str(client.make_url("/")) + f"#/reports/{report_id}/stores/"
    async with open_page(browser) as page:
        await page.goto(base + "alpha")
        await expect(page.locator("#store-zone")).to_have_text(
            "America/Chicago: CST (UTC-06:00); CDT (UTC-05:00) from 2023-03-12"
        )
        sunday = page.locator('#timeline li.day[data-date="2023-03-12"]')
        await expect(sunday.locator(".note")).to_have_text("23 h, CST → CDT")
        # Nobody polled alpha before the evening of the 10th (local): those dates say so.
        marked = page.locator("#timeline li.day:has(.nodata-mark)")
        await _shown(marked, ["2023-03-07", "2023-03-08", "2023-03-09"], "date")
        hour = page.locator('#store-windows tr[data-window="last_hour"]')
        await expect(hour.locator('td[data-label="Uptime (%)"]')).to_have_text("100.00")
        await expect(hour.locator('td[data-label="Polls"]')).to_have_text("2")
        await expect(page.locator("#store-meta")).to_contain_text("as of 2023-03-14 07:00:00 CDT")
        await check(page, tmp_path, "store-dst")

        await page.goto(base + "delta")
        hour = page.locator('#store-windows tr[data-window="last_hour"]')
        await expect(hour.locator('td[data-label="Uptime (%)"]')).to_contain_text("no data")

        # Business hours only: the strip spans 09:00 to 17:00, the choice in the address.
        await page.goto(base + "bravo")
        await page.locator("#timeline-span").select_option("business")
        await expect(page).to_have_url(re.compile(r"stores/bravo\?hours=business$"))
        scale = page.locator("#timeline li.hours .scale span")
        await expect(scale.first).to_have_text("09:00")
        await expect(scale.last).to_have_text("17:00")
        monday = page.locator('#timeline li.day[data-date="2023-03-13"]')
        await expect(monday).to_have_attribute(
            "aria-label", "Mon 2023-03-13: up 0 min, down 8 h; 24 polls"
        )
        await expect(monday.locator("rect.down")).to_have_count(8)  # one per observation
        await expect(monday.locator("rect.down").first).to_have_attribute(
            "data-tip",
            "Mon 2023-03-13, 09:00:00 CDT → 10:00:00 CDT (1 h): down, from the poll at"
            " 2023-03-13 09:30:00 CDT",
        )
        await check(page, tmp_path, "store-business-hours")
