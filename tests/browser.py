"""What the dashboard's browser tests share: Debian's Chromium driven by playwright (never a
downloaded browser), a page that fails the test on a script error or a Content-Security-Policy
refusal, the two screen sizes every page is checked at, and the checks a person would make on
each: nothing wider than the screen, no serious or critical axe-core finding.

axe-core is vendored in tests/axe/ (see its package.json and scripts/axe.sh): it is evaluated
into the page through the DevTools protocol, which the page's Content-Security-Policy does not
govern, so the policy stays as production serves it. Screenshots go to the test's tmp_path and,
when it is set, to the directory STOREMON_SCREENSHOTS names."""

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Locator, Page, async_playwright, expect

from tests.services import until

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
AXE = Path(__file__).with_name("axe") / "axe.min.js"
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"wide": WIDE, "phone": PHONE}
ZONE = "Europe/London"  # the browser's zone: the list shows times in it (GMT, BST)
SHOTS = os.environ.get("STOREMON_SCREENSHOTS")
SERIOUS = ("serious", "critical")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless; required under CI=true, skipped without it elsewhere."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: run scripts/browser.sh (Debian's chromium package)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def open_page(browser: Browser, size: dict[str, int] = WIDE) -> AsyncIterator[Page]:
    """A fresh page (touch enabled, in ZONE) that fails the test on a script error or a
    Content-Security-Policy refusal."""
    context = await browser.new_context(
        accept_downloads=True, viewport=size, has_touch=True, timezone_id=ZONE
    )
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


async def fits(page: Page) -> None:
    """Nothing makes the page scroll sideways (a chart drawn again for a new width included)."""

    async def narrow_enough() -> bool:
        wide, room = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        return bool(wide <= room)

    await until(narrow_enough, "the page to be no wider than the screen", timeout=5)


async def axe_findings(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await page.evaluate(
        """() => axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
            .filter((v) => ["serious", "critical"].includes(v.impact))
            .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))})))"""
    )
    return found


async def check(page: Page, tmp_path: Path, name: str) -> None:
    """At both sizes: no sideways scrolling, no serious axe finding, a screenshot."""
    for size_name, size in SIZES.items():
        await page.set_viewport_size(size)
        await fits(page)
        found = await axe_findings(page)
        assert found == [], f"{name} at {size_name}: {found}"
        await screenshot(page, tmp_path, f"{name}-{size_name}.png")
    await page.set_viewport_size(WIDE)


async def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """The whole page as `name` in tmp_path, copied to SHOTS when it is set."""
    target = tmp_path / name
    await page.screenshot(path=target, full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(SHOTS) / name)
    return target


def axe_version() -> str:
    """The version of the vendored axe-core, from its banner."""
    banner = AXE.read_text(encoding="utf-8")[:40]
    return banner.split("axe v", 1)[1].split()[0]


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two colours given as `rgb(r, g, b)` (a computed style)."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def shows_in_order(rows: Locator, key: str, expected: list[str], what: str) -> None:
    """The rows are these, in this order, each named by its `data-<key>` attribute (camelCase,
    as `dataset` has it)."""
    await expect(rows).to_have_count(len(expected))

    async def in_order() -> bool:
        shown = await rows.evaluate_all(f"rs => rs.map(r => r.dataset.{key})")
        return bool(shown == expected)

    await until(in_order, what, timeout=10)
