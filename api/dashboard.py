"""The dashboard page, `GET /`: one static HTML page with plain JavaScript (no build step).

Its markup, style and script are plain files in api/static/ (dashboard.html, dashboard.css,
dashboard.js), read once at import and served as one page, the style and script inline where
dashboard.html holds their markers, so that a Content-Security-Policy with their sha256 hashes
lets only them run. The JSON the page polls, `GET /api/reports`, is in api/routes.py.

The landing page, Now (`#/`), shows the fleet at the latest poll (`GET /fleet/now`, refreshed every
few seconds): the counts, the stores down while open longest first (each linked to its page in the
newest Complete report that has it, or made from a report it triggers) and the newest events
(`/events`). The webhooks pages (`#/webhooks`, `#/webhooks/<id>`) register endpoints (the secret
shown once), send a test event, list deliveries with every attempt and delete. The reports list
(`#/reports`) pages through every report (`/api/reports` and its cursor, refreshed every second
while on screen): status, parameters, as_of, duration, a progress bar and Cancel while Running, the
error of a Failed one; any report opens, whatever its status. "Trigger report" and a period-report
form post to `/trigger_report` and show the API's errors. A report's page (`#/reports/<id>`) reads
as an owner would: cautions (old data, periods nobody polled, a partial period), tiles against
UPTIME_TARGET_PERCENT with the change against the window or period before, a trend chart and a
heatmap of the worst stores for period reports, a histogram whose bars filter the stores ranked
worst first (`/reports/<id>/stores`) or the CSV's rows. A store's page
(`#/reports/<id>/stores/<store_id>`) holds its explanation: zone, hours, a timeline per local date
(patterns, not colour alone; "no data" where nobody polled), outages in local time. Sort, order,
search, bucket and page live in the address. When the API answers 401 (API_TOKEN set, see
api/auth.py) the page asks for the token once, keeps it in sessionStorage and sends it with every
request; downloads go through fetch + Blob + object URL so that they carry the header too. All text
reaches the page through `textContent`, never as markup.
"""

import base64
import hashlib
import re
from importlib import resources

from aiohttp import web

routes = web.RouteTableDef()
STATIC = resources.files("api") / "static"
MARKER_PREFIX = "@@STOREMON-INLINE"


def _read(name: str) -> str:
    # Universal newlines, as an HTML parser normalises them: the hashes match what it sees.
    return STATIC.joinpath(name).read_text(encoding="utf-8")


def _marker(name: str) -> str:
    """The comment in dashboard.html that the file `name` replaces, inline."""
    return f"/*{MARKER_PREFIX} {name}@@*/"


def _inline(page: str, name: str, forbidden: str) -> tuple[str, str]:
    """`page` with the file `name` in place of its marker; the file's text. Fails loudly when
    the marker is not there once, or the text holds what would end its element early."""
    text = _read(name)
    marker = _marker(name)
    if page.count(marker) != 1:
        raise RuntimeError(f"api/static/dashboard.html must hold {marker} exactly once")
    if MARKER_PREFIX in text or re.search(forbidden, text, re.IGNORECASE):
        raise RuntimeError(f"api/static/{name} must hold no {MARKER_PREFIX} and no {forbidden}")
    return page.replace(marker, text), text


def _build() -> tuple[str, str, str]:
    """The page, its style and its script."""
    page = _read("dashboard.html")
    page, style = _inline(page, "dashboard.css", "</style")
    page, script = _inline(page, "dashboard.js", "</script|<!--")
    return page, style, script


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


_PAGE, _STYLE, _SCRIPT = _build()

# Only this page's own script and style run: no inline handlers, no other origin.
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {_sha256(_SCRIPT)}; style-src {_sha256(_STYLE)}; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@routes.get("/")
async def dashboard(request: web.Request) -> web.Response:
    """The dashboard page (static; it holds no data, see api/auth.py)."""
    return web.Response(text=_PAGE, content_type="text/html", headers=HEADERS)
