"""The dashboard's pages of the present in Debian's headless Chromium (tests/browser.py), over the
real API, a worker, PostgreSQL and RabbitMQ: the Now page (the counts as /fleet/now has them, the
store down longest first and its page, paging, a refresh that keeps the page and the focus, the
event of an ingest that takes a store down) and the webhooks pages (the API's refusals shown,
register, the secret shown once, a test delivery to a receiver on a loopback port, deletion),
each at 1440×900 and 390×844 with nothing wider than the screen and no serious or critical
axe-core finding."""

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from shared.config import Settings
from shared.ingest import ingest_hours, ingest_timezones
from tests.browser import PHONE, WIDE, check, chromium, open_page, shows_in_order
from tests.conftest import api_with
from tests.receiver import Receiver, receiving
from tests.sample import Client
from tests.services import until
from worker.main import Worker

pytestmark = pytest.mark.usefixtures("purge_queue")

HEADER = "store_id,status,timestamp_utc\n"
NOW = datetime(2023, 1, 2, 12, 0, tzinfo=UTC)  # a Monday; the browser's zone shows it in GMT
LATER = NOW + timedelta(minutes=40)
# d01…d25 (no hours: open 24x7) went down in turn, each 10 minutes after the one before: dk was
# active (26 - k) × 20 minutes before NOW and inactive at NOW, so it is down since halfway,
# (26 - k) × 10 minutes before NOW. d01 is down longest (4 h 10 min); d25 only 10 minutes, too
# short for a store.down (30 minutes), until LATER. u1 is up; c1 is closed (open 09:00-11:00 on
# Mondays); s1 is up but its last poll is 3 hours old (stale).
DOWN = [f"d{k:02}" for k in range(1, 26)]
REPORT_TIMEOUT_MS = 30_000
REFRESH_MS = 20_000  # the Now page refreshes every 5 s; the workers have their turn between
WORKER_MS = 30_000  # the worker's part (present jobs, a delivery) on a busy machine


