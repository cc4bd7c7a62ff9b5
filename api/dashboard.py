"""The dashboard: `GET /`, one static HTML page with plain JavaScript (no build step), and the
JSON it polls, `GET /api/reports?limit=N`.

The page polls `/api/reports` every second and shows each recent report's status, as_of,
duration (finished_at − requested_at, or the running time so far), a progress bar while it is
Running, its error when it Failed and a download link once it is Complete. "Trigger report"
posts to `/trigger_report` (as_of = the latest poll); errors (503 and the like) are shown on
the page. When the API answers 401 (API_TOKEN set, see api/auth.py) the page asks for the
token once, keeps it in sessionStorage and sends it with every request; downloads go through
fetch + Blob + object URL so that they carry the header too. All text reaches the page through
`textContent`, never as markup.
"""

import base64
import hashlib
import re

from aiohttp import web

from api.errors import json_response
from api.reads import read
from shared.db import reports
from shared.errors import BadInput

routes = web.RouteTableDef()
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
_LIMIT = re.compile(r"[0-9]{1,6}")


def parse_limit(values: list[str]) -> int:
    """The `limit` query parameter: absent = 20; otherwise one integer from 1 to 200."""
    if not values:
        return DEFAULT_LIMIT
    if len(values) > 1:
        raise BadInput("limit must be given once")
    if not _LIMIT.fullmatch(values[0]) or not 1 <= int(values[0]) <= MAX_LIMIT:
        raise BadInput(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(values[0])


@routes.get("/api/reports")
async def list_reports(request: web.Request) -> web.Response:
    """The most recently requested reports, newest first, each as `GET /get_report` shows it."""
    limit = parse_limit(request.query.getall("limit", []))
    rows = await read(request, lambda conn: reports.recent(conn, limit))
    return json_response({"reports": [reports.status_json(row) for row in rows]})


_STYLE = """
:root { font-family: system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
body { margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
.bar { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin-bottom: 1rem; }
button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
#updated, .muted { color: #667085; font-size: .9rem; }
#notice { color: #185c37; }
#errors { color: #a4161a; background: #fde8e8; border: 1px solid #f5b5b5; padding: .5rem 1rem;
  margin: 0 0 1rem; list-style: none; }
#auth { background: #fff7e0; border: 1px solid #e8c766; padding: .75rem 1rem; margin-bottom: 1rem; }
#auth input { font: inherit; width: 22rem; max-width: 100%; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e4e7ec;
  vertical-align: middle; }
th { background: #eef1f5; font-weight: 600; }
code { font-size: .85rem; }
td.asOf, td.requested, td.duration, td.csv { white-space: nowrap; }
tr[data-status="Complete"] .status { color: #185c37; font-weight: 600; }
tr[data-status="Failed"] .status { color: #a4161a; font-weight: 600; }
tr[data-status="Running"] .status { color: #1849a9; font-weight: 600; }
.error { color: #a4161a; }
progress { width: 9rem; vertical-align: middle; margin-right: .5rem; }
"""

_SCRIPT = r"""
"use strict";
(() => {
  const TOKEN_KEY = "storemon.apiToken";
  const POLL_MS = 1000;
  const LIMIT = 20;
  const CSV_URL = /^\/reports\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.csv$/;
  const $ = (id) => document.getElementById(id);
  const rows = new Map();    // report_id -> {tr, cells}
  const errors = new Map();  // where -> message
  let skew = 0;              // the server's clock minus this browser's, when clearly off
  let timer = null, inFlight = false, again = false, waitingForToken = false;

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }
  function storeToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lasts until the page is left */ }
    $("forget").hidden = !token();
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }
  function setError(where, message) {
    if (message) errors.set(where, message); else errors.delete(where);
    const list = $("errors");
    list.replaceChildren(...[...errors.values()].map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    list.hidden = errors.size === 0;
  }

  // Every request goes through here: the token (if any) rides along; a 401 asks for it.
  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    const sent = token();
    if (sent) headers.set("Authorization", "Bearer " + sent);
    const response = await fetch(path, { ...options, headers, cache: "no-store" });
    const serverNow = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(serverNow)) {
      const offset = serverNow - Date.now();  // the Date header has whole seconds only
      skew = Math.abs(offset) > 2000 ? offset : 0;
    }
    if (response.status === 401) askForToken(sent !== "");
    return response;
  }
  async function describe(response) {
    let detail = "";
    try {
      const body = await response.json();
      detail = String(body.error || body.status || "");
    } catch (e) { /* not JSON */ }
    return response.status + " " + (detail || response.statusText || "error");
  }

  function askForToken(refused) {
    if (refused) storeToken("");
    waitingForToken = true;
    setText($("auth-message"), refused
      ? "The API refused that token. Enter the API token (API_TOKEN):"
      : "This API needs a token. Enter the API token (API_TOKEN):");
    const form = $("auth");
    if (form.hidden) {
      form.hidden = false;
      $("token").focus();
    }
  }
  function useToken(event) {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    storeToken(value);
    $("token").value = "";
    $("auth").hidden = true;
    waitingForToken = false;
    poll();
  }

  function when(iso) {
    return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "";
  }
  function millis(iso) {
    return Date.parse(iso.replace(/(\.\d{3})\d+/, "$1"));
  }
  function duration(ms) {
    const s = Math.max(0, ms) / 1000;
    if (s < 10) return s.toFixed(1) + " s";
    if (s < 60) return Math.round(s) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + String(Math.floor(s % 60)).padStart(2, "0") + " s";
    return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  }

  function newRow(report) {
    const tr = document.createElement("tr");
    tr.dataset.reportId = report.report_id;
    const cells = {};
    for (const name of ["id", "status", "asOf", "requested", "duration", "progress", "csv"]) {
      cells[name] = tr.insertCell();
      cells[name].className = name;
    }
    const code = document.createElement("code");
    code.textContent = report.report_id.slice(0, 8);
    code.title = report.report_id;
    cells.id.append(code);
    return { tr, cells };
  }
  function update(row, report) {
    const { tr, cells } = row;
    tr.dataset.status = report.status;
    setText(cells.status, report.status);
    setText(cells.asOf, report.as_of ? when(report.as_of) : "— (no polls)");
    cells.asOf.title = report.as_of || "";
    setText(cells.requested, when(report.requested_at));
    if (report.finished_at) {
      setText(cells.duration, duration(millis(report.finished_at) - millis(report.requested_at)));
    } else {
      setText(cells.duration, duration(Date.now() + skew - millis(report.requested_at)));
    }
    if (report.status === "Running") {
      let bar = cells.progress.querySelector("progress");
      if (!bar) {
        cells.progress.replaceChildren();
        bar = document.createElement("progress");
        bar.max = 1;
        bar.setAttribute("aria-label", "progress of report " + report.report_id);
        cells.progress.append(bar, document.createElement("span"));
      }
      const progress = Number(report.progress) || 0;
      bar.value = progress;
      const shards = report.shards_total
        ? " · " + report.shards_done + "/" + report.shards_total + " shards"
        : " · queued";
      setText(cells.progress.querySelector("span"), Math.round(progress * 100) + "%" + shards);
    } else if (report.status === "Complete") {
      setText(cells.progress, report.rows + (report.rows === 1 ? " store" : " stores"));
    } else {
      setText(cells.progress, String(report.error || ""));
      cells.progress.classList.add("error");
    }
    if (report.status === "Complete" && !cells.csv.firstChild && CSV_URL.test(report.csv_url)) {
      const link = document.createElement("a");
      link.href = report.csv_url;
      link.download = report.report_id + ".csv";
      link.textContent = "Download CSV";
      link.addEventListener("click", download);
      cells.csv.append(link);
    }
  }
  function render(reports) {
    const body = $("reports");
    const seen = new Set();
    reports.forEach((report, index) => {
      seen.add(report.report_id);
      let row = rows.get(report.report_id);
      if (!row) {
        row = newRow(report);
        rows.set(report.report_id, row);
      }
      update(row, report);
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    $("empty").hidden = reports.length > 0;
  }

  async function poll() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    clearTimeout(timer);
    try {
      const response = await api("/api/reports?limit=" + LIMIT);
      if (response.ok) {
        render((await response.json()).reports);
        setError("poll", "");
        setText($("updated"), "Updated " + new Date().toLocaleTimeString());
      } else if (response.status === 401) {
        setError("poll", "");
      } else {
        setError("poll", "Could not load the reports: " + await describe(response));
      }
    } catch (e) {
      setError("poll", "The API is unreachable: " + e.message);
    } finally {
      inFlight = false;
    }
    if (again) { again = false; poll(); return; }
    if (!waitingForToken) timer = setTimeout(poll, POLL_MS);
  }

  async function trigger() {
    const button = $("trigger");
    button.disabled = true;
    setError("trigger", "");
    setText($("notice"), "");
    try {
      const response = await api("/trigger_report", { method: "POST" });
      if (response.status === 202) {
        const body = await response.json();
        setText($("notice"), "Report " + body.report_id + " requested"
          + (body.as_of ? ", as of " + when(body.as_of) : "") + ".");
        poll();
      } else {
        setError("trigger", "Trigger failed: " + await describe(response));
      }
    } catch (e) {
      setError("trigger", "Trigger failed, the API is unreachable: " + e.message);
    } finally {
      button.disabled = false;
    }
  }

  // A plain link would not carry the token: fetch the file, then save it from a Blob.
  async function download(event) {
    event.preventDefault();
    const link = event.currentTarget;
    const name = link.download;
    setError("download", "");
    try {
      const response = await api(link.getAttribute("href"));
      if (!response.ok) {
        setError("download", "Download of " + name + " failed: " + await describe(response));
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const save = document.createElement("a");
      save.href = url;
      save.download = name;
      save.hidden = true;
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      setError("download", "Download of " + name + " failed: " + e.message);
    }
  }

  $("trigger").addEventListener("click", trigger);
  $("auth").addEventListener("submit", useToken);
  $("forget").addEventListener("click", () => { storeToken(""); poll(); });
  storeToken(token());
  poll();
})();
"""

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Store Monitor</title>
<link rel="icon" href="data:,">
<style>{_STYLE}</style>
</head>
<body>
<h1>Store Monitor — reports</h1>
<div class="bar">
  <button id="trigger" type="button">Trigger report</button>
  <button id="forget" type="button" hidden>Forget token</button>
  <span id="notice" role="status"></span>
  <span id="updated"></span>
</div>
<ul id="errors" role="alert" hidden></ul>
<form id="auth" hidden autocomplete="off">
  <p id="auth-message"></p>
  <label>API token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Use token</button>
</form>
<table>
  <thead><tr><th>Report</th><th>Status</th><th>As of</th><th>Requested</th><th>Duration</th>
  <th>Progress / result</th><th>CSV</th></tr></thead>
  <tbody id="reports"></tbody>
</table>
<p id="empty" class="muted">No reports yet.</p>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


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
