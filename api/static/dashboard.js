"use strict";
(() => {
  const TOKEN_KEY = "storemon.apiToken";
  const POLL_MS = 1000;
  const LIMIT = 20;
  const SEARCH_DELAY_MS = 300;
  const DAYS_PER_PAGE = 62;
  const OUTAGES_SHOWN = 100;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const STANDARD_COLUMNS = ["store_id", "uptime_last_hour", "uptime_last_day", "uptime_last_week",
    "downtime_last_hour", "downtime_last_day", "downtime_last_week"];
  const PERIOD_COLUMNS = ["store_id", "period_start", "uptime_hours", "downtime_hours",
    "uptime_percent"];
  const UNITS = { uptime_last_hour: "min", downtime_last_hour: "min", uptime_last_day: "h",
    downtime_last_day: "h", uptime_last_week: "h", downtime_last_week: "h", uptime_hours: "h",
    downtime_hours: "h", uptime_percent: "%" };
  const WINDOW_NAMES = { last_hour: "Last hour", last_day: "Last day", last_week: "Last week" };
  const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const $ = (id) => document.getElementById(id);
  const rows = new Map();    // report_id -> {tr, cells, shown}
  const errors = new Map();  // where -> message
  const tables = new Map();  // report_id -> the state of its rows table (kept across pages)
  let skew = 0;              // the server's clock minus this browser's, when clearly off
  let timer = null, inFlight = false, again = false, waitingForToken = false;
  let generation = 0;        // bumped on every navigation: answers for an older page are dropped
  let current = { view: "list" };
  let reportTimer = null;

  // ---------------------------------------------------------------- small helpers

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
  // An HTML element; `props`: class, text, dataset, on (events), and attributes; children are
  // nodes or strings (always text, never markup).
  function h(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "on") for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }
  // An SVG element; a string `title` becomes its <title> (the text shown on hover).
  function s(tag, attrs = {}, title = "") {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    }
    if (title) {
      const t = document.createElementNS(SVG_NS, "title");
      t.textContent = title;
      node.append(t);
    }
    return node;
  }
  function setError(where, message) {
    if (message) errors.set(where, message); else errors.delete(where);
    const list = $("errors");
    list.replaceChildren(...[...errors.values()].map((text) => h("li", { text })));
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
  async function errorText(response) {
    try {
      const body = await response.json();
      return String(body.error || body.status || response.status);
    } catch (e) {
      return response.status + " " + response.statusText;
    }
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
    route(false);
  }

  // ---------------------------------------------------------------- times and numbers

  function when(iso) {
    return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "";
  }
  function millis(iso) {
    return Date.parse(iso.replace(/(\.\d{3})\d+/, "$1"));
  }
  // A UTC instant of the API ("…T…[.fraction]Z", the fraction up to 7 digits: a 7th digit 5
  // is half a microsecond) as milliseconds, fraction kept; NaN when unreadable.
  function instant(iso) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:Z|[+-]00:?00)$/.exec(iso || "");
    if (!m) return NaN;
    const whole = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return whole + (m[7] ? Number("0." + m[7]) * 1000 : 0);
  }
  // The fraction of a second of an API instant, as written ("" when it is zero).
  function fraction(iso) {
    const m = /\.(\d+)/.exec(iso || "");
    return m && /[1-9]/.test(m[1]) ? "." + m[1].replace(/0+$/, "") : "";
  }
  function utcText(iso) {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(iso || "");
    return m ? m[1] + " " + m[2] + fraction(iso) + " UTC" : String(iso);
  }
  const formatters = new Map();
  function formatter(zone) {
    if (!formatters.has(zone)) {
      let made = null;
      try {
        made = new Intl.DateTimeFormat("en-US", {
          timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "longOffset",
        });
      } catch (e) { /* a zone this browser does not know: UTC only */ }
      formatters.set(zone, made);
    }
    return formatters.get(zone);
  }
  // An API instant in the store's zone: "2023-01-23 09:00:00 +11:00" (the fraction kept: zone
  // offsets are whole minutes); the UTC text when the browser does not know the zone.
  function localText(iso, zone) {
    const f = formatter(zone);
    const ms = instant(iso);
    if (!f || Number.isNaN(ms)) return utcText(iso);
    const parts = {};
    for (const part of f.formatToParts(new Date(Math.floor(ms)))) parts[part.type] = part.value;
    const offset = (parts.timeZoneName || "").replace(/^GMT/, "") || "+00:00";
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":"
      + parts.minute + ":" + parts.second + fraction(iso) + " " + offset;
  }
  // "2023-01-22T07:00:00+11:00" (an outage's local time) → "2023-01-22 07:00:00 +11:00".
  function offsetText(iso) {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d)?$/.exec(iso || "");
    if (!m) return String(iso);
    return m[1] + " " + m[2] + " " + (m[3] === "Z" || !m[3] ? "+00:00" : m[3]);
  }
  function duration(ms) {
    const s = Math.max(0, ms) / 1000;
    if (s < 10) return s.toFixed(1) + " s";
    if (s < 60) return Math.round(s) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + String(Math.floor(s % 60)).padStart(2, "0") + " s";
    return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  }
  const hoursFormat = new Intl.NumberFormat("en-US",
    { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function hours(value) {
    return value === null || value === undefined ? "—" : hoursFormat.format(value) + " h";
  }
  function percent(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2) + " %";
  }
  function plural(n, one, many) {
    return n.toLocaleString("en-US") + " " + (n === 1 ? one : many);
  }
  function isPeriod(report) {
    return Boolean(report && report.from);
  }
  function periodText(report) {
    let text = report.from + " → " + report.to + " by " + (report.interval || "day");
    if (report.store_ids !== null && report.store_ids !== undefined) {
      text += " · " + plural(Number(report.store_ids), "store", "stores") + " listed";
    }
    return text;
  }
  function shortId(id) {
    return String(id).slice(0, 8);
  }

  // ---------------------------------------------------------------- addresses (the hash)

  function reportHash(id) {
    return "#/reports/" + encodeURIComponent(id);
  }
  function storeHash(id, store) {
    return reportHash(id) + "/stores/" + encodeURIComponent(store);
  }
  function parseHash() {
    const hash = location.hash.replace(/^#/, "");
    if (hash === "" || hash === "/") return { view: "list" };
    try {
      let m = /^\/reports\/([^/]+)\/stores\/(.+)$/.exec(hash);
      if (m) {
        return { view: "store", reportId: decodeURIComponent(m[1]),
          storeId: decodeURIComponent(m[2]) };
      }
      m = /^\/reports\/([^/]+)\/?$/.exec(hash);
      if (m) return { view: "report", reportId: decodeURIComponent(m[1]) };
    } catch (e) { /* malformed percent-encoding */ }
    return { view: "list", unknown: hash };
  }
  function crumbs(where) {
    const parts = [];
    const sep = () => h("span", { class: "sep", text: "›", "aria-hidden": "true" });
    if (where.view === "list") {
      parts.push(h("span", { text: "Reports" }));
    } else {
      parts.push(h("a", { href: "#/", text: "Reports" }), sep());
      if (where.view === "report") {
        parts.push(h("span", { text: "Report " + shortId(where.reportId) }));
      } else {
        parts.push(h("a", { href: reportHash(where.reportId),
          text: "Report " + shortId(where.reportId) }), sep(),
        h("span", { text: "Store " + where.storeId }));
      }
    }
    $("crumbs").replaceChildren(...parts);
  }
  // Show the page the address names; `moved` when the address changed (not a mere reload).
  function route(moved = true) {
    generation += 1;
    clearTimeout(timer);
    clearTimeout(reportTimer);
    const where = parseHash();
    const same = current.view === where.view && current.reportId === where.reportId
      && current.storeId === where.storeId;
    current = where;
    for (const view of ["list", "report", "store"]) $(view + "-view").hidden = view !== where.view;
    crumbs(where);
    setError("route", where.unknown ? "No such page: #" + where.unknown : "");
    for (const what of ["report", "rows", "store", "download", "cancel"]) setError(what, "");
    if (moved && !same) window.scrollTo(0, 0);
    if (where.view === "list") {
      document.title = "Store Monitor";
      poll();
    } else if (where.view === "report") {
      document.title = "Report " + shortId(where.reportId) + " — Store Monitor";
      loadReport(where.reportId, generation, true);
    } else {
      document.title = "Store " + where.storeId + " — Store Monitor";
      loadStore(where.reportId, where.storeId, generation);
    }
  }

  // ---------------------------------------------------------------- the list of reports

  function newRow(report) {
    const tr = document.createElement("tr");
    tr.dataset.reportId = report.report_id;
    const cells = {};
    for (const name of ["id", "status", "params", "asOf", "requested", "duration", "progress",
      "actions"]) {
      cells[name] = tr.insertCell();
      cells[name].className = name;
    }
    return { tr, cells, shown: "" };
  }
  function update(row, report) {
    const { tr, cells } = row;
    const id = report.report_id;
    tr.dataset.status = report.status;
    setText(cells.status, report.status);
    setText(cells.params, isPeriod(report) ? periodText(report) : "last hour, day, week");
    setText(cells.asOf, report.as_of ? when(report.as_of) : "— (no polls)");
    cells.asOf.title = report.as_of || "";
    setText(cells.requested, when(report.requested_at));
    if (report.finished_at) {
      setText(cells.duration, duration(millis(report.finished_at) - millis(report.requested_at)));
    } else {
      setText(cells.duration, duration(Date.now() + skew - millis(report.requested_at)));
    }
    if (row.shown !== report.status) {  // what depends on the status alone, built once per status
      row.shown = report.status;
      const code = h("code", { text: shortId(id), title: id });
      cells.id.replaceChildren(report.status === "Complete"
        ? h("a", { href: reportHash(id), class: "open" }, code) : code);
      cells.progress.replaceChildren();
      cells.progress.classList.toggle("error", report.status === "Failed");
      const actions = [];
      if (report.status === "Running") {
        actions.push(h("button", { type: "button", class: "small cancel", text: "Cancel",
          "aria-label": "Cancel report " + id, on: { click: () => cancel(id) } }));
      } else if (report.status === "Complete") {
        actions.push(h("a", { href: reportHash(id), text: "Open" }));
        const link = h("a", { href: "/reports/" + encodeURIComponent(id) + ".csv",
          download: id + ".csv", text: "Download CSV", on: { click: download } });
        actions.push(link);
      }
      cells.actions.replaceChildren(...actions);
    }
    if (report.status === "Running") {
      let bar = cells.progress.querySelector("progress");
      if (!bar) {
        bar = h("progress", { max: 1, "aria-label": "progress of report " + id });
        cells.progress.replaceChildren(bar, h("span"));
      }
      const progress = Number(report.progress) || 0;
      bar.value = progress;
      const shards = report.shards_total
        ? " · " + report.shards_done + "/" + report.shards_total + " shards"
        : " · queued";
      setText(cells.progress.querySelector("span"), Math.round(progress * 100) + "%" + shards);
    } else if (report.status === "Complete") {
      const n = Number(report.rows);
      setText(cells.progress, isPeriod(report) ? plural(n, "row", "rows") : plural(n, "store", "stores"));
    } else if (report.status === "Failed") {
      setText(cells.progress, String(report.error || ""));
    } else if (report.status === "Cancelled") {
      setText(cells.progress, "cancelled: no CSV");
    } else if (report.status === "Expired") {
      setText(cells.progress, "expired: its files are deleted");
    } else {
      setText(cells.progress, String(report.error || ""));
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
    const filter = $("status-filter").value;
    setText($("empty"), filter ? "No " + filter + " reports." : "No reports yet.");
    $("empty").hidden = reports.length > 0;
  }

  async function poll() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    clearTimeout(timer);
    try {
      const status = $("status-filter").value;
      const response = await api("/api/reports?limit=" + LIMIT
        + (status ? "&status=" + encodeURIComponent(status) : ""));
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
    if (current.view !== "list") return;
    if (again) { again = false; poll(); return; }
    if (!waitingForToken) timer = setTimeout(poll, POLL_MS);
  }

  async function cancel(id) {
    const row = rows.get(id);
    const button = row && row.cells.actions.querySelector("button.cancel");
    if (button) button.disabled = true;
    setError("cancel", "");
    try {
      const response = await api("/reports/" + encodeURIComponent(id) + "/cancel",
        { method: "POST" });
      if (response.status === 202 || response.status === 200) {
        setText($("notice"), "Report " + id + " cancelled.");
      } else if (response.status !== 401) {
        setError("cancel", "Could not cancel report " + shortId(id) + ": "
          + await describe(response));
      }
    } catch (e) {
      setError("cancel", "Could not cancel, the API is unreachable: " + e.message);
    } finally {
      if (button) button.disabled = false;
    }
    poll();
  }

  async function requestReport(body, button, fail) {
    button.disabled = true;
    setText($("notice"), "");
    try {
      const options = { method: "POST" };
      if (body) {
        options.headers = { "Content-Type": "application/json" };
        options.body = JSON.stringify(body);
      }
      const response = await api("/trigger_report", options);
      if (response.status === 202 || response.status === 200) {
        const answer = await response.json();
        setText($("notice"), "Report " + answer.report_id + " requested"
          + (answer.as_of ? ", as of " + when(answer.as_of) : "")
          + (isPeriod(answer) ? ", " + periodText(answer) : "") + ".");
        poll();
        return true;
      }
      if (response.status !== 401) fail(await describe(response));
    } catch (e) {
      fail("the API is unreachable: " + e.message);
    } finally {
      button.disabled = false;
    }
    return false;
  }
  async function trigger() {
    setError("trigger", "");
    await requestReport(null, $("trigger"), (text) => setError("trigger", "Trigger failed: " + text));
  }
  // Store ids of the form: one per line or separated by commas (spaces around them dropped).
  function storeIds(text) {
    return text.split(/[\n,]/).map((id) => id.trim()).filter((id) => id !== "");
  }
  async function triggerPeriod(event) {
    event.preventDefault();
    const error = $("period-error");
    setText(error, "");
    const body = { interval: $("period-interval").value };
    const from = $("period-from").value, to = $("period-to").value;
    if (!from && !to) {
      setText(error, "Choose the dates: from and to (both included).");
      return;
    }
    if (from) body.from = from;
    if (to) body.to = to;
    const ids = storeIds($("period-stores").value);
    if (ids.length) body.store_ids = ids;
    await requestReport(body, $("period-submit"), (text) => setText(error, "Not triggered: " + text));
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
      const save = h("a", { href: url, download: name, hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      setError("download", "Download of " + name + " failed: " + e.message);
    }
  }

  // ---------------------------------------------------------------- a report's page

  function reportMeta(report) {
    const parts = [h("span", {}, h("code", { text: report.report_id }))];
    parts.push(h("span", { text: report.status }));
    parts.push(h("span", { text: isPeriod(report) ? "period report: " + periodText(report)
      : "standard report: last hour, day and week" }));
    if (report.as_of) parts.push(h("span", { text: "as of " + when(report.as_of) }));
    if (report.finished_at) parts.push(h("span", { text: "finished " + when(report.finished_at) }));
    if (report.status === "Complete") {
      parts.push(h("span", {}, h("a", { href: "/reports/" + encodeURIComponent(report.report_id)
        + ".csv", download: report.report_id + ".csv", text: "Download CSV", id: "report-csv",
      on: { click: download } })));
    }
    $("report-meta").replaceChildren(...parts);
  }

  async function loadReport(id, my, first) {
    if (first) {
      setText($("report-title"), "Report " + shortId(id));
      $("report-meta").replaceChildren();
      $("report-body").hidden = true;
      setText($("report-state"), "Loading…");
    }
    let report;
    try {
      const response = await api("/get_report/" + encodeURIComponent(id));
      if (my !== generation) return;
      if (response.status === 401) {
        setText($("report-state"), "Waiting for the API token…");
        return;
      }
      if (!response.ok) {
        setText($("report-state"), "");
        setError("report", "Could not load report " + id + ": " + await describe(response));
        return;
      }
      report = await response.json();
    } catch (e) {
      if (my === generation) setError("report", "The API is unreachable: " + e.message);
      return;
    }
    if (my !== generation) return;
    setError("report", "");
    reportMeta(report);
    if (report.status !== "Complete") {
      const state = {
        Running: "This report is still running (" + Math.round((Number(report.progress) || 0) * 100)
          + "%); its figures appear here when it is Complete.",
        Failed: "This report failed: " + String(report.error || "") + ". It has no rows.",
        Cancelled: "This report was cancelled: it has no rows.",
        Expired: "This report expired: its files are deleted (trigger a new one).",
      }[report.status] || "This report is " + report.status + ".";
      setText($("report-state"), state);
      if (report.status === "Running") {
        reportTimer = setTimeout(() => { if (my === generation) loadReport(id, my, false); }, POLL_MS);
      }
      return;
    }
    const table = tableState(id, report);
    $("rows-q").value = table.q;
    $("rows-limit").value = String(table.limit);
    try {
      const [response] = await Promise.all([
        api("/reports/" + encodeURIComponent(id) + "/summary"), loadRows(my)]);
      if (my !== generation) return;
      if (!response.ok) {
        if (response.status !== 401) {
          setError("report", "Could not load the summary: " + await describe(response));
        }
        setText($("report-state"), "");
        return;
      }
      renderSummary(await response.json());
      setText($("report-state"), "");
      $("report-body").hidden = false;
    } catch (e) {
      if (my === generation) setError("report", "The API is unreachable: " + e.message);
    }
  }

  function tile(label, value, detail, name) {
    return h("div", { class: "tile", dataset: { tile: name } },
      h("div", { class: "label", text: label }),
      h("div", { class: "value", text: value }),
      detail ? h("div", { class: "detail", text: detail }) : null);
  }
  function renderSummary(summary) {
    const period = Array.isArray(summary.periods);
    const none = summary.histogram ? summary.histogram.no_business_time : 0;
    const over = period ? "over the whole range" : "over the last week";
    const tiles = [
      tile("Stores", Number(summary.stores).toLocaleString("en-US"),
        none ? plural(none, "store", "stores") + " without business time" : "with a row", "stores"),
      tile("Business hours", hours(summary.business_hours), over, "business_hours"),
      tile("Fleet uptime", percent(summary.uptime_percent), "business-time weighted, " + over,
        "uptime_percent"),
    ];
    if (!period) {
      for (const w of summary.windows || []) {
        tiles.push(tile(WINDOW_NAMES[w.window] || w.window, percent(w.uptime_percent),
          hours(w.uptime_hours) + " up · " + hours(w.downtime_hours) + " down · of "
          + hours(w.business_hours), w.window));
      }
    }
    $("tiles").replaceChildren(...tiles);
    if (period) {
      const head = h("tr", {}, h("th", { text: "Period from" }), h("th", { class: "num", text: "Uptime" }),
        h("th", { class: "num", text: "Downtime" }), h("th", { class: "num", text: "Business time" }),
        h("th", { class: "num", text: "Uptime %" }));
      const body = (summary.periods || []).map((p) => h("tr", { dataset: { period: p.period_start } },
        h("td", { text: p.period_start }), h("td", { class: "num", text: hours(p.uptime_hours) }),
        h("td", { class: "num", text: hours(p.downtime_hours) }),
        h("td", { class: "num", text: hours(p.business_hours) }),
        h("td", { class: "num", text: percent(p.uptime_percent) })));
      $("figures").replaceChildren(body.length
        ? h("div", { class: "scroll" }, h("table", { id: "periods" }, h("thead", {}, head),
          h("tbody", {}, ...body)))
        : h("p", { class: "muted", text: "No period has a row (the range may start after as_of)." }));
    } else {
      $("figures").replaceChildren();
    }
    setText($("histogram-title"), "Stores by uptime percent " + over);
    $("histogram").replaceChildren(histogram(summary.histogram || { buckets: [], no_business_time: 0 }));
  }

  // Ten buckets of ten points, then the stores without business time, as SVG bars.
  function histogram(data) {
    const W = 760, H = 230, left = 40, top = 22, bottom = 48, gap = 10;
    const bars = (data.buckets || []).map((b) => ({
      label: b.from + "–" + b.to, count: Number(b.stores) || 0, none: false,
      title: plural(Number(b.stores) || 0, "store", "stores") + " with an uptime of " + b.from
        + " % to " + (b.to === 100 ? "100 % included" : "less than " + b.to + " %"),
    }));
    bars.push({ label: "no business", label2: "time", count: Number(data.no_business_time) || 0,
      none: true, title: plural(Number(data.no_business_time) || 0, "store", "stores")
        + " without business time (no uptime percent)" });
    const most = Math.max(1, ...bars.map((b) => b.count));
    const plotH = H - top - bottom;
    const slot = (W - left - 10 - gap) / bars.length;
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": "Histogram of the stores' uptime percent", class: "histogram" });
    svg.append(s("line", { x1: left - 4, x2: W - 6, y1: top + plotH + 0.5, y2: top + plotH + 0.5,
      class: "axis" }));
    bars.forEach((bar, i) => {
      const x = left + i * slot + (bar.none ? gap : 0);
      const height = bar.count ? Math.max(2, (bar.count / most) * plotH) : 0;
      const g = s("g", { class: "bar", "data-label": bar.none ? "none" : bar.label,
        "data-stores": bar.count });
      g.append(s("rect", { x: x + 3, y: top + plotH - height, width: slot - 6, height,
        class: "bucket" + (bar.none ? " none" : "") }, bar.title));
      const count = s("text", { x: x + slot / 2, y: top + plotH - height - 5,
        "text-anchor": "middle", "font-size": 12, class: "count" });
      count.textContent = String(bar.count);
      g.append(count);
      const label = s("text", { x: x + slot / 2, y: top + plotH + 16, "text-anchor": "middle",
        "font-size": 11, class: "gridlabel" });
      label.textContent = bar.label;
      g.append(label);
      if (bar.label2) {
        const second = s("text", { x: x + slot / 2, y: top + plotH + 29, "text-anchor": "middle",
          "font-size": 11, class: "gridlabel" });
        second.textContent = bar.label2;
        g.append(second);
      }
      svg.append(g);
    });
    const axis = s("text", { x: left + (slot * 10) / 2, y: H - 4, "text-anchor": "middle",
      "font-size": 12 });
    axis.textContent = "uptime % (buckets of 10 points)";
    svg.append(axis);
    const unit = s("text", { x: 4, y: 14, "font-size": 12, class: "gridlabel" });
    unit.textContent = "stores";
    svg.append(unit);
    return svg;
  }

  // The rows table: its state lives on across visits of the report (back from a store page).
  function tableState(id, report) {
    if (!tables.has(id)) {
      tables.set(id, { id, columns: isPeriod(report) ? PERIOD_COLUMNS : STANDARD_COLUMNS,
        sort: "store_id", order: "asc", q: "", limit: 25, cursor: "", cursors: [], next: null,
        seq: 0 });
    }
    return tables.get(id);
  }
  function currentTable() {
    return current.view === "report" ? tables.get(current.reportId) : undefined;
  }
  // A column name that may wrap after its underscores (zero-width spaces, text only).
  function breakable(column) {
    return column === "store_id" || column === "period_start" ? column
      : column.replace(/_/g, "_\u200b");
  }
  function renderHead(table) {
    const cells = table.columns.map((column) => {
      const th = h("th", { scope: "col", class: column === "store_id" || column === "period_start"
        ? "" : "num", dataset: { column } },
      h("button", { type: "button", text: breakable(column)
        + (UNITS[column] ? " (" + UNITS[column] + ")" : ""),
        title: "Sort by " + column, on: { click: () => sortBy(column) } }));
      if (table.sort === column) th.setAttribute("aria-sort", table.order === "asc" ? "ascending" : "descending");
      return th;
    });
    $("rows-head").replaceChildren(...cells);
  }
  async function loadRows(my) {
    const table = currentTable();
    if (!table) return;
    renderHead(table);
    const seq = ++table.seq;
    const query = new URLSearchParams({ sort: table.sort, order: table.order,
      limit: String(table.limit) });
    if (table.q) query.set("q", table.q);
    if (table.cursor) query.set("cursor", table.cursor);
    $("rows-prev").disabled = true;
    $("rows-next").disabled = true;
    try {
      const response = await api("/reports/" + encodeURIComponent(table.id) + "/rows?" + query);
      if (my !== generation || seq !== table.seq) return;
      if (!response.ok) {
        if (response.status !== 401) {
          setError("rows", "Could not load the rows: " + await describe(response));
        }
        $("rows-body").replaceChildren();
        return;
      }
      const page = await response.json();
      if (my !== generation || seq !== table.seq) return;
      setError("rows", "");
      table.next = page.next_cursor;
      renderRows(table, page);
    } catch (e) {
      if (my === generation) setError("rows", "The API is unreachable: " + e.message);
    }
  }
  function renderRows(table, page) {
    const body = page.rows.map((row) => h("tr", { dataset: { store: row.store_id } },
      ...table.columns.map((column) => {
        if (column === "store_id") {
          return h("td", { class: "store", dataset: { column } }, h("a", {
            href: storeHash(table.id, row.store_id), text: row.store_id }));
        }
        const plain = column === "period_start";
        return h("td", { class: plain ? "" : "num", dataset: { column }, text: row[column] ?? "" });
      })));
    $("rows-body").replaceChildren(...body);
    $("rows-empty").hidden = body.length > 0;
    const first = table.cursors.length * table.limit + 1;
    const last = first + page.rows.length - 1;
    const total = Number(page.rows_total);
    // rows_total counts the rows q lets through: the whole report without q.
    setText($("rows-info"), plural(total, "row", "rows") + (table.q
      ? " with a store id starting with “" + table.q + "”" : " in the report"));
    setText($("rows-page"), page.rows.length
      ? "Page " + (table.cursors.length + 1) + " · rows " + first.toLocaleString("en-US") + "–"
        + last.toLocaleString("en-US") + " of " + total.toLocaleString("en-US")
      : "Page " + (table.cursors.length + 1));
    $("rows-prev").disabled = table.cursors.length === 0;
    $("rows-next").disabled = !table.next;
  }
  function restartRows() {
    const table = currentTable();
    if (!table) return;
    table.cursor = "";
    table.cursors = [];
    loadRows(generation);
  }
  function sortBy(column) {
    const table = currentTable();
    if (!table) return;
    if (table.sort === column) table.order = table.order === "asc" ? "desc" : "asc";
    else { table.sort = column; table.order = "asc"; }
    restartRows();
  }
  let searchTimer = null;
  function searchSoon() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const table = currentTable();
      if (!table) return;
      const q = $("rows-q").value.trim();
      if (q === table.q) return;
      table.q = q;
      restartRows();
    }, SEARCH_DELAY_MS);
  }
  function nextPage() {
    const table = currentTable();
    if (!table || !table.next) return;
    table.cursors.push(table.cursor);
    table.cursor = table.next;
    loadRows(generation);
  }
  function previousPage() {
    const table = currentTable();
    if (!table || !table.cursors.length) return;
    table.cursor = table.cursors.pop();
    loadRows(generation);
  }

  // ---------------------------------------------------------------- a store's page

  let shownStore = null;  // {data, page}: the store page on screen, for paging its days

  async function loadStore(reportId, storeId, my) {
    setText($("store-title"), "Store " + storeId);
    $("store-body").hidden = true;
    setText($("store-state"), "Loading…");
    shownStore = null;
    try {
      const response = await api("/reports/" + encodeURIComponent(reportId) + "/stores/"
        + encodeURIComponent(storeId));
      if (my !== generation) return;
      if (response.status === 401) {
        setText($("store-state"), "Waiting for the API token…");
        return;
      }
      if (!response.ok) {
        setText($("store-state"), response.status === 404
          ? "This store has no row in report " + reportId + "."
          : "Could not load the store: " + await errorText(response));
        if (response.status !== 404) setError("store", "Could not load store " + storeId + ": "
          + await describe(response));
        return;
      }
      const data = await response.json();
      if (my !== generation) return;
      shownStore = { data, page: 0 };
      renderStore(data);
      setText($("store-state"), "");
      $("store-body").hidden = false;
    } catch (e) {
      if (my === generation) setError("store", "The API is unreachable: " + e.message);
    }
  }

  // Business hours as lines of text, Monday first; days alike in a row share a line.
  function hoursText(rows) {
    if (!rows.length) return ["open 24×7 (no business hours given)"];
    const clock = (t) => String(t).replace(/^(\d\d:\d\d):00$/, "$1");
    const perDayText = [];
    for (let day = 0; day < 7; day++) {
      const today = rows.filter((r) => r.day === day).sort((a, b) => (a.start < b.start ? -1 : 1));
      const spans = today.map((r) => clock(r.start) + "–" + clock(r.end)
        + (r.end <= r.start ? " (next day)" : ""));
      perDayText.push(spans.length ? spans.join(", ") : "closed");
    }
    const lines = [];
    for (let day = 0; day < 7;) {
      let last = day;
      while (last + 1 < 7 && perDayText[last + 1] === perDayText[day]) last++;
      const days = last === day ? DAY_NAMES[day] : DAY_NAMES[day] + "–" + DAY_NAMES[last];
      lines.push(days + " " + perDayText[day]);
      day = last + 1;
    }
    return lines;
  }
  function renderStore(data) {
    const period = Array.isArray(data.rows);
    const facts = [];
    const fact = (term, ...values) => facts.push(h("dt", { text: term }),
      h("dd", {}, ...values));
    fact("Time zone", h("span", { id: "store-zone", text: data.timezone
      + (data.timezone_default ? " (default: the store has no zone of its own)" : "") }));
    fact("Business hours", h("span", { id: "store-hours" }, ...hoursText(data.business_hours || [])
      .flatMap((line, i) => (i ? [h("br"), line] : [line]))));
    fact(period ? "Range" : "Window", (data.window ? localText(data.window.from, data.timezone)
      + " → " + localText(data.window.to, data.timezone) : "")
      + (period ? " (the report's dates, local)" : " (the last week)"));
    const polls = data.polls || [];
    const observed = polls.filter((p) => p.observation).length;
    fact("Polls read", polls.length + " from " + utcText(data.span.from) + " to "
      + utcText(data.span.to) + " (the window and one day before it)");
    fact("Observations", data.observations === "all_polls"
      ? "all " + plural(polls.length, "poll", "polls") + " (none fell within business hours)"
      : plural(observed, "poll", "polls") + " within business hours (the others are not used)");
    $("store-facts").replaceChildren(...facts);
    setText($("store-row-title"), period ? "Rows in the CSV" : "Row in the CSV");
    const columns = period ? PERIOD_COLUMNS : STANDARD_COLUMNS;
    const found = period ? data.rows : [data.row];
    $("store-rows").replaceChildren(h("table", { id: "store-row" },
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", {
        class: c === "store_id" || c === "period_start" ? "" : "num",
        text: breakable(c) + (UNITS[c] ? " (" + UNITS[c] + ")" : "") })))),
      h("tbody", {}, ...found.map((row) => h("tr", {}, ...columns.map((c) => h("td", {
        class: c === "store_id" || c === "period_start" ? "" : "num", dataset: { column: c },
        text: row[c] ?? "" })))))));
    $("store-rows").classList.toggle("scroll", found.length > 12);
    drawDays();
    renderOutages(data);
  }

  function renderOutages(data, all = false) {
    const outages = data.outages || [];
    if (!outages.length) {
      $("outages").replaceChildren(h("p", { class: "muted",
        text: "None: the store was up through all of its business time in the window." }));
      return;
    }
    const shown = all ? outages : outages.slice(0, OUTAGES_SHOWN);
    const table = h("table", { id: "outages-table" },
      h("thead", {}, h("tr", {}, h("th", { text: "From (local)" }), h("th", { text: "To (local)" }),
        h("th", { class: "num", text: "Hours" }))),
      h("tbody", {}, ...shown.map((o) => h("tr", { title: "UTC " + utcText(o.from) + " → "
        + utcText(o.to) }, h("td", { text: offsetText(o.local_from) }),
      h("td", { text: offsetText(o.local_to) }),
      h("td", { class: "num", text: Number(o.hours).toFixed(2) })))));
    const parts = [outages.length > 12 ? h("div", { class: "scroll" }, table) : table];
    if (shown.length < outages.length) {
      parts.push(h("p", {}, h("button", { type: "button", class: "small",
        text: "Show all " + outages.length + " outages",
        on: { click: () => renderOutages(data, true) } })));
    }
    $("outages").replaceChildren(...parts);
  }

  // [a, b) intervals (milliseconds) cut by the local days: for each day, the parts inside it.
  function perDay(days, intervals) {
    const out = days.map(() => []);
    let j = 0;
    days.forEach((day, i) => {
      while (j < intervals.length && intervals[j].b <= day.a) j++;
      for (let k = j; k < intervals.length && intervals[k].a < day.b; k++) {
        const it = intervals[k];
        const a = Math.max(it.a, day.a), b = Math.min(it.b, day.b);
        if (b > a) out[i].push({ ...it, ca: a, cb: b });
      }
    });
    return out;
  }

  function drawDays() {
    if (!shownStore) return;
    const { data, page } = shownStore;
    const allDays = data.days || [];
    const pages = Math.max(1, Math.ceil(allDays.length / DAYS_PER_PAGE));
    const start = page * DAYS_PER_PAGE;
    const days = allDays.slice(start, start + DAYS_PER_PAGE);
    $("timeline-pager").hidden = pages <= 1;
    setText($("days-info"), "Days " + (start + 1) + "–" + (start + days.length) + " of "
      + allDays.length);
    $("days-prev").disabled = page === 0;
    $("days-next").disabled = page >= pages - 1;
    $("timeline").replaceChildren(timeline(data, days));
    const first = allDays.length ? instant(allDays[0].from) : NaN;
    const before = (data.polls || []).filter((p) => instant(p.at) < first).length;
    const notes = [];
    notes.push("One line per local date (" + data.timezone + "), midnight to midnight: "
      + plural(allDays.length, "date", "dates") + ".");
    if (pages > 1) notes.push("Showing " + DAYS_PER_PAGE + " dates at a time.");
    if (before) {
      notes.push(plural(before, "poll", "polls") + " of the day before the first date (read, "
        + "and usable as nearest observations) are not drawn.");
    }
    notes.push("Hover a stretch or a tick for its exact times.");
    setText($("timeline-note"), notes.join(" "));
    $("legend").replaceChildren(...[["up", "up"], ["down", "down"],
      ["closed", "closed (outside business hours)"], ["outside", "outside the window"],
      ["obs", "poll (an observation)"], ["poll", "poll (not an observation)"]]
      .map(([cls, text]) => h("span", {}, h("span", { class: "swatch " + cls }), text)));
  }

  function timeline(data, dayList) {
    const zone = data.timezone;
    const LABEL = 132, W = 940, RIGHT = 16, ROW = 22, TOP = 20, BAR = 12, TICK = 6;
    const days = dayList.map((d) => ({ date: d.date, a: instant(d.from), b: instant(d.to) }));
    const win = { a: instant(data.window.from), b: instant(data.window.to) };
    const segments = (data.segments || []).map((g) => ({ ...g, a: instant(g.from), b: instant(g.to) }))
      .filter((g) => g.b > g.a);
    // Closed: the window's time that no segment covers (its ends as the API wrote them).
    const closed = [];
    let at = win.a, atText = data.window.from;
    for (const g of segments) {
      if (g.a > at) closed.push({ a: at, b: Math.min(g.a, win.b), from: atText, to: g.from });
      if (g.b > at) { at = g.b; atText = g.to; }
    }
    if (at < win.b) closed.push({ a: at, b: win.b, from: atText, to: data.window.to });
    const segsByDay = perDay(days, segments);
    const closedByDay = perDay(days, closed);
    const polls = (data.polls || []).map((p) => ({ ...p, t: instant(p.at) }));
    const both = (iso) => localText(iso, zone) + "  (" + utcText(iso) + ")";
    const height = TOP + days.length * ROW + (days.length > 10 ? 22 : 6);
    const svg = s("svg", { viewBox: "0 0 " + (LABEL + W + RIGHT) + " " + height, role: "img",
      "aria-label": "Timeline of store " + data.store_id + ", one line per local date",
      class: "timeline" });
    const x = (day, ms) => LABEL + ((ms - day.a) / (day.b - day.a)) * W;
    const axis = (y) => {
      for (let hour = 0; hour <= 24; hour += 3) {
        const label = s("text", { x: LABEL + (hour / 24) * W, y, "font-size": 11, class: "gridlabel",
          "text-anchor": hour === 0 ? "start" : hour === 24 ? "end" : "middle" });
        label.textContent = hour === 0 ? "0 h" : hour === 24 ? "24 h" : String(hour);
        svg.append(label);
      }
    };
    axis(TOP - 7);
    days.forEach((day, i) => {
      const y = TOP + i * ROW;
      const barTop = y + TICK;
      const g = s("g", { class: "day", "data-date": day.date });
      const weekday = DAY_NAMES[(new Date(Date.UTC(+day.date.slice(0, 4), +day.date.slice(5, 7) - 1,
        +day.date.slice(8, 10))).getUTCDay() + 6) % 7];
      const length = (day.b - day.a) / 3600000;
      const label = s("text", { x: 0, y: barTop + BAR - 2, "font-size": 12, class: "datelabel" });
      label.textContent = weekday + " " + day.date;
      g.append(label);
      if (Math.abs(length - 24) > 1e-6) {
        const dst = s("text", { x: LABEL - 8, y: barTop + BAR - 2, "font-size": 10,
          "text-anchor": "end", class: "gridlabel" },
        "this local date lasts " + length + " hours (a daylight saving time change)");
        dst.append(document.createTextNode(length + " h"));
        g.append(dst);
      }
      const rect = (a, b, cls, title) => g.append(s("rect", { x: x(day, a), y: barTop,
        width: Math.max(0, x(day, b) - x(day, a)), height: BAR, class: "seg " + cls }, title));
      // Outside the window (the first and last dates are partly outside it).
      if (win.a > day.a) {
        rect(day.a, Math.min(win.a, day.b), "outside", "before the window, which starts at "
          + both(data.window.from));
      }
      if (win.b < day.b) {
        rect(Math.max(win.b, day.a), day.b, "outside", "after the window, which ends at "
          + both(data.window.to));
      }
      for (const c of closedByDay[i]) {
        rect(c.ca, c.cb, "closed", "closed (no business time)\nlocal: " + localText(c.from, zone)
          + " → " + localText(c.to, zone) + "\nUTC: " + utcText(c.from) + " → " + utcText(c.to));
      }
      for (const seg of segsByDay[i]) {
        rect(seg.ca, seg.cb, seg.status === "up" ? "up" : "down", seg.status
          + " (nearest observation: the poll at " + localText(seg.poll, zone) + ")\nlocal: "
          + localText(seg.from, zone) + " → " + localText(seg.to, zone) + "\nUTC: "
          + utcText(seg.from) + " → " + utcText(seg.to));
      }
      for (const p of polls) {
        if (p.t < day.a || p.t >= day.b) continue;
        g.append(s("rect", { x: x(day, p.t) - 0.9, y: y, width: 1.8, height: TICK + 3,
          class: "poll" + (p.observation ? " obs" : "") }, "poll: " + p.status + " ("
          + (p.observation ? "an observation" : "not an observation: outside business hours")
          + ")\nlocal: " + localText(p.at, zone) + "\nUTC: " + utcText(p.at)));
      }
      svg.append(g);
    });
    for (let hour = 3; hour < 24; hour += 3) {
      const gx = LABEL + (hour / 24) * W;
      svg.append(s("line", { x1: gx, x2: gx, y1: TOP - 3, y2: TOP + days.length * ROW, class: "grid" }));
    }
    if (days.length > 10) axis(TOP + days.length * ROW + 14);
    return svg;
  }

  function dayPage(step) {
    if (!shownStore) return;
    const pages = Math.ceil((shownStore.data.days || []).length / DAYS_PER_PAGE);
    shownStore.page = Math.min(Math.max(0, shownStore.page + step), Math.max(0, pages - 1));
    drawDays();
  }

  // ---------------------------------------------------------------- start

  $("trigger").addEventListener("click", trigger);
  $("period").addEventListener("submit", triggerPeriod);
  $("status-filter").addEventListener("change", () => poll());
  $("auth").addEventListener("submit", useToken);
  $("forget").addEventListener("click", () => { storeToken(""); route(false); });
  $("rows-q").addEventListener("input", searchSoon);
  $("rows-limit").addEventListener("change", () => {
    const table = currentTable();
    if (!table) return;
    table.limit = Number($("rows-limit").value) || 25;
    restartRows();
  });
  $("rows-next").addEventListener("click", nextPage);
  $("rows-prev").addEventListener("click", previousPage);
  $("days-prev").addEventListener("click", () => dayPage(-1));
  $("days-next").addEventListener("click", () => dayPage(1));
  window.addEventListener("hashchange", () => route(true));
  storeToken(token());
  route(false);
})();