def _at(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%S UTC")


def _first_polls() -> str:
    lines = []
    for k, store in enumerate(DOWN, start=1):
        lines.append(f"{store},active,{_at(NOW - timedelta(minutes=(26 - k) * 20))}")
        lines.append(f"{store},inactive,{_at(NOW)}")
    lines += [
        f"u1,active,{_at(NOW - timedelta(hours=1))}",
        f"u1,active,{_at(NOW)}",
        f"c1,active,{_at(NOW - timedelta(minutes=90))}",
        f"s1,active,{_at(NOW - timedelta(hours=3))}",
    ]
    return HEADER + "\n".join(lines) + "\n"


def _later_polls() -> str:
    lines = [f"{store},inactive,{_at(LATER)}" for store in DOWN] + [f"u1,active,{_at(LATER)}"]
    return HEADER + "\n".join(lines) + "\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Webhooks may reach the receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true), for the API and
    the worker alike."""
    return dataclasses.replace(settings, webhook_allow_private=True)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _push(client: Client, body: str) -> None:
    response = await client.post("/polls", data=body.encode(), headers={"Content-Type": "text/csv"})
    assert response.status == 200, await response.text()


async def _present(client: Client, now: datetime) -> dict[str, Any]:
    """/fleet/now once the workers have evaluated the polls up to `now`."""
    body: dict[str, Any] = {}
    expected = now.isoformat().replace("+00:00", "Z")

    async def caught_up() -> bool:
        body.update(await (await client.get("/fleet/now")).json())
        return bool(body["up_to_date"]) and body["now"] == expected

    await until(caught_up, f"the present at {expected}")
    return body


async def _rows(page: Page, expected: list[str]) -> None:
    """The down stores' table shows these stores, in this order."""
    what = f"the down stores {expected[0]}…{expected[-1]}"
    await shows_in_order(page.locator("#down-body tr"), "store", expected, what)


def _named(page: Page, name: str) -> Locator:
    """The element whose id or aria-label is `name` (to wait for the focus to reach it: a page
    moves it once it has rendered)."""
    return page.locator(f'[id="{name}"], [aria-label="{name}"]')


async def _in_view(page: Page, selector: str) -> None:
    """The element is inside the screen's width (reachable without sideways scrolling)."""
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    width = (page.viewport_size or WIDE)["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


async def test_the_now_page_counts_the_fleet_and_lists_the_longest_down_first(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    hours, zones = tmp_path / "hours.csv", tmp_path / "zones.csv"
    hours.write_text("store_id,day,start_time_local,end_time_local\nc1,0,09:00,11:00\n")
    zones.write_text("store_id,timezone_str\nc1,UTC\n")
    await ingest_hours(conn, hours)
    await ingest_timezones(conn, zones)
    # Events recorded long ago, before ours: the page finds the newest among thousands.
    await conn.execute(
        "INSERT INTO events (type, at, data) SELECT 'report.failed',"
        " '2022-06-01'::timestamptz + n * interval '1 minute', jsonb_build_object('report_id',"
        " '00000000-0000-4000-8000-000000000000', 'status', 'Failed', 'error', 'old')"
        " FROM generate_series(1, 2500) n"
    )
    await _push(client, _first_polls())
    fleet = await _present(client, NOW)
    assert fleet["counts"] == {"open_up": 2, "open_down": 25, "closed": 1, "stale": 1}
    assert [s["store_id"] for s in fleet["stores"]] == DOWN

    async with open_page(browser) as page:
        await page.goto(str(client.make_url("/")))  # the landing page
        await expect(page.locator("#now-title")).to_have_text("The stores now")
        assert await page.title() == "Now — Store Monitor"
        await expect(page.locator('#sections a[aria-current="page"]')).to_have_text("Now")
        await expect(page.locator("#now-when")).to_contain_text(
            "Now is the latest poll: 2023-01-02 12:00:00 GMT"
        )
        for name, value in fleet["counts"].items():
            tile = page.locator(f'#now-counts [data-tile="{name}"] .figure')
            await expect(tile).to_have_text(str(value))

        # The longest down first, in the owner's words; 20 a page.
        await _rows(page, DOWN[:20])
        first = page.locator('#down-body tr[data-store="d01"]')
        await expect(first.locator("td")).to_have_text(
            [
                "d01 Make a report and open",
                "2023-01-02 07:50:00 GMT",
                "4 h 10 min",
                "2023-01-02 12:00:00 GMT · at now",
            ]
        )
        await expect(page.locator("#down-page")).to_have_text("Page 1 · 1–20 of 25")
        # The newest events, by when they happened: d23's store.down (at now, 30 minutes into
        # its outage) on top, none of the 2,500 old ones, none for d25 yet.
        events = page.locator("#events li.event")
        await expect(events).to_have_count(20)
        await expect(events.first).to_have_attribute("data-type", "store.down")
        await expect(events.first).to_contain_text(
            "Store d23 has been down since 2023-01-02 11:30:00"
        )
        await expect(events.first.locator(".when")).to_have_text("2023-01-02 12:00:00 GMT")
        await expect(page.locator('#events li[data-type="report.failed"]')).to_have_count(0)
        await expect(page.locator("#events")).not_to_contain_text("d25")

        # A refresh keeps the focus where it was, and the row where it was.
        make = first.get_by_role("button", name="Make a report and open the page of store d01")
        await make.focus()
        updated = await page.locator("#now-when .muted").inner_text()
        await expect(page.locator("#now-when .muted")).not_to_have_text(updated, timeout=REFRESH_MS)
        await expect(_named(page, "Make a report and open the page of store d01")).to_be_focused()

        # The next page is in the address; the last page's Next is disabled: the title takes
        # the focus.
        await page.get_by_role("button", name="Next").click()
        await expect(page).to_have_url(re.compile(r"#/\?page=2&cursor="))
        await _rows(page, DOWN[20:])
        await expect(page.locator("#down-next")).to_be_disabled()
        await expect(_named(page, "down-title")).to_be_focused()
        await page.reload()
        await _rows(page, DOWN[20:])
        await expect(page.locator("#down-page")).to_have_text("Page 2 · 21–25 of 25")
        await page.get_by_role("button", name="Previous").click()
        await _rows(page, DOWN[:20])

        # No report has the store yet: the button makes one, then opens the store's page.
        await first.get_by_role("button", name=re.compile("Make a report and open")).click()
        await expect(page).to_have_url(
            re.compile(r"#/reports/[0-9a-f-]{36}/stores/d01$"), timeout=REPORT_TIMEOUT_MS
        )
        await expect(page.locator("#store-title")).to_have_text("Store d01")
        await expect(page.locator("#store-zone")).to_be_visible()
        report_id = page.url.split("/reports/")[1].split("/")[0]
        await page.go_back()

        # Now each down store links to its page in that report.
        note = page.locator("#down-note")
        await expect(note).to_contain_text(f"Store pages open in report {report_id[:8]}")
        d02 = page.locator('#down-body tr[data-store="d02"]').get_by_role("link")
        await expect(d02).to_have_attribute("href", f"#/reports/{report_id}/stores/d02")
        await d02.click()
        await expect(page.locator("#store-title")).to_have_text("Store d02")
        await expect(page.locator("#timeline li.day").first).to_be_visible()
        await expect(_named(page, "store-title")).to_be_focused()
        await page.go_back()
        await expect(page.locator("#now-view")).to_be_visible()
        await expect(_named(page, "now-title")).to_be_focused()
        completed = page.locator('#events li[data-type="report.completed"]')
        await expect(completed).to_contain_text(f"Report {report_id[:8]}")
        await check(page, tmp_path, "now")

        # On a phone: the down stores are cards, the longest down on top, its link in reach.
        await page.set_viewport_size(PHONE)
        await _in_view(page, '#down-body tr[data-store="d01"] a')
        await page.locator('#down-body tr[data-store="d01"] a').tap()
        await expect(page.locator("#store-title")).to_have_text("Store d01")
        await page.go_back()
        await page.set_viewport_size(WIDE)

        # An ingest that takes d25 down past 30 minutes: its event appears, and the page moves on
        # to the new now.
        await _push(client, _later_polls())
        down_d25 = page.locator('#events li[data-type="store.down"]', has_text="d25")
        await expect(down_d25).to_contain_text("2023-01-02 12:20:00 GMT", timeout=WORKER_MS)
        await expect(page.locator("#now-when")).to_contain_text("2023-01-02 12:40:00 GMT")
        await expect(first.locator("td").nth(2)).to_have_text("4 h 50 min")

        # The events can be narrowed to the reports' (in the address).
        await page.locator("#events-filter").select_option("reports")
        await expect(page).to_have_url(re.compile(r"#/\?events=reports$"))
        await expect(page.locator('#events li[data-type^="store."]')).to_have_count(0)
        await expect(events).to_have_count(20)
        types = await events.evaluate_all("items => [...new Set(items.map(i => i.dataset.type))]")
        assert sorted(types) == ["report.completed", "report.failed"]
        await expect(completed).to_have_count(1)


async def test_the_now_page_says_plainly_when_there_is_nothing(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    async with open_page(browser, PHONE) as page:
        await page.goto(str(client.make_url("/")))
        await expect(page.locator("#now-state")).to_contain_text("No polls yet")
        await expect(page.locator("#now-body")).to_be_hidden()
        await check(page, tmp_path, "now-no-polls")
        # Polls, none of them down: nothing down, and no event, said so; the data is years old.
        await _push(client, HEADER + f"u1,active,{_at(NOW)}\n")
        await _present(client, NOW)
        await expect(page.locator("#down-empty")).to_have_text(
            "No store is down while open right now.", timeout=REFRESH_MS
        )
        await expect(page.locator("#down-table")).to_be_hidden()
        await expect(page.locator('#now-counts [data-tile="open_up"] .figure')).to_have_text("1")
        await expect(page.locator("#now-when")).to_contain_text("2023-01-02 12:00:00 GMT")
        await expect(page.locator("#now-lag")).to_contain_text("No poll has arrived for")
        await expect(page.locator("#events-empty")).to_contain_text("No events yet")
        await check(page, tmp_path, "now-nothing-down")


# ------------------------------------------------------------------------------------ webhooks


async def _refusal(client: Client, body: dict[str, Any]) -> str:
    """What the API answers to registering `body`: its status and words, as the page shows."""
    response = await client.post("/webhooks", json=body)
    assert response.status == 400, await response.text()
    return f"400 {(await response.json())['error']}"


async def test_register_test_and_delete_a_webhook(
    browser: Browser, client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    bad = {"url": "ftp://ops.example.com/hook", "events": ["store.down", "store.up"]}
    refused = await _refusal(client, bad | {"description": ""})
    async with receiving(Receiver()) as receiver, open_page(browser, PHONE) as page:
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        await page.goto(str(client.make_url("/")))
        await page.get_by_role("link", name="Webhooks").click()
        await expect(page).to_have_url(re.compile(r"#/webhooks$"))
        await expect(_named(page, "hooks-title")).to_be_focused()
        await expect(page.locator("#hooks-empty")).to_be_visible()
        await check(page, tmp_path, "webhooks-empty")

        # The API's words when it refuses; nothing registered.
        await page.get_by_label("URL").fill(bad["url"])
        await page.get_by_role("button", name="Register endpoint").click()
        await expect(page.locator("#hook-error")).to_have_text(f"Not registered: {refused}")
        assert await conn.fetchval("SELECT count(*) FROM webhooks") == 0

        await page.get_by_label("URL").fill(receiver.url)
        await page.get_by_label("A report is complete").check()
        await page.get_by_label("Description").fill("The ops pager")
        async with page.expect_response(
            lambda r: r.url.endswith("/webhooks") and r.request.method == "POST"
        ) as answer:
            await page.get_by_role("button", name="Register endpoint").click()
        response = await answer.value
        assert response.status == 201
        assert response.request.post_data_json == {
            "url": receiver.url,
            "events": ["store.down", "store.up", "report.completed"],
            "description": "The ops pager",
        }
        hook_id = (await response.json())["id"]
        await expect(page.locator("#hook-error")).to_have_text("")

        # The secret, once: with a copy button and the warning.
        box = page.locator("#secret-box")
        await expect(box).to_be_visible()
        await expect(box).to_contain_text("Shown only once")
        await expect(_named(page, "secret-title")).to_be_focused()
        secret = await page.locator("#secret").input_value()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        await box.get_by_role("button", name="Copy secret").click()
        await expect(page.locator("#copy-state")).to_have_text("Copied.")
        assert await page.evaluate("navigator.clipboard.readText()") == secret

        row = page.locator(f'#hooks-body tr[data-hook-id="{hook_id}"]')
        await expect(row.locator("td.hook-url a")).to_have_text(receiver.url)
        await expect(row.locator("td.hook-url")).to_contain_text("The ops pager")
        await expect(row.locator("td.hook-events")).to_have_text(
            "a store is down, a store is up again, a report is complete"
        )
        await expect(row.locator("td.hook-state")).to_contain_text("✓ OK")
        await check(page, tmp_path, "webhooks-registered")
        await box.get_by_role("button", name="I have copied it").click()
        await expect(box).to_be_hidden()
        await page.reload()
        await expect(row).to_be_visible()
        assert secret not in await page.content()  # never shown again

        # The endpoint's page: a test event, its delivery with every attempt.
        await row.locator("td.hook-url a").click()
        await expect(page).to_have_url(re.compile(f"#/webhooks/{hook_id}$"))
        await expect(page.locator("#hook-title")).to_have_text(receiver.url)
        await expect(_named(page, "hook-title")).to_be_focused()
        await expect(page.locator("#deliveries-empty")).to_be_visible()
        await page.get_by_role("button", name=f"Send test event to {receiver.url}").click()
        await expect(page.locator("#hook-notice")).to_contain_text("Test event sent")
        delivery = page.locator("#deliveries li.delivery").first
        await expect(delivery).to_have_attribute("data-state", "delivered", timeout=WORKER_MS)
        await expect(delivery.locator(".delivery-head")).to_have_text("✓ Delivered Test event")
        attempt = delivery.locator("tbody tr")
        await expect(attempt).to_have_count(1)
        await expect(attempt.locator("td.code")).to_have_text("HTTP 204")
        await expect(attempt.locator("td.num")).to_have_text(re.compile(r"^\d+ ms$|^\d+\.\d s$"))
        await expect(attempt.locator("td.wide")).to_have_text("none")
        # Signed with the secret the page showed.
        assert receiver.bad_signatures == 0
        assert [body["type"] for body in receiver.accepted] == ["webhook.test"]
        await check(page, tmp_path, "webhook-deliveries")
        await page.reload()  # the endpoint is in the address
        await expect(page.locator("#deliveries li.delivery")).to_have_count(1)

        # Deleting asks first; "Keep it" keeps it.
        await page.get_by_role("button", name=f"Delete the endpoint {receiver.url}").click()
        confirm = page.get_by_role("group", name="Confirm the deletion")
        await expect(confirm).to_contain_text(f"Delete {receiver.url}?")
        await confirm.get_by_role("button", name="Keep it").click()
        await expect(confirm).to_have_count(0)
        await expect(_named(page, f"Delete the endpoint {receiver.url}")).to_be_focused()
        await page.get_by_role("button", name=f"Delete the endpoint {receiver.url}").click()
        await confirm.get_by_role("button", name="Delete it").click()
        await expect(page).to_have_url(re.compile(r"#/webhooks$"))
        await expect(page.locator("#hooks-notice")).to_have_text(
            f"Endpoint {receiver.url} deleted, with its deliveries."
        )
        await expect(page.locator("#hooks-empty")).to_be_visible()
        assert (await (await client.get("/webhooks")).json())["webhooks"] == []


@pytest.fixture
async def strict(settings: Settings, conn: asyncpg.Connection) -> AsyncIterator[Client]:
    """The API as deployed: webhook URLs may not reach private addresses."""
    async with api_with(settings, webhook_allow_private=False) as test_client:
        yield test_client


async def test_a_private_url_is_refused_in_the_api_s_words(
    browser: Browser, strict: Client, conn: asyncpg.Connection
) -> None:
    url = "http://127.0.0.1:9/hook"
    refused = await _refusal(strict, {"url": url, "events": ["store.down"]})
    assert "loopback" in refused
    async with open_page(browser, PHONE) as page:
        await page.goto(str(strict.make_url("/")) + "#/webhooks")
        await page.get_by_label("URL").fill(url)
        await page.get_by_role("button", name="Register endpoint").click()
        await expect(page.locator("#hook-error")).to_have_text(f"Not registered: {refused}")
        await expect(page.locator("#secret-box")).to_be_hidden()
    assert await conn.fetchval("SELECT count(*) FROM webhooks") == 0
