"use strict";
(() => {
  const TOKEN_KEY = "storemon.apiToken";
  const POLL_MS = 1000;
  const NOW_MS = 5000;               // the Now page and the webhooks list refresh this often
  const HOOK_MS = 2000;              // an endpoint's page (its deliveries) this often
  const DOWN_LIMIT = 20;             // down stores per page
  const EVENTS_SHOWN = 20;           // the newest events on the Now page
  const EVENTS_KEPT = 200;           // of the last recorded, which the newest are picked from
  const EVENTS_PAGE = 1000;          // the most /events gives at once
  const LINK_REPORTS = 3;            // the newest Complete reports a down store's page is looked for in
  const LINKS_MS = 60000;            // which reports those are is asked again after this
  const LIST_LIMIT = 20;
  const SEARCH_DELAY_MS = 300;
  const DAYS_PER_PAGE = 62;
  const OUTAGES_SHOWN = 100;
  const HEATMAP_STORES = 15;
  const NEAR_POINTS = 5;             // "near the target": less than this many points below it
  const STALE_SECONDS = 2 * 3600;    // data older than this is flagged (the API's "stale" too)
  const SVG_NS = "http://www.w3.org/2000/svg";
  const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const INTERVAL_NAMES = { day: "Daily", week: "Weekly", month: "Monthly", total: "Total" };
  const WINDOW_NAMES = { last_hour: "Last hour", last_day: "Last day", last_week: "Last week" };
  const PREVIOUS_NAMES = { last_hour: "the hour before", last_day: "the day before",
    last_week: "the week before" };
  const EVENT_FILTERS = { stores: "store.down,store.up", reports: "report.completed,report.failed" };
  const EVENT_WORDS = { "store.down": "a store is down", "store.up": "a store is up again",
    "report.completed": "a report is complete", "report.failed": "a report failed",
    "webhook.test": "test event" };
  const VIEWS = ["now", "list", "report", "store", "hooks", "hook"];
  const SECTION_OF = { now: "now", list: "reports", report: "reports", store: "reports",
    hooks: "webhooks", hook: "webhooks" };
  const $ = (id) => document.getElementById(id);
  const listRows = new Map();  // report_id -> {tr, cells, shown}
  const errors = new Map();    // where -> message
  const cursorCache = new Map();  // a paged query -> the cursor of each of its pages
  let skew = 0;                // the server's clock minus this browser's, when clearly off
  let timer = null, inFlight = false, again = false, waitingForToken = false;
  let generation = 0;          // bumped on every navigation: answers for an older page are dropped
  let current = { view: "none" };
  let reportTimer = null;
  let shown = null;            // the Complete report on screen: {id, report, summary, periods}
  let shownStore = null;       // the store on screen, cut by local date (prepareStore)

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
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }
  // An SVG element; `tip` becomes its data-tip (what the chart's readout shows for it).
  function s(tag, attrs = {}, text = "") {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null && value !== false) {
        node.setAttribute(key === "tip" ? "data-tip" : key, String(value));
      }
    }
    if (text) node.textContent = text;
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
  // GET a JSON answer: the body, or null after saying why under `where` (nothing for a 401:
  // the token form asks).
  async function getJson(path, where, what) {
    try {
      const response = await api(path);
      if (response.ok) {
        setError(where, "");
        return await response.json();
      }
      if (response.status !== 401) setError(where, "Could not load " + what + ": " + await describe(response));
    } catch (e) {
      setError(where, "The API is unreachable: " + e.message);
    }
    return null;
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
    current = { view: "none" };  // load the page afresh, with the token
    route();
  }

  // ---------------------------------------------------------------- numbers in words

  function count(n) {
    return Number(n).toLocaleString("en-US");
  }
  function plural(n, one, many) {
    return count(n) + " " + (n === 1 ? one : many);
  }
  function isNumber(value) {
    return value !== null && value !== undefined && value !== "" && !Number.isNaN(Number(value));
  }
  // A percent as the API gives it (2 decimals), without the unit (column titles state it).
  function pct(value) {
    return isNumber(value) ? Number(value).toFixed(2) : "—";
  }
  function percent(value) {
    return isNumber(value) ? Number(value).toFixed(2) + " %" : "—";
  }
  // Hours as an owner reads a duration: "4 h 49 min", "42 min", "< 1 min".
  function hm(hours) {
    if (!isNumber(hours)) return "—";
    const minutes = Math.round(Number(hours) * 60);
    if (minutes === 0) return Number(hours) > 0 ? "< 1 min" : "0 min";
    const whole = Math.floor(minutes / 60), rest = minutes % 60;
    if (!whole) return rest + " min";
    return count(whole) + " h" + (rest ? " " + rest + " min" : "");
  }
  // How long something took, from milliseconds: seconds while short, then minutes and hours.
  function took(ms) {
    const sec = Math.max(0, ms) / 1000;
    if (sec < 10) return sec.toFixed(1) + " s";
    if (sec < 60) return Math.round(sec) + " s";
    const m = Math.floor(sec / 60);
    if (m < 60) return m + " min " + Math.floor(sec % 60) + " s";
    return hm(sec / 3600);
  }
  // How old something is, from seconds, in the largest units that say it.
  function age(seconds) {
    const days = seconds / 86400;
    if (days >= 365) {
      const years = Math.floor(days / 365.25), months = Math.floor((days % 365.25) / 30.44);
      return plural(years, "year", "years") + (months ? " " + plural(months, "month", "months") : "");
    }
    if (days >= 60) return plural(Math.floor(days / 30.44), "month", "months");
    if (days >= 2) return plural(Math.floor(days), "day", "days");
    return hm(seconds / 3600);
  }
  // A change of uptime in percentage points: "▲ 0.80 points", with the words a reader needs.
  function change(now, before) {
    if (!isNumber(now) || !isNumber(before)) return null;
    const d = Math.round((Number(now) - Number(before)) * 100) / 100;
    if (d === 0) return { text: "no change", cls: "" };
    return { text: (d > 0 ? "▲ up " : "▼ down ") + Math.abs(d).toFixed(2) + " points",
      cls: d > 0 ? "good" : "bad" };
  }
  // Good or bad against the target: "good" at or above it, "near" within NEAR_POINTS, "bad".
  function grade(value, target) {
    if (!isNumber(value) || !isNumber(target)) return "";
    const v = Number(value), t = Number(target);
    return v >= t ? "good" : v >= t - NEAR_POINTS ? "near" : "bad";
  }

  // ---------------------------------------------------------------- instants and zones

  // A UTC instant of the API ("…T…[.fraction]Z", the fraction up to 7 digits) as milliseconds,
  // fraction kept; NaN when unreadable.
  function instant(iso) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:Z|[+-]00:?00)$/.exec(iso || "");
    if (!m) return NaN;
    const whole = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return whole + (m[7] ? Number("0." + m[7]) * 1000 : 0);
  }
  const formatters = new Map();
  function formatter(zone, locale, name) {
    const key = zone + "|" + locale + "|" + name;
    if (!formatters.has(key)) {
      let made = null;
      try {
        made = new Intl.DateTimeFormat(locale, {
          timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: name,
        });
      } catch (e) { /* a zone this browser does not know */ }
      formatters.set(key, made);
    }
    return formatters.get(key);
  }
  function partsOf(f, ms) {
    const parts = {};
    for (const part of f.formatToParts(new Date(Math.floor(ms)))) parts[part.type] = part.value;
    return parts;
  }
  // The wall clock of `ms` in `zone` (undefined: this browser's), to the second: {date, time,
  // abbr ("PST", "BST", else "UTC+05:30"), offset ("-08:00")}; null for a zone unknown here.
  function wall(ms, zone) {
    const long = formatter(zone, "en-US", "longOffset");
    if (!long || Number.isNaN(ms)) return null;
    const p = partsOf(long, ms);
    const offset = (p.timeZoneName || "").replace(/^GMT/, "") || "+00:00";
    let abbr = "";
    for (const locale of ["en-US", "en-GB"]) {  // en-GB knows BST, CET and CEST; en-US PST
      const name = partsOf(formatter(zone, locale, "short"), ms).timeZoneName || "";
      if (!/^GMT[+-−]/.test(name)) { abbr = name; break; }
    }
    return { date: p.year + "-" + p.month + "-" + p.day, time: p.hour + ":" + p.minute + ":" + p.second,
      abbr: abbr || "UTC" + offset, offset };
  }
  // "2023-01-22 07:00:00 PST": an API instant in `zone` (undefined: this browser's).
  function at(iso, zone) {
    const w = wall(instant(iso), zone);
    if (!w) return String(iso || "").replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC");
    return w.date + " " + w.time + " " + w.abbr;
  }
  // The same, the date left out when it is `date`.
  function clock(ms, zone, date) {
    const w = wall(ms, zone);
    if (!w) return new Date(ms).toISOString();
    return (w.date === date ? "" : w.date + " ") + w.time + " " + w.abbr;
  }
  function weekday(date) {
    const [y, m, d] = date.split("-").map(Number);
    return DAY_NAMES[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
  }

  // ---------------------------------------------------------------- addresses (the hash)

  // "#/path?query": the page and its state (sort, order, search, page, bucket…).
  function parseHash() {
    const raw = location.hash.replace(/^#/, "");
    const mark = raw.indexOf("?");
    const path = mark < 0 ? raw : raw.slice(0, mark);
    const params = new URLSearchParams(mark < 0 ? "" : raw.slice(mark + 1));
    if (path === "" || path === "/") {
      // The reports list was at #/ before the Now page: its filter still leads there.
      if (params.has("status")) {
        return { view: "list", params, redirect: address("/reports", Object.fromEntries(params)) };
      }
      return { view: "now", params };
    }
    if (/^\/reports\/?$/.test(path)) return { view: "list", params };
    if (/^\/webhooks\/?$/.test(path)) return { view: "hooks", params };
    try {
      let w = /^\/webhooks\/([^/]+)\/?$/.exec(path);
      if (w) return { view: "hook", hookId: decodeURIComponent(w[1]), params };
      let m = /^\/reports\/([^/]+)\/stores\/(.+)$/.exec(path);
      if (m) {
        return { view: "store", reportId: decodeURIComponent(m[1]),
          storeId: decodeURIComponent(m[2]), params };
      }
      m = /^\/reports\/([^/]+)\/?$/.exec(path);
      if (m) return { view: "report", reportId: decodeURIComponent(m[1]), params };
    } catch (e) { /* malformed percent-encoding */ }
    return { view: "now", unknown: raw, params: new URLSearchParams() };
  }
  function hookPath(id) {
    return "/webhooks/" + encodeURIComponent(id);
  }
  function reportPath(id) {
    return "/reports/" + encodeURIComponent(id);
  }
  function storePath(id, store) {
    return reportPath(id) + "/stores/" + encodeURIComponent(store);
  }
  // The address of `path` with these parameters (empty values left out).
  function address(path, params = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
    }
    const text = query.toString();
    return "#" + path + (text ? "?" + text : "");
  }
  // Go to an address: a new history entry, or in place of this one (typing in a search box).
  function go(hash, replace = false) {
    if (hash === location.hash) return;
    if (replace) {
      history.replaceState(null, "", hash);
      route();
    } else {
      location.hash = hash;  // the hashchange event routes
    }
  }
  function param(name, fallback = "") {
    return current.params.get(name) ?? fallback;
  }
  function pageParam() {
    const n = Number(param("page", "1"));
    return Number.isInteger(n) && n >= 1 ? n : 1;
  }

  // The cursor of page `n` of a paged query (`key`): "" for the first; pages seen are kept,
  // others found by walking from the nearest one known (a shared link to page 7). null when
  // there is no such page.
  async function cursorOf(key, n, nextOf) {
    if (!cursorCache.has(key)) cursorCache.set(key, []);
    const known = cursorCache.get(key);
    if (n <= 1) return "";
    let k = n;
    while (k > 1 && known[k] === undefined) k--;
    let cursor = k > 1 ? known[k] : "";
    for (; k < n; k++) {
      const next = await nextOf(cursor);
      if (!next) return null;
      known[k + 1] = next;
      cursor = next;
    }
    return cursor;
  }
  function rememberCursor(key, n, cursor) {
    if (!cursorCache.has(key)) cursorCache.set(key, []);
    if (cursor) cursorCache.get(key)[n] = cursor;
  }

  // The sections (Now, Reports, Webhooks): the one the page is in is marked, in words too.
  function sections(where) {
    for (const link of $("sections").querySelectorAll("a")) {
      const here = link.dataset.section === SECTION_OF[where.view];
      const top = ["now", "list", "hooks"].includes(where.view);
      if (here) link.setAttribute("aria-current", top ? "page" : "true");
      else link.removeAttribute("aria-current");
    }
  }
  // Where a page below a section is: "Reports › Report 3f2c… › Store x", "Webhooks › Endpoint".
  function crumbs(where) {
    const parts = [];
    const sep = () => h("span", { class: "sep", text: "›", "aria-hidden": "true" });
    if (where.view === "hook") {
      parts.push(h("a", { href: "#/webhooks", text: "Webhooks" }), sep(),
        h("span", { text: "Endpoint " + shortId(where.hookId), "aria-current": "page" }));
    } else if (where.view === "report" || where.view === "store") {
      parts.push(h("a", { href: "#/reports", text: "Reports" }), sep());
      const report = "Report " + shortId(where.reportId);
      if (where.view === "report") {
        parts.push(h("span", { text: report, "aria-current": "page" }));
      } else {
        parts.push(h("a", { href: "#" + reportPath(where.reportId), text: report }), sep(),
          h("span", { text: "Store " + where.storeId, "aria-current": "page" }));
      }
    }
    $("crumbs").replaceChildren(...parts);
    $("crumbs").hidden = parts.length === 0;
  }
  function shortId(id) {
    return String(id).slice(0, 8);
  }

  // Show the page the address names. A new page gets the focus on its title (so a screen
  // reader starts there); a new state of the same page (a sort, a page of rows) keeps it.
  function route() {
    generation += 1;
    clearTimeout(timer);
    clearTimeout(reportTimer);
    for (const live of [nowLive, hooksLive, hookLive]) live.stop();
    let where = parseHash();
    if (where.redirect) {
      history.replaceState(null, "", where.redirect);
      where = parseHash();
    }
    const same = current.view === where.view && current.reportId === where.reportId
      && current.storeId === where.storeId && current.hookId === where.hookId;
    const first = current.view === "none";
    current = where;
    for (const view of VIEWS) $(view + "-view").hidden = view !== where.view;
    sections(where);
    crumbs(where);
    setError("route", where.unknown ? "No such page: #" + where.unknown : "");
    if (!same) {
      for (const what of ["report", "table", "store", "download", "cancel", "heatmap", "now", "events",
        "links", "hooks", "hook", "deliveries"]) setError(what, "");
      if (where.view !== "hooks") forgetSecret();
      window.scrollTo(0, 0);
      if (!first) $(where.view + "-title").focus();
    }
    if (where.view === "now") {
      document.title = "Now — Store Monitor";
      if (!same) setText($("now-notice"), "");
      $("events-filter").value = EVENT_FILTERS[param("events")] ? param("events") : "";
      nowLive.run();
    } else if (where.view === "hooks") {
      document.title = "Webhooks — Store Monitor";
      if (!same) {
        setText($("hooks-notice"), hooksNotice);
        hooksNotice = "";
      }
      hooksLive.run();
    } else if (where.view === "hook") {
      document.title = "Webhook endpoint — Store Monitor";
      if (!same) showHookLoading(where.hookId);
      hookLive.run();
    } else if (where.view === "list") {
      document.title = "Reports — Store Monitor";
      showListState();
      poll();
    } else if (where.view === "report") {
      document.title = "Report " + shortId(where.reportId) + " — Store Monitor";
      if (same && shown && shown.id === where.reportId) showTable(generation);
      else loadReport(where.reportId, generation, true);
    } else {
      document.title = "Store " + where.storeId + " — Store Monitor";
      if (same && shownStore) drawDays();
      else loadStore(where.reportId, where.storeId, generation);
    }
  }

  // The focus is nowhere, or on a control just disabled (the browser drops it from there soon).
  function focusDropped() {
    const focused = document.activeElement;
    return !focused || focused === document.body || focused.disabled === true;
  }

  // After a page step (step > 0: forward) whose button lost the focus (it is now disabled, or
  // the page was redrawn), the focus goes to the same button, else to the section's title.
  function refocusPager(step, forward, back, title) {
    if (!step || !focusDropped()) return;
    const button = $(step > 0 ? forward : back);
    (button.disabled ? $(title) : button).focus();
  }

  // ---------------------------------------------------------------- tooltips for every input

  // A chart's marks carry their text in data-tip; the chart's readout (a live region below it)
  // shows the text of the mark under the pointer, the one tapped, or the one reached from the
  // keyboard: a "lane" (a focusable row of marks: a day, a store) steps through its marks with
  // the arrow keys, Home and End; up and down go to the lane before or after.
  function inspectable(container, readout) {
    let active = null;
    const show = (mark) => {
      if (active) active.classList.remove("active");
      active = mark;
      if (!mark) return;
      mark.classList.add("active");
      setText(readout, mark.dataset.tip || mark.getAttribute("aria-label") || "");
    };
    const marksOf = (lane) => [...lane.querySelectorAll("[data-tip]")].filter((m) => m !== lane);
    const pointed = (event) => {
      const mark = event.target.closest && event.target.closest("[data-tip]");
      if (mark && container.contains(mark)) show(mark);
    };
    container.addEventListener("pointerover", pointed);
    container.addEventListener("pointerdown", pointed);
    container.addEventListener("focusin", (event) => {
      const target = event.target;
      if (target.dataset && target.dataset.tip) show(target);
      else if (target.classList.contains("lane")) {
        // A mark of this lane tapped or pointed at just now keeps the readout; else the lane's own.
        if (marksOf(target).includes(active)) show(active);
        else {
          show(null);
          setText(readout, target.getAttribute("aria-label") || "");
        }
      }
    });
    container.addEventListener("keydown", (event) => {
      const lane = event.target.closest && event.target.closest(".lane");
      if (!lane || !container.contains(lane)) return;
      const lanes = [...container.querySelectorAll(".lane")];
      const marks = marksOf(lane);
      const i = marks.indexOf(active);
      let next = null;
      if (event.key === "ArrowRight") next = marks[Math.min(marks.length - 1, i + 1)];
      else if (event.key === "ArrowLeft") next = marks[Math.max(0, i < 0 ? 0 : i - 1)];
      else if (event.key === "Home") next = marks[0];
      else if (event.key === "End") next = marks[marks.length - 1];
      else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const other = lanes[lanes.indexOf(lane) + (event.key === "ArrowDown" ? 1 : -1)];
        if (other) other.focus();
        event.preventDefault();
        return;
      } else return;
      event.preventDefault();
      if (next) show(next);
    });
    return { clear: () => { active = null; setText(readout, ""); } };
  }

  // Charts are drawn to the width they have; a chart whose box changes width is drawn again.
  const sized = new Map();  // element -> {width, draw}
  const resizer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = sized.get(entry.target);
      const width = Math.floor(entry.contentRect.width);
      if (chart && width > 0 && width !== chart.width) {
        chart.width = width;
        chart.draw(width);
      }
    }
  });
  function drawSized(element, draw) {
    const width = Math.floor(element.getBoundingClientRect().width
      - parseFloat(getComputedStyle(element).paddingLeft)
      - parseFloat(getComputedStyle(element).paddingRight));
    sized.set(element, { width, draw });
    resizer.observe(element);
    if (width > 0) draw(width);
  }

  // ---------------------------------------------------------------- the list of reports

  function isPeriod(report) {
    return Boolean(report && report.from);
  }
  function kindText(report) {
    if (!isPeriod(report)) return "Last hour, day and week";
    let text = (INTERVAL_NAMES[report.interval] || report.interval) + ", " + report.from + " → "
      + report.to;
    if (report.store_ids !== null && report.store_ids !== undefined) {
      text += " · " + plural(Number(report.store_ids), "store", "stores") + " listed";
    }
    return text;
  }
  function csvLink(id, label) {
    return h("a", { href: "/reports/" + encodeURIComponent(id) + ".csv", download: id + ".csv",
      text: label, on: { click: download } });
  }
  function cancelButton(id) {
    return h("button", { type: "button", class: "small cancel", text: "Cancel",
      "aria-label": "Cancel report " + shortId(id), on: { click: () => cancel(id) } });
  }

  const LIST_COLUMNS = [["id", "Report"], ["status", "Status"], ["params", "What"],
    ["asOf", "As of"], ["requested", "Requested"], ["took", "Took"],
    ["progress", "Progress or result"], ["actions", "Actions"]];
  function newRow(report) {
    const tr = document.createElement("tr");
    tr.dataset.reportId = report.report_id;
    const cells = {};
    for (const [name, label] of LIST_COLUMNS) {
      cells[name] = tr.insertCell();
      cells[name].className = name;
      cells[name].dataset.label = label;
    }
    // On a card: the id and the status side by side on top, unlabelled.
    cells.id.classList.add("nolabel");
    cells.status.classList.add("nolabel");
    cells.params.classList.add("wide");
    cells.asOf.classList.add("when");
    cells.requested.classList.add("when");
    return { tr, cells, shown: "" };
  }
  function resultText(report) {
    switch (report.status) {
      case "Complete": return isPeriod(report) ? plural(Number(report.rows), "row", "rows")
        : plural(Number(report.rows), "store", "stores");
      case "Failed": return String(report.error || "");
      case "Cancelled": return "cancelled: no CSV";
      case "Expired": return "expired: its files are deleted";
      default: return String(report.error || "");
    }
  }
  function update(row, report) {
    const { tr, cells } = row;
    const id = report.report_id;
    tr.dataset.status = report.status;
    setText(cells.params, kindText(report));
    setText(cells.asOf, report.as_of ? at(report.as_of) : "— (no polls)");
    setText(cells.requested, at(report.requested_at));
    const end = report.finished_at ? instant(report.finished_at) : Date.now() + skew;
    setText(cells.took, took(end - instant(report.requested_at)));
    if (row.shown !== report.status) {  // what depends on the status alone, built once per status
      row.shown = report.status;
      cells.id.replaceChildren(h("a", { href: "#" + reportPath(id), class: "open id",
        "aria-label": "Report " + shortId(id) + ", " + report.status, title: id }, shortId(id)));
      cells.status.replaceChildren(h("span", { class: "badge " + report.status, text: report.status }));
      cells.progress.replaceChildren();
      cells.progress.classList.toggle("error", report.status === "Failed");
      const actions = [h("a", { href: "#" + reportPath(id), text: "Open",
        "aria-label": "Open report " + shortId(id) })];
      if (report.status === "Running") actions.push(cancelButton(id));
      else if (report.status === "Complete") actions.push(csvLink(id, "Download CSV"));
      cells.actions.replaceChildren(...actions);
    }
    if (report.status === "Running") {
      let bar = cells.progress.querySelector("progress");
      if (!bar) {
        bar = h("progress", { max: 1, "aria-label": "Progress of report " + shortId(id) });
        cells.progress.replaceChildren(bar, h("span"));
      }
      const progress = Number(report.progress) || 0;
      bar.value = progress;
      setText(cells.progress.querySelector("span"), Math.round(progress * 100) + " %" + (report.shards_total
        ? " · " + report.shards_done + " of " + report.shards_total + " shards" : " · queued"));
    } else {
      setText(cells.progress, resultText(report));
    }
  }
  function renderList(reports) {
    const body = $("reports");
    const seen = new Set();
    reports.forEach((report, index) => {
      seen.add(report.report_id);
      let row = listRows.get(report.report_id);
      if (!row) {
        row = newRow(report);
        listRows.set(report.report_id, row);
      }
      update(row, report);
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    });
    for (const [id, row] of listRows) {
      if (!seen.has(id)) {
        row.tr.remove();
        listRows.delete(id);
      }
    }
    const filter = param("status");
    setText($("empty"), pageParam() > 1 ? "No reports on this page."
      : filter ? "No " + filter + " reports." : "No reports yet.");
    $("empty").hidden = reports.length > 0;
  }
  function listQuery(cursor) {
    const query = new URLSearchParams({ limit: String(LIST_LIMIT) });
    if (param("status")) query.set("status", param("status"));
    if (cursor) query.set("cursor", cursor);
    return "/api/reports?" + query;
  }
  function listKey() {
    return "list|" + param("status");
  }
  function showListState() {
    $("status-filter").value = param("status");
    setText($("list-page"), "Page " + pageParam());
    $("list-newer").disabled = pageParam() <= 1;
  }

  async function poll() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    clearTimeout(timer);
    const my = generation;
    try {
      const page = pageParam();
      if (param("cursor")) rememberCursor(listKey(), page, param("cursor"));
      const cursor = await cursorOf(listKey(), page, async (c) => {
        const answer = await getJson(listQuery(c), "poll", "the reports");
        return answer && answer.next_cursor;
      });
      const answer = cursor === null ? { reports: [], next_cursor: null }
        : await getJson(listQuery(cursor), "poll", "the reports");
      if (answer && my === generation) {
        renderList(answer.reports);
        rememberCursor(listKey(), page + 1, answer.next_cursor);
        $("list-older").disabled = !answer.next_cursor;
        // A pager button now disabled (the first or last page) dropped the focus: to the title.
        if (listPagedBy && focusDropped()) $("list-title").focus();
        listPagedBy = false;
        setText($("updated"), "Updated " + new Date().toLocaleTimeString("en-GB"));
      }
    } finally {
      inFlight = false;
    }
    if (current.view !== "list") return;
    if (again) { again = false; poll(); return; }
    if (!waitingForToken) timer = setTimeout(poll, POLL_MS);
  }
  let listPagedBy = false;  // a pager button asked for the page on its way
  function listPage(step) {
    listPagedBy = true;
    const page = Math.max(1, pageParam() + step);
    const known = cursorCache.get(listKey()) || [];
    go(address("/reports", { status: param("status"), page: page > 1 ? page : "",
      cursor: page > 1 ? known[page] : "" }));
  }

  async function cancel(id) {
    const buttons = document.querySelectorAll("button.cancel");
    buttons.forEach((b) => { b.disabled = true; });
    setError("cancel", "");
    try {
      const response = await api("/reports/" + encodeURIComponent(id) + "/cancel", { method: "POST" });
      if (response.status === 202 || response.status === 200) {
        setText($("notice"), "Report " + id + " cancelled.");
      } else if (response.status !== 401) {
        setError("cancel", "Could not cancel report " + shortId(id) + ": " + await describe(response));
      }
    } catch (e) {
      setError("cancel", "Could not cancel, the API is unreachable: " + e.message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
    if (current.view === "list") poll();
    else if (current.view === "report") loadReport(id, generation, false);
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
          + (answer.as_of ? ", as of " + at(answer.as_of) : "")
          + (isPeriod(answer) ? ": " + kindText(answer) : "") + ".");
        if (pageParam() > 1 || param("status")) go(address("/reports"));  // the new one is on top
        else poll();
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
    const parts = [h("span", { text: kindText(report) })];
    if (report.as_of) parts.push(h("span", { text: "as of " + at(report.as_of) }));
    parts.push(h("span", {}, "report ", h("code", { text: report.report_id })));
    if (report.status === "Complete") parts.push(h("span", {}, csvLink(report.report_id, "Download CSV")));
    $("report-meta").replaceChildren(...parts);
  }
  function progressText(report) {
    return Math.round((Number(report.progress) || 0) * 100) + " % done" + (report.shards_total
      ? " (" + report.shards_done + " of " + report.shards_total + " shards)" : ", queued");
  }
  // What a report that is not Complete has to say, and what can be done with it.
  function reportState(report) {
    const id = report.report_id;
    const when = report.finished_at ? " on " + at(report.finished_at) : "";
    if (report.status === "Running") {
      return h("div", { class: "state" },
        h("p", { text: "This report is running; its figures appear here when it is complete." }),
        h("progress", { max: 1, value: Number(report.progress) || 0,
          "aria-label": "Progress of report " + shortId(id) }),
        h("p", { text: progressText(report) }),
        cancelButton(id));
    }
    if (report.status === "Failed") {
      return h("div", { class: "state failed" }, h("p", { text: "This report failed" + when + ":" }),
        h("p", { class: "error", text: String(report.error || "no reason given") }),
        h("p", { text: "It has no figures and no CSV. Trigger a new one from the list." }));
    }
    if (report.status === "Cancelled") {
      return h("div", { class: "state" }, h("p", {
        text: "This report was cancelled" + when + ": it has no figures and no CSV." }));
    }
    if (report.status === "Expired") {
      // finished_at is when it ended (completed, failed or was cancelled), not when it expired.
      const before = report.final_status === "Complete"
        ? "It had completed" + when + " with " + resultText({ ...report, status: "Complete" }) + "."
        : report.final_status === "Failed" ? "It had failed" + when + ": " + String(report.error || "") + "."
          : report.final_status === "Cancelled" ? "It had been cancelled" + when + "." : "";
      return h("div", { class: "state" }, h("p", {
        text: "This report expired: its files are deleted, so it has no figures. " + before
          + " Trigger a new one from the list." }));
    }
    return h("div", { class: "state" }, h("p", { text: "This report is " + report.status + "." }));
  }

  async function loadReport(id, my, first) {
    if (first) {
      shown = null;
      setText($("report-title"), "Report " + shortId(id));
      $("report-meta").replaceChildren();
      $("warnings").replaceChildren();
      $("report-body").hidden = true;
      $("report-state").replaceChildren(h("p", { class: "muted", text: "Loading…" }));
    }
    let report;
    try {
      const response = await api("/get_report/" + encodeURIComponent(id));
      if (my !== generation) return;
      if (response.status === 401) {
        $("report-state").replaceChildren(h("p", { class: "muted", text: "Waiting for the API token…" }));
        return;
      }
      if (!response.ok) {
        $("report-state").replaceChildren(h("p", { text: response.status === 404
          ? "There is no report " + id + "." : "Could not load the report." }));
        if (response.status !== 404) setError("report", "Could not load report " + id + ": " + await describe(response));
        return;
      }
      report = await response.json();
    } catch (e) {
      if (my === generation) setError("report", "The API is unreachable: " + e.message);
      return;
    }
    if (my !== generation) return;
    setError("report", "");
    setText($("report-title"), (isPeriod(report) ? "Period report " : "Report ") + shortId(id));
    reportMeta(report);
    if (report.status !== "Complete") {
      const bar = $("report-state").querySelector("progress");
      if (report.status === "Running" && bar) {  // in place: the Cancel button keeps the focus
        bar.value = Number(report.progress) || 0;
        setText(bar.nextElementSibling, progressText(report));
      } else {
        $("report-state").replaceChildren(reportState(report));
      }
      if (report.status === "Running") {
        reportTimer = setTimeout(() => { if (my === generation) loadReport(id, my, false); }, POLL_MS);
      }
      return;
    }
    const summary = await getJson(reportPath(id) + "/summary", "report", "the summary");
    if (my !== generation || !summary) return;
    shown = { id, report, summary, periods: reportPeriods(report, summary) };
    $("report-state").replaceChildren();
    $("report-body").hidden = false;
    renderWarnings();
    renderTiles();
    renderTrend();
    drawSized($("histogram"), histogramChart);
    showTable(my);
    loadHeatmap(my);
  }

  // The periods of a period report up to its as_of: those after it have no rows.
  function reportPeriods(report, summary) {
    const periods = summary.periods || [];
    let end = periods.length;
    while (end > 0 && !(Number(periods[end - 1].business_hours) > 0)
      && !isNumber(periods[end - 1].uptime_percent)) end--;
    return periods.slice(0, end);
  }
  // A period (or window) in which no store of the report had a poll.
  function noData(figures) {
    return isNumber(figures.stores_without_polls)
      && Number(figures.stores_without_polls) >= Number(shown.summary.stores);
  }
  function mostlyNoData(figures) {
    return isNumber(figures.stores_without_polls)
      && Number(figures.stores_without_polls) * 2 > Number(shown.summary.stores);
  }
  function lastPeriod() {
    const periods = shown.periods;
    return periods.length ? periods[periods.length - 1].period_start : null;
  }
  function partialPeriod(date) {
    return Boolean(shown.summary.partial_last_period) && date === lastPeriod();
  }

  // What might make the figures read as something they are not — old data, data that ends
  // before as_of, periods without a single poll, a period cut short — in one box.
  function renderWarnings() {
    const { report, summary, periods } = shown;
    const notes = [];
    const note = (title, text) => notes.push(h("li", {}, h("strong", { text: title + " " }), text));
    if (isNumber(summary.stale_seconds) && Number(summary.stale_seconds) > STALE_SECONDS) {
      note("Old data:", "as of " + at(report.as_of) + ", " + age(Number(summary.stale_seconds))
        + " ago; it tells how the stores were then, not now.");
    }
    if (summary.latest_poll) {
      const gap = (instant(report.as_of) - instant(summary.latest_poll)) / 1000;
      if (gap > STALE_SECONDS) {
        note("The polls end early:", "the latest is of " + at(summary.latest_poll) + ", " + age(gap)
          + " before the report's as of; after it every store keeps its last status.");
      }
    }
    const empty = periods.filter(noData);
    if (empty.length) {
      note("No data on " + plural(empty.length, "period", "periods") + ":", "no store had a poll "
        + (empty.length === 1 ? "in the period from " + empty[0].period_start : "from "
          + empty[0].period_start + " to " + empty[empty.length - 1].period_start)
        + "; their figures are only carried from other polls, and shown as “no data”.");
    }
    if (summary.partial_last_period && periods.length) {
      note("The last period is partial:", "the period from " + lastPeriod() + " ends at the report's as of.");
    }
    $("warnings").replaceChildren(...(notes.length ? [h("div", { class: "warning", role: "note" },
      h("p", { text: "⚠ Read these figures with care" }), h("ul", {}, ...notes))] : []));
  }

  // A tile: a label, one figure, a verdict against the target (good, bad) and a line or two.
  function tile(name, label, value, verdict, ...details) {
    return h("div", { class: "tile " + (verdict ? verdict.cls : ""), dataset: { tile: name } },
      h("div", { class: "label", text: label }),
      h("div", { class: "value" }, h("span", { class: "figure", text: value }),
        verdict && verdict.text ? h("span", { class: "verdict", text: verdict.text }) : null),
      ...details.filter(Boolean).map((d) => h("div", { class: "detail " + (d.cls || ""),
        text: d.text || d })));
  }
  // A fleet uptime against the target: on it or below it (the tile's colour says it too).
  function verdictOf(value) {
    const target = shown.summary.target_percent;
    if (!isNumber(value) || !isNumber(target)) return null;
    return Number(value) >= Number(target) ? { cls: "good", text: "on target" }
      : { cls: "bad", text: "below target" };
  }
  function changeDetail(figures, against) {
    const c = change(figures.uptime_percent, figures.previous_uptime_percent);
    return c ? { text: c.text + " vs " + against, cls: "change " + c.cls } : null;
  }
  function uptimeTile(name, label, figures, against, ...details) {
    if (noData(figures)) {
      return tile(name, label, "no data", null, "no store had a poll: " + percent(figures.uptime_percent)
        + " is carried from other polls", ...details);
    }
    return tile(name, label, percent(figures.uptime_percent), verdictOf(figures.uptime_percent),
      changeDetail(figures, against), ...details);
  }
  function renderTiles() {
    const { report, summary, periods } = shown;
    const tiles = [];
    const period = isPeriod(report);
    // A period report's latest whole period with data (a partial one is on the chart, marked).
    const whole = periods.filter((p) => !noData(p) && !partialPeriod(p.period_start));
    const latest = whole[whole.length - 1];
    if (!period) {
      for (const w of summary.windows || []) {
        tiles.push(uptimeTile(w.window, "Fleet uptime, " + WINDOW_NAMES[w.window].toLowerCase(), w,
          PREVIOUS_NAMES[w.window]));
      }
    } else {
      tiles.push(uptimeTile("uptime_percent", "Fleet uptime, all dates", summary, "",
        report.from + " → " + report.to));
      if (latest && periods.length > 1) {
        tiles.push(uptimeTile("latest", "Fleet uptime, latest whole period", latest, "the period before",
          "from " + latest.period_start));
      }
    }
    if (isNumber(summary.stores_below_target)) {
      const below = Number(summary.stores_below_target);
      const none = Number(summary.stores_without_business_time) || 0;
      tiles.push(tile("below_target", "Stores below target", count(below),
        below ? { cls: "bad", text: "" } : { cls: "good", text: "" },
        "under " + summary.target_percent + " % " + (period ? "over all dates" : "over the last week")
          + ", of " + plural(Number(summary.stores), "store", "stores"),
        none ? plural(none, "store", "stores") + " without business time" : null));
    }
    // Stores without data: in the last hour, or the latest whole period (an owner acts on it).
    if (!period && isNumber((summary.windows || [])[0]?.stores_without_polls)) {
      const [hour, ...longer] = summary.windows;
      tiles.push(tile("without_data", "Stores without data", count(hour.stores_without_polls), null,
        "no poll in the last hour", longer.map((w) => count(w.stores_without_polls) + " in the "
          + WINDOW_NAMES[w.window].toLowerCase()).join(", ")));
    } else if (period && latest && isNumber(latest.stores_without_polls)) {
      const empty = periods.filter(noData).length;
      tiles.push(tile("without_data", "Stores without data", count(latest.stores_without_polls), null,
        "no poll in the period from " + latest.period_start,
        empty ? plural(empty, "period", "periods") + " of " + count(periods.length) + " without a poll from any store"
          : null));
    }
    $("tiles").replaceChildren(...tiles);
  }

  // ---------------------------------------------------------------- charts of a report

  // "Dec 1": a local date as a short axis label.
  const shortDate = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  function dateLabel(date) {
    return shortDate.format(new Date(date + "T00:00:00Z"));
  }
  // Round axis steps: about `ticks` of them over `range`.
  function step(range, ticks) {
    const raw = range / ticks;
    return [1, 2, 5, 10, 20, 25, 50].find((n) => n >= raw) || 100;
  }
  function periodTip(p) {
    const { summary } = shown;
    const parts = [p.period_start + (shown.report.interval === "day" ? " (" + weekday(p.period_start) + ")" : "")
      + (partialPeriod(p.period_start) ? ", partial" : "") + ":"];
    if (noData(p)) {
      parts.push("no data: no store had a poll (" + percent(p.uptime_percent) + " carried from other polls)");
    } else {
      parts.push("fleet uptime " + percent(p.uptime_percent));
      const v = verdictOf(p.uptime_percent);
      if (v) parts.push("(" + v.text + ")");
      const c = change(p.uptime_percent, p.previous_uptime_percent);
      if (c) parts.push("· " + c.text + " vs the period before");
      if (isNumber(p.stores_without_polls) && Number(p.stores_without_polls) > 0) {
        parts.push("· " + count(p.stores_without_polls) + " of " + count(summary.stores)
          + " stores had no poll");
      }
    }
    return parts.join(" ");
  }

  // A period report's fleet uptime per period: points (a circle on or above the target, a
  // triangle below it) joined by a line, the target dashed, periods without data hatched, and
  // under each period the share of stores that had a poll in it.
  function renderTrend() {
    const { report, periods } = shown;
    $("trend-box").hidden = !isPeriod(report) || periods.length < 2;
    if ($("trend-box").hidden) return;
    const name = { day: "day", week: "week", month: "month" }[report.interval] || "period";
    setText($("trend-title"), "Fleet uptime per " + name);
    setText($("trend-note"), "Business-time weighted over the stores; the dashed line is the target ("
      + shown.summary.target_percent + " %). Point at a " + name + ", tap it, or focus the chart and"
      + " use the arrow keys for its figures.");
    trendInspector.clear();
    drawSized($("trend"), trendChart);
    const rows = periods.map((p) => {
      const c = change(p.uptime_percent, p.previous_uptime_percent);
      return h("tr", { dataset: { period: p.period_start } },
        h("td", { class: "head", dataset: { label: "Period from" } }, p.period_start,
          partialPeriod(p.period_start) ? h("span", { class: "partial-mark", text: " partial" }) : null),
        h("td", { class: "num" + (noData(p) ? " nodata" : ""), dataset: { label: "Fleet uptime (%)" } },
          noData(p) ? h("span", { class: "nodata-mark", text: "no data" }) : pct(p.uptime_percent)),
        h("td", { class: "num", dataset: { label: "Change (points)" }, text: c ? c.text.replace(" points", "") : "—" }),
        h("td", { class: "num", dataset: { label: "Stores without a poll" },
          text: isNumber(p.stores_without_polls) ? count(p.stores_without_polls) : "—" }));
    });
    $("trend-table").replaceChildren(h("table", { id: "periods", class: "cards" },
      h("thead", {}, h("tr", {}, ...["Period from", "Fleet uptime (%)", "Change (points)",
        "Stores without a poll"].map((t, i) => h("th", { scope: "col", class: i ? "num" : "", text: t })))),
      h("tbody", {}, ...rows)));
  }
  function trendChart(width) {
    const { summary, periods } = shown;
    const target = Number(summary.target_percent);
    const H = 240, left = 40, right = 10, top = 14, coverH = 12, bottom = 40 + coverH;
    const plotH = H - top - bottom, n = periods.length, slot = (width - left - right) / n;
    const values = periods.filter((p) => !noData(p) && isNumber(p.uptime_percent))
      .map((p) => Number(p.uptime_percent));
    const lowest = Math.min(...values, isNumber(summary.target_percent) ? target : 100, 100);
    const tick = step(100 - lowest + 1, 4);
    const lo = Math.max(0, Math.floor((lowest - 0.5) / tick) * tick);
    const y = (v) => top + plotH - ((v - lo) / (100 - lo)) * plotH;
    const x = (i) => left + slot * (i + 0.5);
    const svg = s("svg", { width, height: H, class: "lane trend", tabindex: 0, role: "img",
      "aria-label": "Fleet uptime per period, " + periods[0].period_start + " to "
        + periods[n - 1].period_start + ", from " + percent(Math.min(...values)) + " to "
        + percent(Math.max(...values)) + "; the table below holds every period" });
    for (let v = lo; v <= 100; v += tick) {
      svg.append(s("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "gridline" }),
        s("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, class: "gridlabel" },
          v + " %"));
    }
    periods.forEach((p, i) => {
      if (noData(p) || mostlyNoData(p)) {
        svg.append(s("rect", { x: x(i) - slot / 2, y: top, width: slot, height: plotH,
          class: "band nodata" }));
      }
    });
    if (isNumber(summary.target_percent)) {
      svg.append(s("line", { x1: left, x2: width - right, y1: y(target), y2: y(target), class: "target" }),
        s("text", { x: width - right, y: y(target) - 5, "text-anchor": "end", "font-size": 11,
          class: "targetlabel" }, "target " + target + " %"));
    }
    // The line, broken where a period has no data.
    const runs = [];
    let run = [];
    periods.forEach((p, i) => {
      if (noData(p) || !isNumber(p.uptime_percent)) {
        if (run.length) runs.push(run);
        run = [];
      } else {
        run.push(x(i).toFixed(1) + " " + y(Number(p.uptime_percent)).toFixed(1));
      }
    });
    if (run.length) runs.push(run);
    svg.append(s("path", { d: runs.map((points) => "M" + points.join("L")).join(""), class: "line" }));
    const r = Math.max(2.5, Math.min(5, slot / 3));
    periods.forEach((p, i) => {
      if (noData(p) || !isNumber(p.uptime_percent)) return;
      const cx = x(i), cy = y(Number(p.uptime_percent));
      // Hollow: a figure mostly carried (most stores had no poll) or of a partial period.
      const hollow = mostlyNoData(p) || partialPeriod(p.period_start);
      const cls = "point " + (grade(p.uptime_percent, target) === "good" ? "good" : "bad")
        + (hollow ? " partial" : "");
      svg.append(cls.includes("bad")
        ? s("path", { d: "M" + (cx - r) + " " + (cy - r) + "L" + (cx + r) + " " + (cy - r) + "L" + cx
          + " " + (cy + r) + "Z", class: cls })
        : s("circle", { cx, cy, r, class: cls }));
      if (partialPeriod(p.period_start)) {
        svg.append(s("text", { x: cx - r - 3, y: cy + 4, "text-anchor": "end", "font-size": 11,
          class: "gridlabel" }, "partial"));
      }
    });
    // Coverage: the share of stores with a poll, under each period.
    const coverTop = top + plotH + 6;
    svg.append(s("text", { x: left - 6, y: coverTop + coverH - 2, "text-anchor": "end", "font-size": 10,
      class: "gridlabel" }, "polled"));
    periods.forEach((p, i) => {
      if (!isNumber(p.stores_without_polls)) return;
      const share = 1 - Number(p.stores_without_polls) / Math.max(1, Number(summary.stores));
      svg.append(s("rect", { x: x(i) - slot / 2 + 0.5, y: coverTop, width: Math.max(0.5, slot - 1),
        height: coverH, class: "cell nodata" }));
      if (share > 0) {
        svg.append(s("rect", { x: x(i) - slot / 2 + 0.5, y: coverTop + coverH * (1 - share),
          width: Math.max(0.5, slot - 1), height: coverH * share, class: "cover" + (share === 1 ? " full" : "") }));
      }
    });
    const every = Math.max(1, Math.ceil(48 / slot));
    periods.forEach((p, i) => {
      if (i % every) return;
      svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": "middle", "font-size": 11, class: "gridlabel" },
        dateLabel(p.period_start)));
    });
    periods.forEach((p, i) => {
      svg.append(s("rect", { x: x(i) - slot / 2, y: top, width: slot, height: plotH + coverH + 6,
        class: "hit", tip: periodTip(p), "data-period": p.period_start }));
    });
    $("trend").replaceChildren(svg);
  }

  // The stores by their uptime over the longest window (or the whole range) in ten buckets of
  // ten points, and the stores without business time apart; each bar lists its stores below.
  function bucketName(i) {
    return i === "none" ? "without business time" : i * 10 + " % to " + (i === 9 ? "100 %" : "under "
      + (i + 1) * 10 + " %");
  }
  function histogramChart(width) {
    const { summary, report } = shown;
    const data = summary.histogram || { buckets: [], no_business_time: 0 };
    const target = summary.target_percent;
    const over = isPeriod(report) ? "over all dates" : "over the last week";
    setText($("histogram-title"), "Stores by uptime " + over);
    setText($("histogram-note"), "Select a bar to list its stores"
      + (isNumber(target) ? "; the dashed line is the target (" + target + " %)." : "."));
    const H = 236, left = 34, right = 6, top = 34, bottom = 40, gap = width < 500 ? 18 : 12;
    const slot = (width - left - right - gap) / 11, plotH = H - top - bottom;
    const bars = (data.buckets || []).map((b, i) => ({ key: String(i), count: Number(b.stores) || 0,
      x: left + i * slot, below: isNumber(target) && (i + 1) * 10 <= Number(target) }));
    bars.push({ key: "none", count: Number(data.no_business_time) || 0, x: left + 10 * slot + gap });
    const most = Math.max(1, ...bars.map((b) => b.count));
    const selected = current.params.get("bucket") || "";
    const svg = s("svg", { width, height: H, class: "histogram", role: "group",
      "aria-label": "Stores by uptime " + over + " (links to the stores of each bucket)" });
    svg.append(s("line", { x1: left - 4, x2: width - right, y1: top + plotH + 0.5, y2: top + plotH + 0.5,
      class: "axis" }), s("text", { x: 2, y: 12, "font-size": 11, class: "gridlabel" }, "stores"));
    for (const bar of bars) {
      const key = bar.key === "none" ? "none" : Number(bar.key);
      const name = plural(bar.count, "store", "stores") + " " + (key === "none" ? bucketName(key)
        : "with an uptime of " + bucketName(key) + " " + over) + (bar.below ? ", below the target" : "");
      const on = selected === bar.key;
      const link = s("a", { href: tableAddress({ view: "stores", bucket: on ? "" : bar.key }),
        "aria-label": name + (on ? " (listed below; select again to list every store)" : ": list them"),
        tip: name, class: on ? "selected" : "", "data-bucket": bar.key, "data-stores": bar.count,
        "aria-current": on ? "true" : null });
      const height = bar.count ? Math.max(2, (bar.count / most) * plotH) : 0;
      link.append(s("rect", { x: bar.x, y: top, width: slot, height: plotH, class: "hit" }),
        s("rect", { x: bar.x + 2, y: top + plotH - height, width: Math.max(1, slot - 4), height,
          class: "bucket" + (bar.below ? " below" : "") + (key === "none" ? " none" : "") }),
        s("text", { x: bar.x + slot / 2, y: top + plotH - height - 5, "text-anchor": "middle",
          "font-size": slot < 34 ? 10 : 12, class: "count" }, count(bar.count)));
      svg.append(link);
    }
    const every = slot < 26 ? 2 : 1;
    for (let i = 0; i <= 10; i += every) {
      svg.append(s("text", { x: left + i * slot, y: top + plotH + 15, "text-anchor": "middle",
        "font-size": 11, class: "gridlabel" }, String(i * 10)));
    }
    svg.append(s("text", { x: left + 10.5 * slot + gap, y: top + plotH + 15, "text-anchor": "middle",
      "font-size": 11, class: "gridlabel" }, "none"),
    s("text", { x: left + 5 * slot, y: H - 4, "text-anchor": "middle", "font-size": 12 },
      "uptime (%)"));
    if (isNumber(target)) {
      const tx = left + (Number(target) / 100) * 10 * slot;
      const roomRight = tx + 80 < width;
      svg.append(s("line", { x1: tx, x2: tx, y1: top - 24, y2: top + plotH, class: "target" }),
        s("text", { x: roomRight ? tx + 4 : tx - 4, y: top - 24, "text-anchor": roomRight ? "start" : "end",
          "font-size": 11, class: "targetlabel" },
          "target " + target + " %"));
    }
    $("histogram").replaceChildren(svg);
  }

  // A daily report's worst stores, one strip each, a cell per date: its uptime against the
  // target, hatched without a poll, a grey line without business time.
  async function loadHeatmap(my) {
    const { id, report, periods } = shown;
    $("heatmap-box").hidden = true;
    if (!isPeriod(report) || report.interval !== "day" || periods.length < 2) return;
    const worst = await getJson(reportPath(id) + "/stores?sort=uptime_percent&order=asc&limit="
      + HEATMAP_STORES, "heatmap", "the worst stores");
    if (!worst || my !== generation) return;
    const stores = worst.stores.filter((st) => isNumber(st.uptime_percent));
    // Each store's rows: its id as the prefix, in CSV order (its own rows come first).
    const answers = await Promise.all(stores.map((st) => getJson(reportPath(id) + "/rows?"
      + new URLSearchParams({ q: st.store_id, limit: "500" }), "heatmap", "the rows of " + st.store_id)));
    if (my !== generation || answers.some((a) => !a)) return;
    const lanes = stores.map((st, i) => ({ store: st,
      rows: new Map(answers[i].rows.filter((r) => r.store_id === st.store_id).map((r) => [r.period_start, r])) }));
    if (!lanes.length) return;
    shown.heatmap = lanes;
    $("heatmap-box").hidden = false;
    const target = shown.summary.target_percent;
    setText($("heatmap-note"), "The " + plural(lanes.length, "store", "stores") + " with the lowest uptime over"
      + " all dates, worst first; a cell per date. Point at a cell, tap it, or focus a store's strip"
      + " and use the arrow keys.");
    heatmapInspector.clear();
    drawSized($("heatmap"), heatmapChart);
    $("heatmap-legend").replaceChildren(...[["good", "on target (" + target + " % or more)"],
      ["near", "less than " + NEAR_POINTS + " points below"], ["bad", "further below"],
      ["nodata", "no data (no poll that date)"], ["closed", "no business time"]]
      .map(([cls, text]) => h("span", {}, swatch("cell " + cls), text)));
    const head = h("tr", {}, h("th", { scope: "col", text: "Store" }),
      ...periods.map((p) => h("th", { scope: "col", class: "num", text: p.period_start })));
    const body = lanes.map((lane) => h("tr", {}, h("th", { scope: "row", class: "id", text: lane.store.store_id }),
      ...periods.map((p) => h("td", { class: "num", text: cellText(lane.rows.get(p.period_start)) }))));
    $("heatmap-table").replaceChildren(h("div", { class: "scroll", tabindex: 0, role: "region",
      "aria-label": "The worst stores per date, as a table" },
    h("table", { id: "heatmap-data" }, h("thead", {}, head), h("tbody", {}, ...body))));
  }
  function cellClass(row) {
    if (!row) return "none";
    if (String(row.polls) === "0") return "nodata";
    if (!isNumber(row.uptime_percent)) return "closed";
    return grade(row.uptime_percent, shown.summary.target_percent) || "good";
  }
  function cellText(row) {
    const cls = cellClass(row);
    return cls === "none" ? "—" : cls === "nodata" ? "no data" : cls === "closed" ? "closed"
      : pct(row.uptime_percent) + " %";
  }
  function heatmapChart(width) {
    const periods = shown.periods;
    const lanes = shown.heatmap || [];
    const rows = lanes.map((lane) => {
      const strip = s("svg", { class: "strip lane", height: 18, tabindex: 0, role: "img" });
      const row = h("div", { class: "heat-row" }, h("a", { href: "#" + storePath(shown.id, lane.store.store_id),
        title: lane.store.store_id, text: lane.store.store_id }), strip);
      return { lane, strip, row };
    });
    $("heatmap").replaceChildren(...rows.map((r) => r.row));
    for (const { lane, strip } of rows) {
      const w = strip.getBoundingClientRect().width || width;
      const slot = w / periods.length;
      let empty = 0, below = 0;
      periods.forEach((p, i) => {
        const row = lane.rows.get(p.period_start);
        const cls = cellClass(row);
        if (cls === "nodata") empty++;
        if (cls === "bad" || cls === "near") below++;
        const closed = cls === "closed";
        strip.append(s("rect", { x: i * slot + (slot > 3 ? 0.5 : 0), y: closed ? 8 : 1,
          width: Math.max(0.6, slot - (slot > 3 ? 1 : 0)), height: closed ? 2 : 16, class: "cell " + cls,
          tip: lane.store.store_id + ", " + p.period_start + " (" + weekday(p.period_start) + "): "
            + (cls === "nodata" ? "no data: no poll that date (counted " + pct(row.uptime_percent)
              + " % from other polls)" : cls === "closed" ? "no business time"
              : cls === "none" ? "no row" : pct(row.uptime_percent) + " % up, " + hm(row.downtime_hours)
                + " down, " + plural(Number(row.polls), "poll", "polls")) }));
      });
      strip.setAttribute("aria-label", "Store " + lane.store.store_id + ": " + percent(lane.store.uptime_percent)
        + " over all dates; " + plural(below, "date", "dates") + " below the target, "
        + plural(empty, "date", "dates") + " without data");
    }
  }
  function swatch(cls) {
    const svg = s("svg", { viewBox: "0 0 24 14", "aria-hidden": "true" });
    if (cls === "cell closed" || cls === "seg closed") svg.append(s("rect", { x: 0, y: 6, width: 24, height: 2, class: cls }));
    else if (cls === "seg outside") svg.append(s("line", { x1: 0, x2: 24, y1: 7, y2: 7, class: cls }));
    else if (cls.startsWith("poll")) svg.append(s("rect", { x: 10, y: 0, width: 3, height: 14, class: cls }));
    else svg.append(s("rect", { x: 0.5, y: 0.5, width: 23, height: 13, class: cls }));
    return svg;
  }

  // ---------------------------------------------------------------- the table of a report

  const col = (key, title, kind, extra = {}) => ({ key, title, kind, ...extra });
  function rankColumns(period) {
    return [col("store_id", "Store", "store"),
      col("uptime_percent", period ? "Uptime, all dates (%)" : "Uptime, last week (%)", "percent"),
      col("downtime_hours", "Downtime", "hours"),
      col("business_hours", "Business time", "hours"),
      col("polls", "Polls", "count"),
      period ? col("worst_period", "Worst period", "worst", { sortable: false }) : null].filter(Boolean);
  }
  const STANDARD_ROW_COLUMNS = [col("store_id", "Store", "store"),
    col("uptime_percent_last_hour", "Uptime, last hour (%)", "percent", { polls: "polls_last_hour" }),
    col("uptime_percent_last_day", "Uptime, last day (%)", "percent", { polls: "polls_last_day" }),
    col("uptime_percent_last_week", "Uptime, last week (%)", "percent", { polls: "polls_last_week" }),
    col("downtime_last_hour", "Downtime, last hour", "minutes"),
    col("downtime_last_day", "Downtime, last day", "hours"),
    col("downtime_last_week", "Downtime, last week", "hours"),
    col("polls_last_week", "Polls, last week", "count")];
  const PERIOD_ROW_COLUMNS = [col("store_id", "Store", "store"), col("period_start", "Period from", "period"),
    col("uptime_percent", "Uptime (%)", "percent", { polls: "polls" }), col("uptime_hours", "Uptime", "hours"),
    col("downtime_hours", "Downtime", "hours"), col("polls", "Polls", "count")];
  const LIMITS = [10, 25, 50, 100, 500];

  // The table's state, all of it in the address: what it lists, sort, order, search, bucket,
  // page size and page.
  function tableState() {
    const period = isPeriod(shown.report);
    const view = param("view") === "rows" ? "rows" : "stores";
    const columns = view === "stores" ? rankColumns(period) : period ? PERIOD_ROW_COLUMNS : STANDARD_ROW_COLUMNS;
    const sortable = columns.filter((c) => c.sortable !== false).map((c) => c.key);
    const fallback = view === "stores" ? "uptime_percent" : "store_id";
    const sort = sortable.includes(param("sort")) ? param("sort") : fallback;
    const limit = LIMITS.includes(Number(param("limit"))) ? Number(param("limit")) : 25;
    return { view, columns, sortable, sort, order: param("order") === "desc" ? "desc" : "asc",
      q: param("q"), bucket: view === "stores" && /^(\d|none)$/.test(param("bucket")) ? param("bucket") : "",
      limit, page: pageParam(), cursor: param("cursor"), period };
  }
  // The report's address with the table's state changed; any change but of the page starts
  // again at the first page.
  function tableAddress(changes) {
    const t = tableState();
    const next = { view: t.view, sort: t.sort, order: t.order, q: t.q, bucket: t.bucket,
      limit: t.limit === 25 ? "" : t.limit, page: "", cursor: "", ...changes };
    if (next.view !== t.view && !("sort" in changes)) {
      next.sort = next.view === "stores" ? "uptime_percent" : "store_id";
      next.order = "asc";
    }
    if (next.view !== "stores") next.bucket = "";
    if (Number(next.page) <= 1) { next.page = ""; next.cursor = ""; }
    return address(reportPath(shown.id), next);
  }
  function tableUrl(t, cursor) {
    const query = new URLSearchParams({ sort: t.sort, order: t.order, limit: String(t.limit) });
    if (t.q) query.set("q", t.q);
    if (t.bucket) query.set("bucket", t.bucket);
    if (cursor) query.set("cursor", cursor);
    return reportPath(shown.id) + (t.view === "stores" ? "/stores?" : "/rows?") + query;
  }

  function syncControls(t) {
    $("tab-stores").href = tableAddress({ view: "stores" });
    $("tab-rows").href = tableAddress({ view: "rows" });
    for (const [tab, view] of [["tab-stores", "stores"], ["tab-rows", "rows"]]) {
      if (t.view === view) $(tab).setAttribute("aria-current", "page");
      else $(tab).removeAttribute("aria-current");
    }
    setText($("table-title"), t.view === "stores" ? "Stores, worst first" : "Rows of the CSV");
    if (document.activeElement !== $("table-q")) $("table-q").value = t.q;
    $("table-sort").replaceChildren(...t.columns.filter((c) => t.sortable.includes(c.key))
      .map((c) => h("option", { value: c.key, text: c.title })));
    $("table-sort").value = t.sort;
    $("table-order").value = t.order;
    $("table-limit").value = String(t.limit);
    $("table-filter").hidden = !t.bucket;
    if (t.bucket) {
      const key = t.bucket === "none" ? "none" : Number(t.bucket);
      $("table-filter").replaceChildren("Only the stores " + (key === "none" ? bucketName(key)
        : "with an uptime of " + bucketName(key)) + ".",
      h("a", { href: tableAddress({ bucket: "" }), text: "List every store" }));
    }
    for (const link of $("histogram").querySelectorAll("a[data-bucket]")) {
      const on = link.dataset.bucket === t.bucket;
      link.classList.toggle("selected", on);
      if (on) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
      link.setAttribute("href", tableAddress({ view: "stores", bucket: on ? "" : link.dataset.bucket }));
    }
    $("table-head").replaceChildren(...t.columns.map((c) => {
      const th = h("th", { scope: "col", class: c.kind === "store" || c.kind === "period" || c.kind === "worst"
        ? "" : "num", dataset: { column: c.key } });
      if (t.sortable.includes(c.key)) {
        th.append(h("button", { type: "button", class: "sort", text: c.title,
          on: { click: () => go(tableAddress({ sort: c.key,
            order: t.sort === c.key && t.order === "asc" ? "desc" : "asc" })) } }));
        if (t.sort === c.key) th.setAttribute("aria-sort", t.order === "asc" ? "ascending" : "descending");
      } else {
        th.textContent = c.title;
      }
      return th;
    }));
  }

  async function showTable(my) {
    const t = tableState();
    syncControls(t);
    const key = [shown.id, t.view, t.sort, t.order, t.q, t.bucket, t.limit].join("|");
    if (t.cursor) rememberCursor(key, t.page, t.cursor);
    $("table-prev").disabled = true;
    $("table-next").disabled = true;
    const what = t.view === "stores" ? "the stores" : "the rows";
    const cursor = await cursorOf(key, t.page, async (c) => {
      const answer = await getJson(tableUrl(t, c), "table", what);
      return answer && answer.next_cursor;
    });
    if (my !== generation) return;
    const page = cursor === null ? { stores: [], rows: [], next_cursor: null }
      : await getJson(tableUrl(t, cursor), "table", what);
    if (my !== generation || !page) return;
    rememberCursor(key, t.page + 1, page.next_cursor);
    const items = t.view === "stores" ? page.stores : page.rows;
    $("table-body").replaceChildren(...items.map((item) => h("tr", { dataset: { store: item.store_id } },
      ...t.columns.map((c) => cell(c, item)))));
    $("table-empty").hidden = items.length > 0;
    const total = Number(t.view === "stores" ? page.stores_total : page.rows_total);
    const noun = t.view === "stores" ? ["store", "stores"] : ["row", "rows"];
    const first = (t.page - 1) * t.limit + 1, last = first + items.length - 1;
    setText($("table-info"), plural(total || 0, ...noun) + (t.q ? " whose store id starts with “" + t.q + "”" : "")
      + (t.view === "stores" && t.sort === "uptime_percent" && t.order === "asc" ? ", worst first" : ""));
    setText($("table-page"), items.length ? "Page " + t.page + " · " + count(first) + "–" + count(last)
      + (isNumber(total) ? " of " + count(total) : "") : "Page " + t.page);
    $("table-prev").disabled = t.page <= 1;
    $("table-next").disabled = !page.next_cursor;
    // The pager's buttons are disabled while a page loads, which drops the focus: give it back
    // to the button pressed, or to the table's title when that button is disabled now.
    refocusPager(pagedBy, "table-next", "table-prev", "table-title");
    pagedBy = null;
  }
  let pagedBy = null;  // the pager button that asked for the page on its way
  function tablePage(step) {
    pagedBy = step;
    const t = tableState();
    const key = [shown.id, t.view, t.sort, t.order, t.q, t.bucket, t.limit].join("|");
    const page = t.page + step;
    go(tableAddress({ page, cursor: (cursorCache.get(key) || [])[page] || "" }));
  }

  // An uptime percent cell: "no business time"; "no data" (hatched) without a poll, with the
  // figure the report carried from other polls; a mark below the target. One span, so that a
  // card shows it as one value.
  function fillPercent(td, value, polls, target) {
    td.classList.add("num");
    const shownValue = h("span");
    if (!isNumber(value)) {
      shownValue.append(h("span", { class: "muted", text: value === "" || value === null ? "no business time" : "—" }));
    } else if (String(polls) === "0") {
      td.classList.add("nodata");
      shownValue.append(h("span", { class: "nodata-mark", text: "no data" }),
        h("span", { class: "carried", text: "carried: " + pct(value) + " %" }));
    } else {
      if (grade(value, target) && grade(value, target) !== "good") {
        shownValue.append(h("span", { class: "below-mark", "aria-hidden": "true", text: "▼ " }),
          h("span", { class: "sr-only", text: "below target: " }));
      }
      shownValue.append(pct(value));
    }
    td.append(shownValue);
    return td;
  }
  // One cell, in the owner's words: durations as "4 h 49 min", percents against the target, a
  // period or window without a poll as "no data".
  function cell(c, item) {
    const td = h("td", { dataset: { column: c.key, label: c.title } });
    const value = item[c.key];
    if (c.kind === "store") {
      td.className = "store head";
      td.append(h("a", { href: "#" + storePath(shown.id, item.store_id), text: item.store_id }));
    } else if (c.kind === "percent") {
      fillPercent(td, value, c.polls ? item[c.polls] : null, shown.summary.target_percent);
    } else if (c.kind === "hours" || c.kind === "minutes") {
      td.className = "num";
      td.textContent = hm(c.kind === "minutes" && isNumber(value) ? Number(value) / 60 : value);
    } else if (c.kind === "count") {
      td.className = "num";
      td.textContent = isNumber(value) ? count(value) : "—";
    } else if (c.kind === "period") {
      td.append(value, partialPeriod(value) ? h("span", { class: "partial-mark", text: " partial" }) : null);
    } else if (c.kind === "worst") {
      // A period no store had a poll in is no measurement, however low its carried figure.
      const figures = value && shown.periods.find((p) => p.period_start === value.period_start);
      td.textContent = value ? value.period_start + ": " + percent(value.uptime_percent)
        + (figures && noData(figures) ? " (no data)" : "") : "—";
    }
    return td;
  }

  // ---------------------------------------------------------------- a store's page

  async function loadStore(reportId, storeId, my) {
    setText($("store-title"), "Store " + storeId);
    $("store-meta").replaceChildren();
    $("store-body").hidden = true;
    $("store-state").replaceChildren(h("p", { class: "muted", text: "Loading…" }));
    shownStore = null;
    try {
      const [response, report, summary] = await Promise.all([
        api(storePath(reportId, storeId)),
        getJson("/get_report/" + encodeURIComponent(reportId), "store", "the report"),
        getJson(reportPath(reportId) + "/summary", "store", "the report's summary")]);
      if (my !== generation) return;
      if (response.status === 401) {
        $("store-state").replaceChildren(h("p", { class: "muted", text: "Waiting for the API token…" }));
        return;
      }
      if (!response.ok) {
        $("store-state").replaceChildren(h("p", { text: response.status === 404
          ? "This store has no row in report " + reportId + "." : "Could not load the store." }));
        if (response.status !== 404) setError("store", "Could not load store " + storeId + ": " + await describe(response));
        return;
      }
      const data = await response.json();
      // A standard report's row in the API adds the uptime percent and polls per window.
      let derived = null;
      if (!Array.isArray(data.rows)) {
        const page = await getJson(reportPath(reportId) + "/rows?" + new URLSearchParams({ q: storeId,
          limit: "5" }), "store", "the store's row");
        derived = page && page.rows.find((r) => r.store_id === storeId);
      }
      if (my !== generation) return;
      shownStore = prepareStore(reportId, report, summary || {}, data, derived);
      renderStore();
      $("store-state").replaceChildren();
      $("store-body").hidden = false;
    } catch (e) {
      if (my === generation) setError("store", "The API is unreachable: " + e.message);
    }
  }

  // The explanation cut by local date: each date's business segments, closed stretches, polls.
  function prepareStore(reportId, report, summary, data, derived) {
    const win = { a: instant(data.window.from), b: instant(data.window.to) };
    const segments = (data.segments || []).map((g) => ({ ...g, a: instant(g.from), b: instant(g.to) }))
      .filter((g) => g.b > g.a);
    const closed = [];  // the window's time that no segment covers
    let covered = win.a;
    for (const g of segments) {
      if (g.a > covered) closed.push({ a: covered, b: Math.min(g.a, win.b) });
      covered = Math.max(covered, g.b);
    }
    if (covered < win.b) closed.push({ a: covered, b: win.b });
    const polls = (data.polls || []).map((p) => ({ ...p, t: instant(p.at) }));
    const days = (data.days || []).map((d) => {
      const day = { date: d.date, a: instant(d.from), b: instant(d.to) };
      const cut = (list) => list.filter((g) => g.b > day.a && g.a < day.b)
        .map((g) => ({ ...g, ca: Math.max(g.a, day.a), cb: Math.min(g.b, day.b) }));
      day.segments = cut(segments);
      day.closed = cut(closed);
      day.polls = polls.filter((p) => p.t >= day.a && p.t < day.b);
      day.noData = day.segments.length > 0 && day.polls.length === 0;
      return day;
    });
    return { reportId, report, summary, data, derived, win, days, polls, zone: data.timezone,
      period: Array.isArray(data.rows) };
  }

  // Business hours as lines of text, Monday first; days alike in a row share a line.
  function hoursText(rows) {
    if (!rows.length) return ["open 24×7 (no business hours given)"];
    const short = (t) => String(t).replace(/^(\d\d:\d\d):00$/, "$1");
    const perDayText = [];
    for (let day = 0; day < 7; day++) {
      const today = rows.filter((r) => r.day === day).sort((a, b) => (a.start < b.start ? -1 : 1));
      const spans = today.map((r) => short(r.start) + "–" + short(r.end) + (r.end <= r.start ? " (next day)" : ""));
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
  // The zone, its abbreviation and offset, and where the offset changes in the window.
  function zoneText(st) {
    const first = wall(st.win.a, st.zone);
    if (!first) return st.zone + " (this browser does not know it: times are in UTC)";
    let text = st.zone + ": " + first.abbr + " (UTC" + first.offset + ")";
    for (const day of st.days) {
      const before = wall(day.a, st.zone), after = wall(day.b - 1, st.zone);
      if (before && after && before.offset !== after.offset) {
        text += "; " + after.abbr + " (UTC" + after.offset + ") from " + day.date;
      }
    }
    return text + (st.data.timezone_default ? " — the default: the store has no zone of its own" : "");
  }

  function renderStore() {
    const st = shownStore;
    const { data, report, zone } = st;
    $("store-meta").replaceChildren(h("span", {}, "In ", h("a", { href: "#" + reportPath(st.reportId),
      text: "report " + shortId(st.reportId) }), report ? ": " + kindText(report) : ""),
    report && report.as_of ? h("span", { text: "as of " + at(report.as_of, zone) }) : null);
    const facts = [];
    const fact = (term, ...values) => facts.push(h("dt", { text: term }), h("dd", {}, ...values));
    fact("Time zone", h("span", { id: "store-zone", text: zoneText(st) }));
    fact("Business hours", h("span", { id: "store-hours" }, ...hoursText(data.business_hours || [])
      .flatMap((line, i) => (i ? [h("br"), line] : [line]))));
    fact(st.period ? "Dates" : "Window", at(data.window.from, zone) + " → " + at(data.window.to, zone)
      + (st.period ? "" : " (the last week)"));
    const observed = st.polls.filter((p) => p.observation).length;
    fact("Polls", plural(st.polls.length, "poll", "polls") + " read, from " + at(data.span.from, zone)
      + " (a day before the " + (st.period ? "dates" : "window") + ") to " + at(data.span.to, zone) + "; "
      + (data.observations === "all_polls" ? "none within business hours, so all of them decide the status"
        : count(observed) + " of them " + (observed === 1 ? "is" : "are") + " within business hours and"
          + " decide the status (the others are not used)"));
    const empty = st.days.filter((d) => d.noData).length;
    if (empty) {
      fact("No data", plural(empty, "date", "dates") + " with business time have no poll: their status is "
        + "carried from the nearest poll, and they are drawn hatched below.");
    }
    $("store-facts").replaceChildren(...facts);
    renderFigures(st);
    drawDays();
    renderOutages(st);
  }

  // The store's uptime per window (or per period), in words, with its CSV row(s) below.
  function renderFigures(st) {
    const { data } = st;
    let table;
    if (!st.period) {
      const row = data.row, more = st.derived || {};
      const windows = [["hour", "Last hour", 1 / 60], ["day", "Last day", 1], ["week", "Last week", 1]];
      table = h("table", { id: "store-windows", class: "cards" },
        h("thead", {}, h("tr", {}, ...["Window", "Uptime (%)", "Uptime", "Downtime", "Polls"]
          .map((t, i) => h("th", { scope: "col", class: i ? "num" : "", text: t })))),
        h("tbody", {}, ...windows.map(([w, name, scale]) => {
          const polls = more["polls_last_" + w];
          return h("tr", { dataset: { window: "last_" + w } },
            h("td", { class: "head", dataset: { label: "Window" }, text: name }),
            storePercent(more["uptime_percent_last_" + w], polls, st.summary.target_percent),
            h("td", { class: "num", dataset: { label: "Uptime" }, text: hm(Number(row["uptime_last_" + w]) * scale) }),
            h("td", { class: "num", dataset: { label: "Downtime" }, text: hm(Number(row["downtime_last_" + w]) * scale) }),
            h("td", { class: "num", dataset: { label: "Polls" }, text: isNumber(polls) ? count(polls) : "—" }));
        })));
      setText($("figures-title"), "Uptime in the last hour, day and week");
    } else {
      table = h("table", { id: "store-periods", class: "cards" },
        h("thead", {}, h("tr", {}, ...["Period from", "Uptime (%)", "Uptime", "Downtime", "Polls"]
          .map((t, i) => h("th", { scope: "col", class: i ? "num" : "", text: t })))),
        h("tbody", {}, ...data.rows.map((row) => h("tr", { dataset: { period: row.period_start } },
          h("td", { class: "head", dataset: { label: "Period from" } }, row.period_start,
            st.summary.partial_last_period && row === data.rows[data.rows.length - 1]
              ? h("span", { class: "partial-mark", text: " partial" }) : null),
          storePercent(row.uptime_percent, row.polls, st.summary.target_percent),
          h("td", { class: "num", dataset: { label: "Uptime" }, text: hm(row.uptime_hours) }),
          h("td", { class: "num", dataset: { label: "Downtime" }, text: hm(row.downtime_hours) }),
          h("td", { class: "num", dataset: { label: "Polls" }, text: isNumber(row.polls) ? count(row.polls) : "—" })))));
      setText($("figures-title"), "Uptime per period");
    }
    $("store-figures").replaceChildren(st.period && data.rows.length > 14
      ? h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": "The store's periods (scrolls)" }, table)
      : table);
    // The CSV's own words, for whoever checks a figure against the file.
    const rows = st.period ? data.rows : [data.row];
    const columns = Object.keys(rows[0] || {});
    setText($("store-csv-summary"), st.period ? "Its rows in the CSV" : "Its row in the CSV");
    $("store-csv").replaceChildren(h("div", { class: "scroll", tabindex: 0, role: "region",
      "aria-label": "The store's rows in the CSV" }, h("table", { id: "store-row" },
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", text: c })))),
      h("tbody", {}, ...rows.map((row) => h("tr", {}, ...columns.map((c) => h("td", {
        dataset: { column: c }, text: row[c] ?? "" }))))))));
  }
  function storePercent(value, polls, target) {
    return fillPercent(h("td", { dataset: { label: "Uptime (%)" } }), value, polls, target);
  }

  // ---------------------------------------------------------------- the store's timeline

  // The minutes of the day (since its local midnight) that hold business time on any of `days`,
  // widened to whole hours; null when that is (nearly) the whole day.
  function businessSpan(days) {
    let lo = Infinity, hi = -Infinity;
    for (const day of days) {
      for (const g of day.segments) {
        lo = Math.min(lo, (g.ca - day.a) / 60000);
        hi = Math.max(hi, (g.cb - day.a) / 60000);
      }
    }
    if (!(hi > lo)) return null;
    lo = Math.floor(lo / 60) * 60;
    hi = Math.ceil(hi / 60) * 60;
    return hi - lo >= 23 * 60 ? null : { lo, hi };
  }
  function dayPages() {
    return Math.max(1, Math.ceil(shownStore.days.length / DAYS_PER_PAGE));
  }
  function daySummary(st, day) {
    const sum = (list, status) => list.filter((g) => !status || g.status === status)
      .reduce((total, g) => total + (g.cb - g.ca), 0) / 3600000;
    const parts = [];
    if (day.noData) parts.push("no data (no poll this date; " + hm(sum(day.segments)) + " of business time carried)");
    else if (day.segments.length) parts.push("up " + hm(sum(day.segments, "up")) + ", down " + hm(sum(day.segments, "down")));
    else parts.push("no business time");
    parts.push(plural(day.polls.length, "poll", "polls"));
    return weekday(day.date) + " " + day.date + ": " + parts.join("; ");
  }
  function drawDays() {
    const st = shownStore;
    if (!st) return;
    const pages = dayPages();
    const page = Math.min(pageParam(), pages);
    const start = (page - 1) * DAYS_PER_PAGE;
    const days = st.days.slice(start, start + DAYS_PER_PAGE);
    const span = param("hours") === "business" ? businessSpan(days) : null;
    $("timeline-span").value = param("hours") === "business" ? "business" : "day";
    $("timeline-pager").hidden = pages <= 1;
    setText($("days-info"), "Dates " + (start + 1) + "–" + (start + days.length) + " of " + st.days.length);
    $("days-prev").disabled = page <= 1;
    $("days-next").disabled = page >= pages;
    const before = st.polls.filter((p) => st.days.length && p.t < st.days[0].a).length;
    const notes = ["One line per local date in " + st.zone + ", " + (span ? "business hours only ("
      + hhmm(span.lo) + "–" + hhmm(span.hi) + ")" : "midnight to midnight") + "."];
    if (before) notes.push(plural(before, "poll", "polls") + " of the day before the first date are read but not drawn.");
    notes.push("Point at a stretch or a tick, tap it, or focus a date and use the arrow keys for its times.");
    setText($("timeline-note"), notes.join(" "));
    const lanes = days.map((day) => h("li", { class: "lane day", tabindex: 0, dataset: { date: day.date },
      "aria-label": daySummary(st, day) },
    h("span", { class: "date" }, weekday(day.date) + " " + day.date, dayNote(st, day),
      day.noData ? h("span", { class: "nodata-mark", text: "no data" }) : null),
    s("svg", { class: "strip", height: 20, "aria-hidden": "true" })));
    const scale = h("li", { class: "hours", "aria-hidden": "true" }, h("span", { class: "spacer" }),
      h("div", { class: "scale" }));
    timelineInspector.clear();
    $("timeline").replaceChildren(h("ol", { class: "days", "aria-label": "Dates, each a line of its business time" },
      scale, ...lanes));
    drawSized($("timeline"), () => drawStrips(st, days, span, scale.querySelector(".scale"), lanes));
    $("legend").replaceChildren(...[["seg up", "up"], ["seg down", "down"],
      ["seg nodata", "no data (no poll that date)"], ["seg closed", "closed (outside business hours)"],
      ["seg outside", "outside the report's time"], ["poll obs", "poll that decides"],
      ["poll", "poll outside business hours (not used)"]]
      .map(([cls, text]) => h("span", {}, swatch(cls), text)));
  }
  function hhmm(minutes) {
    return String(Math.floor(minutes / 60)).padStart(2, "0") + ":" + String(minutes % 60).padStart(2, "0");
  }
  // A date whose length is not 24 hours: its length and the change of offset.
  function dayNote(st, day) {
    const hours = (day.b - day.a) / 3600000;
    if (Math.abs(hours - 24) < 1e-6) return null;
    const before = wall(day.a, st.zone), after = wall(day.b - 1, st.zone);
    return h("span", { class: "note", text: hours + " h" + (before && after ? ", " + before.abbr + " → "
      + after.abbr : "") });
  }
  function drawStrips(st, days, span, scale, lanes) {
    const width = lanes.length ? lanes[0].querySelector("svg").getBoundingClientRect().width : 0;
    if (!(width > 0)) return;
    const lo = span ? span.lo : 0;
    // Hour marks: every 3 hours (6 on a phone) of the whole day, every hour or two of business hours.
    const range = span ? span.hi - span.lo : 24 * 60;
    const every = [60, 120, 180, 360].find((m) => (range / m) * 46 <= width) || 720;
    const marks = [];
    for (let m = Math.ceil(lo / every) * every; m <= lo + range; m += every) marks.push(m);
    scale.replaceChildren(...marks.map((m) => {
      const mark = h("span", { class: m === lo ? "first" : m === lo + range ? "last" : "", text: hhmm(m) });
      mark.style.left = ((m - lo) / range) * 100 + "%";
      return mark;
    }));
    lanes.forEach((lane, i) => drawStrip(st, days[i], lane.querySelector("svg"), width, span));
  }
  function drawStrip(st, day, svg, width, span) {
    const zone = st.zone;
    const lo = span ? day.a + span.lo * 60000 : day.a, hi = span ? day.a + span.hi * 60000 : day.b;
    const x = (ms) => Math.min(width, Math.max(0, ((ms - lo) / (hi - lo)) * width));
    const t = (ms) => clock(ms, zone, day.date);
    const name = weekday(day.date) + " " + day.date + ", ";
    const marks = [];
    const add = (node, from) => marks.push({ node, from });
    const bar = (a, b, cls, tip, y = 7, height = 12) => {
      if (x(b) - x(a) <= 0) return;
      add(s("rect", { x: x(a), y, width: x(b) - x(a), height, class: cls, tip: name + tip }), a);
    };
    if (st.win.a > day.a) {
      const b = Math.min(st.win.a, day.b);
      if (x(b) > x(day.a)) {
        add(s("line", { x1: x(day.a), x2: x(b), y1: 13, y2: 13, class: "seg outside",
          tip: name + t(day.a) + " → " + t(b) + ": before the report's time, which starts at "
            + at(st.data.window.from, zone) }), day.a);
      }
    }
    for (const c of day.closed) bar(c.ca, c.cb, "closed", t(c.ca) + " → " + t(c.cb) + ": closed (outside business hours)", 12, 2);
    for (const g of day.segments) {
      const cls = day.noData ? "nodata" : g.status === "up" ? "up" : "down";
      const decided = "the poll at " + at(g.poll, zone);
      bar(g.ca, g.cb, "seg " + cls, t(g.ca) + " → " + t(g.cb) + " (" + hm((g.cb - g.ca) / 3600000) + "): "
        + (day.noData ? "no data: no poll this date; counted " + g.status + " from " + decided
          : g.status + ", from " + decided));
    }
    if (st.win.b < day.b) {
      const a = Math.max(st.win.b, day.a);
      if (x(day.b) > x(a)) {
        add(s("line", { x1: x(a), x2: x(day.b), y1: 13, y2: 13, class: "seg outside",
          tip: name + t(a) + " → " + t(day.b) + ": after the report's as of (" + at(st.data.window.to, zone) + ")" }), a);
      }
    }
    for (const p of day.polls) {
      if (p.t < lo || p.t > hi) continue;
      add(s("rect", { x: x(p.t) - 1, y: 0, width: 2, height: 6, class: "poll" + (p.observation ? " obs" : ""),
        tip: name + "poll at " + t(p.t) + ": " + p.status + (p.observation ? ""
          : " (outside business hours: not used)") }), p.t);
    }
    marks.sort((m1, m2) => m1.from - m2.from);
    svg.setAttribute("width", width);
    svg.replaceChildren(...marks.map((m) => m.node));
  }
  function dayPage(step) {
    const page = Math.min(Math.max(1, pageParam() + step), dayPages());
    go(address(storePath(shownStore.reportId, shownStore.data.store_id),
      { hours: param("hours"), page: page > 1 ? page : "" }));
  }

  // Down stretches of business time, merged when adjacent, longest first, in local time.
  function renderOutages(st, all = false) {
    const outages = st.data.outages || [];
    if (!outages.length) {
      $("outages").replaceChildren(h("p", { class: "muted",
        text: "None: the store was up through all of its business time." }));
      return;
    }
    const zone = st.zone;
    const list = all ? outages : outages.slice(0, OUTAGES_SHOWN);
    const carried = (o) => {
      const a = instant(o.from), b = instant(o.to);
      const touched = st.days.filter((d) => d.b > a && d.a < b);
      return touched.length > 0 && touched.every((d) => d.noData);
    };
    const notes = list.map((o) => (carried(o) ? "no data: no poll on its dates" : ""));
    const columns = ["From", "To", "Lasted"].concat(notes.some(Boolean) ? ["Note"] : []);
    const table = h("table", { id: "outages-table", class: "cards" },
      h("thead", {}, h("tr", {}, ...columns.map((t, i) => h("th", { scope: "col",
        class: i === 2 ? "num" : "", text: t })))),
      h("tbody", {}, ...list.map((o, i) => h("tr", {},
        h("td", { class: "when", dataset: { label: "From" }, text: at(o.from, zone) }),
        h("td", { class: "when", dataset: { label: "To" }, text: at(o.to, zone) }),
        h("td", { class: "num", dataset: { label: "Lasted" }, text: hm((instant(o.to) - instant(o.from)) / 3600000) }),
        columns.length > 3 ? h("td", { dataset: { label: "Note" }, class: notes[i] ? "" : "empty",
          text: notes[i] }) : null))));
    const parts = [table];
    if (list.length < outages.length) {
      parts.push(h("p", {}, h("button", { type: "button", class: "small",
        text: "Show all " + count(outages.length) + " outages", on: { click: () => renderOutages(st, true) } })));
    }
    $("outages").replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- pages that refresh themselves

  // A page that loads, then again every `ms` while it is on screen: one load at a time (a load
  // asked for meanwhile runs after it), none while the API waits for its token.
  function liveView(view, load, ms) {
    let busy = false, again = false, timer = null;
    async function run() {
      clearTimeout(timer);
      if (busy) { again = true; return; }
      busy = true;
      try {
        await load(generation);
      } finally {
        busy = false;
      }
      if (current.view !== view) return;
      if (again) { again = false; run(); return; }
      if (!waitingForToken) timer = setTimeout(run, ms);
    }
    return { run, stop: () => clearTimeout(timer) };
  }
  // "2 h 15 min", and for longer "3 days 4 h": how long something has lasted, from seconds.
  function lasted(seconds) {
    const hours = Math.max(0, seconds) / 3600;
    if (hours < 48) return hm(hours);
    const days = Math.floor(hours / 24), rest = Math.round(hours - days * 24);
    return plural(days, "day", "days") + (rest ? " " + rest + " h" : "");
  }
  // How long ago an instant was by this browser's clock (corrected by the server's).
  function ago(ms) {
    const seconds = (Date.now() + skew - ms) / 1000;
    if (seconds < 60) return "just now";
    return age(seconds) + " ago";
  }

  // ---------------------------------------------------------------- the stores now

  const downRows = new Map();   // store_id -> {tr, cells, link}
  const eventItems = new Map(); // event id -> li
  let events = { key: null, list: [], next: 0 };  // the newest events of the filter shown
  let linkReports = null;       // {at, promise}: the Complete reports store pages open in
  const inReport = new Map();   // "report|store" -> whether that Complete report has the store
  let making = null;            // {promise}: a report being made for the store pages
  let nowPagedBy = 0;           // the pager button that asked for the page on its way
  let nowAnswer = null;         // the last /fleet/now shown

  function nowQuery(cursor) {
    const query = new URLSearchParams({ limit: String(DOWN_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    return "/fleet/now?" + query;
  }
  function nowAddress(changes) {
    const next = { events: param("events"), page: pageParam(), cursor: param("cursor"), ...changes };
    if (Number(next.page) <= 1) { next.page = ""; next.cursor = ""; }
    return address("/", next);
  }

  async function loadNow(my) {
    const page = pageParam();
    if (param("cursor")) rememberCursor("now", page, param("cursor"));
    const cursor = await cursorOf("now", page, async (c) => {
      const answer = await getJson(nowQuery(c), "now", "the stores now");
      return answer && answer.next_cursor;
    });
    if (my !== generation) return;
    // A page past the last: the counts still come from the first.
    const answer = await getJson(nowQuery(cursor || ""), "now", "the stores now");
    if (my !== generation || !answer) return;
    if (cursor === null) { answer.stores = []; answer.next_cursor = null; }
    rememberCursor("now", page + 1, answer.next_cursor);
    nowAnswer = answer;
    renderNowHead(answer);
    if (answer.now === null) {
      const text = "No polls yet, so nothing to show: the page fills in once polls arrive "
        + "(storemon ingest --polls, or POST /polls).";
      $("now-body").hidden = true;
      // Once: a status said again every few seconds would be read out again.
      if ($("now-state").textContent !== text) {
        $("now-state").replaceChildren(h("div", { class: "state empty-state" }, h("p", { text })));
      }
      return;
    }
    $("now-state").replaceChildren();
    $("now-body").hidden = false;
    renderCounts(answer);
    renderDown(answer, page);
    await Promise.all([loadEvents(my), linkStores(my, answer.stores)]);
  }

  // When "now" is (the latest poll), how old it is by the wall clock, and what to beware of.
  function renderNowHead(answer) {
    const parts = [];
    const notes = [];
    if (answer.now) {
      const now = instant(answer.now);
      parts.push(h("span", {}, "Now is the latest poll: ", h("strong", { text: at(answer.now) }),
        ", " + ago(now)));
      if ((Date.now() + skew - now) / 1000 > STALE_SECONDS) {
        notes.push("No poll has arrived for " + age((Date.now() + skew - now) / 1000)
          + ": this is how the stores were then, not how they are.");
      }
      if (!answer.up_to_date) {
        notes.push("The workers are still reading the latest polls: these figures may be a little behind.");
      }
    }
    parts.push(h("span", { class: "muted", text: "updated " + new Date().toLocaleTimeString("en-GB") }));
    $("now-when").replaceChildren(...parts);
    setText($("now-lag"), notes.join(" "));
    $("now-lag").hidden = notes.length === 0;
  }

  function renderCounts(answer) {
    const c = answer.counts;
    const total = Number(c.open_up) + Number(c.open_down) + Number(c.closed);
    const down = Number(c.open_down), stale = Number(c.stale);
    const tiles = [
      tile("open_up", "Open and up", count(c.open_up), { cls: "good", text: "" },
        "of " + plural(total, "store", "stores") + " polled in the 8 days before now"),
      tile("open_down", "Open and down", count(c.open_down), down ? { cls: "bad", text: "" } : { cls: "good", text: "" },
        down ? "in business hours and not online: listed below" : "every open store is online"),
      tile("closed", "Closed now", count(c.closed), null, "outside their business hours"),
      tile("stale", "No recent poll", count(c.stale), stale ? { cls: "warn", text: "" } : null,
        "no poll in the 2 hours before now (counted above too)"),
    ];
    $("now-counts").replaceChildren(...tiles);
  }

  const DOWN_COLUMNS = [["store", "Store"], ["since", "Down since"], ["for", "Down for"],
    ["last", "Last poll"]];
  function renderDown(answer, page) {
    const body = $("down-body");
    const now = instant(answer.now);
    const seen = new Set();
    answer.stores.forEach((store, index) => {
      seen.add(store.store_id);
      let row = downRows.get(store.store_id);
      if (!row) {
        const tr = h("tr", { dataset: { store: store.store_id } });
        const cells = {};
        for (const [name, label] of DOWN_COLUMNS) {
          cells[name] = tr.insertCell();
          cells[name].dataset.label = label;
        }
        cells.store.className = "store head";
        cells.since.className = "when";
        cells.for.className = "num";
        cells.last.className = "wide";
        row = { tr, cells, store, link: undefined };
        downRows.set(store.store_id, row);
        drawStoreCell(row);
      }
      row.store = store;
      setText(row.cells.since, at(store.since));
      setText(row.cells.for, lasted((now - instant(store.since)) / 1000));
      const gap = (now - instant(store.last_poll)) / 1000;
      const lastText = at(store.last_poll) + " · " + (gap < 60 ? "at now" : hm(gap / 3600) + " before now");
      if (row.cells.last.dataset.text !== lastText + store.stale) {
        row.cells.last.dataset.text = lastText + store.stale;
        row.cells.last.replaceChildren(lastText, ...(store.stale
          ? [h("span", { class: "stale-mark", text: " ⚠ no poll for over 2 hours" })] : []));
      }
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    });
    for (const [id, row] of downRows) {
      if (!seen.has(id)) {
        row.tr.remove();
        downRows.delete(id);
      }
    }
    const down = Number(answer.counts.open_down);
    $("down-empty").hidden = answer.stores.length > 0;
    setText($("down-empty"), page > 1 ? "No more down stores on this page."
      : "No store is down while open right now.");
    $("down-table").hidden = answer.stores.length === 0;
    $("down-note").hidden = answer.stores.length === 0;
    $("down-help").hidden = answer.stores.length === 0;
    $("down-pager").hidden = page <= 1 && !answer.next_cursor;
    const first = (page - 1) * DOWN_LIMIT + 1;
    setText($("down-page"), answer.stores.length ? "Page " + page + " · " + count(first) + "–"
      + count(first + answer.stores.length - 1) + " of " + count(down) : "Page " + page);
    $("down-prev").disabled = page <= 1;
    $("down-next").disabled = !answer.next_cursor;
    refocusPager(nowPagedBy, "down-next", "down-prev", "down-title");
    nowPagedBy = 0;
  }
  function nowPage(step) {
    nowPagedBy = step;
    const page = Math.max(1, pageParam() + step);
    go(nowAddress({ page, cursor: (cursorCache.get("now") || [])[page] || "" }));
  }

  // A down store's id, linked to its page in a report that has it; else a button that makes
  // a report and then opens it. Drawn again only when that changes (a focused link stays).
  function drawStoreCell(row) {
    const id = row.store.store_id;
    const cell = row.cells.store;
    if (row.link) {
      cell.replaceChildren(h("a", { href: "#" + storePath(row.link.report_id, id), text: id,
        "aria-label": "Store " + id + ": its page" }));
    } else if (row.link === null) {
      cell.replaceChildren(h("span", { class: "id", text: id }), " ",
        h("button", { type: "button", class: "small make", text: "Make a report and open",
          "aria-label": "Make a report and open the page of store " + id,
          on: { click: (event) => openInNewReport(id, event.currentTarget) } }));
    } else {
      cell.replaceChildren(h("span", { class: "id", text: id }));
    }
  }

  // The newest Complete reports of the last hour, day and week (a store's page needs one),
  // newest data first; asked again now and then (a newer one, one that expired).
  function linkCandidates() {
    if (!linkReports || Date.now() - linkReports.at > LINKS_MS) {
      const at = Date.now();
      const promise = getJson("/api/reports?status=Complete&limit=50", "links", "the reports")
        .then((answer) => {
          if (!answer) { if (linkReports && linkReports.at === at) linkReports = null; return null; }
          return answer.reports.filter((r) => !isPeriod(r) && r.as_of)
            .sort((x, y) => instant(y.as_of) - instant(x.as_of) || (x.requested_at < y.requested_at ? 1 : -1))
            .slice(0, LINK_REPORTS);
        });
      linkReports = { at, promise };
    }
    return linkReports.promise;
  }
  // The report whose store page to open for `storeId`: null when none has it, undefined when
  // that is not known (the API did not answer).
  async function reportWith(storeId) {
    const reports = await linkCandidates();
    if (!reports) return undefined;
    for (const report of reports) {
      const key = report.report_id + "|" + storeId;
      if (!inReport.has(key)) {
        const page = await getJson(reportPath(report.report_id) + "/rows?"
          + new URLSearchParams({ q: storeId, limit: "1" }), "links", "a report's rows");
        if (!page) return undefined;
        inReport.set(key, page.rows.length > 0 && page.rows[0].store_id === storeId);
      }
      if (inReport.get(key)) return report;
    }
    return null;
  }
  async function linkStores(my, stores) {
    const reports = await linkCandidates();
    if (my !== generation) return;
    renderLinkNote(reports);
    await Promise.all(stores.map(async (store) => {
      const report = await reportWith(store.store_id);
      const row = downRows.get(store.store_id);
      if (my !== generation || !row || report === undefined) return;
      const was = row.link ? row.link.report_id : row.link;
      if (was !== (report ? report.report_id : report)) {
        row.link = report;
        drawStoreCell(row);
      }
    }));
  }
  // Which report the store pages open in, and how its data compares with now.
  function renderLinkNote(reports) {
    const note = $("down-note");
    const now = nowOnScreen();
    const key = JSON.stringify([reports && reports[0] && reports[0].report_id, now]);
    if (note.dataset.key === key) return;
    note.dataset.key = key;
    if (!reports) { note.replaceChildren(); return; }
    const fresh = h("button", { type: "button", class: "small make", text: "Make a fresh report",
      on: { click: (event) => openInNewReport(null, event.currentTarget) } });
    const newest = reports[0];
    if (!newest) {
      note.replaceChildren(h("span", { text: "No complete report yet: a store's page needs one. "
        + "“Make a report and open” makes one (every store's last hour, day and week), then opens "
        + "the store's page." }));
      return;
    }
    const behind = now ? (now - instant(newest.as_of)) / 1000 : 0;
    note.replaceChildren(h("span", {}, "Store pages open in ",
      h("a", { href: "#" + reportPath(newest.report_id), text: "report " + shortId(newest.report_id) }),
      ", as of " + at(newest.as_of) + (behind >= 60 ? " (" + hm(behind / 3600) + " before now: "
        + "what came after is not in it)." : " (now).")), ...(behind >= 60 ? [fresh] : []));
  }
  function nowOnScreen() {
    return nowAnswer && nowAnswer.now ? instant(nowAnswer.now) : null;
  }

  // Trigger a report of the last hour, day and week, follow it, then open the store's page in
  // it (or, for `storeId` null, show the links in it). One report at a time serves them all.
  async function openInNewReport(storeId, button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    setError("make", "");
    const buttons = () => document.querySelectorAll("button.make");
    if (!making) {
      making = { promise: makeReport().finally(() => {
        making = null;
        buttons().forEach((b) => b.removeAttribute("aria-disabled"));
      }) };
    }
    buttons().forEach((b) => b.setAttribute("aria-disabled", "true"));
    const report = await making.promise;
    if (!report) return;
    linkReports = null;
    if (storeId && current.view === "now") go("#" + storePath(report.report_id, storeId));
    else if (current.view === "now") nowLive.run();
  }
  async function makeReport() {
    const notice = $("now-notice");
    setText(notice, "Making a report…");
    try {
      const response = await api("/trigger_report", { method: "POST" });
      if (response.status !== 202 && response.status !== 200) {
        if (response.status !== 401) setError("make", "Could not make a report: " + await describe(response));
        setText(notice, "");
        return null;
      }
      const id = (await response.json()).report_id;
      for (;;) {
        const report = await getJson("/get_report/" + encodeURIComponent(id), "make", "the new report");
        if (!report) { setText(notice, ""); return null; }
        if (report.status !== "Running") {
          setText(notice, report.status === "Complete" ? "Report " + shortId(id) + " is complete." : "");
          if (report.status !== "Complete") {
            setError("make", "The report " + shortId(id) + " did not complete: " + report.status
              + (report.error ? ": " + report.error : ""));
            return null;
          }
          return report;
        }
        setText(notice, "Making report " + shortId(id) + ": " + progressText(report) + "…");
        await new Promise((done) => setTimeout(done, POLL_MS));
      }
    } catch (e) {
      setError("make", "Could not make a report, the API is unreachable: " + e.message);
      setText(notice, "");
      return null;
    }
  }

  // ---------------------------------------------------------------- events

  function eventQuery(after, limit) {
    const query = new URLSearchParams({ after: String(after), limit: String(limit) });
    const types = EVENT_FILTERS[param("events")];
    if (types) query.set("type", types);
    return "/events?" + query;
  }
  // The newest events: /events answers oldest first after an id, so the last id is found by
  // galloping and halving (a few small questions however many events there are), then the
  // events before it read.
  async function newestEvents() {
    const page = (after, limit) => getJson(eventQuery(after, limit), "events", "the events");
    const first = await page(0, EVENTS_PAGE);
    if (!first) return null;
    if (first.events.length < EVENTS_PAGE) return { list: first.events, next: first.next_after };
    let lo = first.next_after, hi = null, step = EVENTS_PAGE;
    while (hi === null) {
      const probe = await page(lo + step, 1);
      if (!probe) return null;
      if (probe.events.length) { lo = probe.events[0].id; step *= 2; } else hi = lo + step;
    }
    while (hi - lo > EVENTS_PAGE) {  // the last id is in [lo, hi]
      const mid = Math.floor((lo + hi) / 2);
      const probe = await page(mid, 1);
      if (!probe) return null;
      if (probe.events.length) lo = probe.events[0].id; else hi = mid;
    }
    for (let back = EVENTS_PAGE; ; back *= 4) {
      const list = [];
      let after = Math.max(0, lo - back), answer;
      do {
        answer = await page(after, EVENTS_PAGE);
        if (!answer) return null;
        list.push(...answer.events);
        after = answer.next_after;
      } while (answer.events.length === EVENTS_PAGE);
      if (list.length >= EVENTS_KEPT || lo - back <= 0) return { list, next: after };
    }
  }
  async function loadEvents(my) {
    const key = param("events");
    if (events.key !== key) {
      const found = await newestEvents();
      if (!found || my !== generation) return;
      events = { key, list: found.list.slice(-EVENTS_KEPT), next: found.next };
    } else {
      let answer;
      do {
        answer = await getJson(eventQuery(events.next, EVENTS_PAGE), "events", "the events");
        if (!answer || my !== generation || events.key !== key) return;
        events.list = events.list.concat(answer.events).slice(-EVENTS_KEPT);
        events.next = answer.next_after;
      } while (answer.events.length === EVENTS_PAGE);
    }
    renderEvents();
  }
  // The newest by when they happened, of the last recorded (one ingest records many at once,
  // in no order of time; a late poll's event is recorded after newer ones).
  function renderEvents() {
    const list = $("events");
    const newestFirst = events.list.slice()
      .sort((a, b) => instant(b.timestamp) - instant(a.timestamp) || b.id - a.id).slice(0, EVENTS_SHOWN);
    const seen = new Set();
    newestFirst.forEach((event, index) => {
      seen.add(event.id);
      let li = eventItems.get(event.id);
      if (!li) {
        li = eventItem(event);
        eventItems.set(event.id, li);
      }
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    });
    for (const [id, li] of eventItems) {
      if (!seen.has(id)) {
        li.remove();
        eventItems.delete(id);
      }
    }
    $("events-empty").hidden = newestFirst.length > 0;
    setText($("events-empty"), param("events") ? "No such events yet." : "No events yet. There is one "
      + "when an open store has been down for a while, when it is up again, and when a report ends.");
  }
  // An event in words: what happened, to which store or report, when.
  function eventItem(event) {
    const d = event.data || {};
    const store = (id) => h("code", { class: "id", text: id });
    let kind, text;
    if (event.type === "store.down") {
      kind = ["down", "▼ Down"];
      text = ["Store ", store(d.store_id), " has been down since " + at(d.since) + ": "
        + hm(Number(d.down_minutes) / 60) + " of its business time."];
    } else if (event.type === "store.up") {
      const o = d.outage || {};
      kind = ["up", "▲ Up again"];
      text = ["Store ", store(d.store_id), " is up again after " + hm(Number(o.business_minutes) / 60)
        + " of business time down, from " + at(o.start) + " to " + at(o.end) + "."];
    } else if (event.type === "report.completed" || event.type === "report.failed") {
      const done = event.type === "report.completed";
      kind = [done ? "complete" : "failed", done ? "✓ Report complete" : "✕ Report failed"];
      text = [h("a", { href: "#" + reportPath(d.report_id), text: "Report " + shortId(d.report_id) }),
        " (" + kindText(d).toLowerCase() + ") " + (done ? "is complete: " + resultText({ ...d, status: "Complete" })
          : "failed: " + String(d.error || "no reason given")) + "."];
    } else {
      kind = ["other", event.type];
      text = [JSON.stringify(d)];
    }
    return h("li", { class: "event", dataset: { eventId: event.id, type: event.type } },
      h("span", { class: "event-kind " + kind[0], text: kind[1] }),
      h("span", { class: "when", text: at(event.timestamp) }),
      h("span", { class: "what" }, ...text));
  }

  // ---------------------------------------------------------------- webhooks

  const hookRows = new Map();  // endpoint id -> {tr, cells, shown}
  let hooksNotice = "";        // what the list says on arrival (an endpoint deleted)

  function eventWords(types) {
    return types.map((t) => EVENT_WORDS[t] || t).join(", ");
  }
  // An endpoint's state in words (and a mark): failing, retrying, or fine.
  function hookState(hook) {
    if (hook.failing) {
      return { cls: "failing", mark: "⚠ Failing", text: "a delivery was given up after 24 hours of"
        + " retries" + (hook.failing_since ? ", on " + at(hook.failing_since) : "") };
    }
    if (hook.backing_off) {
      return { cls: "retrying", mark: "↻ Retrying", text: "an attempt failed: it is tried again,"
        + " and the other deliveries wait for it" };
    }
    return { cls: "ok", mark: "✓ OK", text: "no delivery given up" };
  }
  function stateCell(hook) {
    const state = hookState(hook);
    return [h("span", { class: "badge " + state.cls, text: state.mark }),
      h("span", { class: "state-text", text: " " + state.text })];
  }

  async function loadHooks(my) {
    const answer = await getJson("/webhooks", "hooks", "the webhook endpoints");
    if (!answer || my !== generation) return;
    const body = $("hooks-body");
    const seen = new Set();
    answer.webhooks.forEach((hook, index) => {
      seen.add(hook.id);
      let row = hookRows.get(hook.id);
      if (!row) {
        const tr = h("tr", { dataset: { hookId: hook.id } });
        const cells = {};
        for (const [name, label] of [["url", "Endpoint"], ["events", "Events"], ["state", "State"],
          ["actions", "Actions"]]) {
          cells[name] = tr.insertCell();
          cells[name].className = "hook-" + name;
          cells[name].dataset.label = label;
        }
        cells.actions.classList.add("actions");
        cells.url.classList.add("head");
        cells.events.classList.add("wide");
        cells.state.classList.add("wide");
        cells.actions.replaceChildren(...hookActions(hook, cells.actions, () => loadHooks(generation)));
        row = { tr, cells, shown: "" };
        hookRows.set(hook.id, row);
      }
      const key = JSON.stringify(hook);
      if (row.shown !== key) {  // the actions are left alone: a confirmation there stays
        row.shown = key;
        row.cells.url.replaceChildren(h("a", { href: "#" + hookPath(hook.id), class: "url", text: hook.url,
          "aria-label": "Endpoint " + hook.url + ": its deliveries" }),
        hook.description ? h("span", { class: "description", text: hook.description }) : null);
        setText(row.cells.events, eventWords(hook.events));
        row.cells.state.replaceChildren(...stateCell(hook));
      }
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    });
    for (const [id, row] of hookRows) {
      if (!seen.has(id)) {
        row.tr.remove();
        hookRows.delete(id);
      }
    }
    $("hooks-empty").hidden = answer.webhooks.length > 0;
    $("hooks-table").hidden = answer.webhooks.length === 0;
  }

  // "Send test event" and "Delete…" (which asks first, in place) for an endpoint. `where` holds
  // them (a table cell, the endpoint's page); `after` runs once the test is queued.
  function hookActions(hook, where, after) {
    const test = h("button", { type: "button", class: "small test", text: "Send test event",
      "aria-label": "Send test event to " + hook.url, on: { click: () => sendTest(hook, after) } });
    const remove = h("button", { type: "button", class: "small delete", text: "Delete…",
      "aria-label": "Delete the endpoint " + hook.url, on: { click: () => confirmDelete(hook, where) } });
    return [test, remove];
  }
  async function sendTest(hook, after) {
    const notice = current.view === "hook" ? $("hook-notice") : $("hooks-notice");
    setText(notice, "");
    setError("hook", "");
    try {
      const response = await api(hookPath(hook.id) + "/test", { method: "POST" });
      if (response.status === 202) {
        const answer = await response.json();
        if (current.view === "hook") {
          setText(notice, "Test event sent (delivery " + answer.delivery_id + "): its attempt shows below.");
        } else {
          notice.replaceChildren("Test event sent to " + hook.url + ": ",
            h("a", { href: "#" + hookPath(hook.id), text: "see its delivery" }), ".");
        }
        if (after) after();
      } else if (response.status !== 401) {
        setError("hook", "Could not send a test event: " + await describe(response));
      }
    } catch (e) {
      setError("hook", "Could not send a test event, the API is unreachable: " + e.message);
    }
  }
  // Delete, once confirmed: the actions make way for the question and its two answers.
  function confirmDelete(hook, where) {
    const before = [...where.childNodes];
    const keep = () => {
      where.replaceChildren(...before);
      where.querySelector("button.delete").focus();
    };
    const yes = h("button", { type: "button", class: "small danger", text: "Delete it",
      on: { click: () => deleteHook(hook, yes, keep) } });
    where.replaceChildren(h("div", { class: "confirm", role: "group", "aria-label": "Confirm the deletion" },
      h("p", { text: "Delete " + hook.url + "? It gets no more events, and its deliveries are deleted with it." }),
      h("div", { class: "bar" }, yes, h("button", { type: "button", class: "small", text: "Keep it",
        on: { click: keep } }))));
    yes.focus();
  }
  async function deleteHook(hook, button, keep) {
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await api(hookPath(hook.id), { method: "DELETE" });
      if (response.ok || response.status === 404) {
        hooksNotice = "Endpoint " + hook.url + " deleted, with its deliveries.";
        if (current.view === "hooks") {
          setText($("hooks-notice"), hooksNotice);
          hooksNotice = "";
          $("hooks-title").focus();
          hooksLive.run();
        } else {
          go("#/webhooks");
        }
        return;
      }
      if (response.status !== 401) setError("hook", "Could not delete the endpoint: " + await describe(response));
    } catch (e) {
      setError("hook", "Could not delete the endpoint, the API is unreachable: " + e.message);
    }
    button.removeAttribute("aria-disabled");
    keep();
  }

  // Register: the API checks the URL (http or https, not a private address unless allowed) and
  // the events, and its words are shown when it refuses; the secret is shown this once.
  async function registerHook(event) {
    event.preventDefault();
    const error = $("hook-error");
    setText(error, "");
    const form = $("hook-form");
    const body = { url: $("hook-url").value.trim(),
      events: [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value),
      description: $("hook-description").value };
    const button = $("hook-submit");
    if (button.getAttribute("aria-disabled") === "true") return;  // one registration at a time
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await api("/webhooks", { method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json" } });
      if (response.status === 201) {
        const hook = await response.json();
        showSecret(hook);
        form.reset();
        hooksLive.run();
      } else if (response.status !== 401) {
        setText(error, "Not registered: " + await describe(response));
      }
    } catch (e) {
      setText(error, "Not registered: the API is unreachable: " + e.message);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }
  function showSecret(hook) {
    $("secret-for").replaceChildren("The endpoint ", h("a", { href: "#" + hookPath(hook.id), text: hook.url }),
      " receives " + eventWords(hook.events) + ". Its deliveries are signed with this secret: the receiver"
        + " checks each one with it (the webhook-signature header).");
    $("secret").value = hook.secret;
    setText($("copy-state"), "");
    setText($("hooks-notice"), "");
    $("secret-box").hidden = false;
    $("secret-title").focus();
  }
  function forgetSecret() {
    $("secret").value = "";
    $("secret-box").hidden = true;
  }
  async function copySecret() {
    const input = $("secret");
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch (e) {
      input.select();
      try { copied = document.execCommand("copy"); } catch (e2) { copied = false; }
    }
    setText($("copy-state"), copied ? "Copied." : "Could not copy: select the secret and copy it yourself.");
  }

  // ---------------------------------------------------------------- an endpoint's page

  let hookShown = null;  // {id, key} of the endpoint on screen
  function showHookLoading(id) {
    hookShown = null;
    setText($("hook-title"), "Endpoint " + shortId(id));
    $("hook-body").hidden = true;
    $("hook-actions").replaceChildren();
    setText($("hook-notice"), "");
    $("deliveries").replaceChildren();
    $("hook-state").replaceChildren(h("p", { class: "muted", text: "Loading…" }));
  }
  function deliveriesQuery(id, before) {
    const query = new URLSearchParams({ limit: "20" });
    if (before) query.set("before", before);
    return hookPath(id) + "/deliveries?" + query;
  }
  async function loadHook(my) {
    const id = current.hookId;
    let hook;
    try {
      const response = await api(hookPath(id));
      if (my !== generation) return;
      if (response.status === 401) {
        $("hook-state").replaceChildren(h("p", { class: "muted", text: "Waiting for the API token…" }));
        return;
      }
      if (!response.ok) {
        $("hook-body").hidden = true;
        $("hook-state").replaceChildren(h("div", { class: "state" }, h("p", { text: response.status === 404
          ? "There is no endpoint " + id + ": it may have been deleted." : "Could not load the endpoint." }),
        h("p", {}, h("a", { href: "#/webhooks", text: "Every endpoint" }))));
        if (response.status !== 404) setError("hook", "Could not load the endpoint: " + await describe(response));
        return;
      }
      hook = await response.json();
    } catch (e) {
      if (my === generation) setError("hook", "The API is unreachable: " + e.message);
      return;
    }
    if (my !== generation) return;
    setError("hook", "");
    $("hook-state").replaceChildren();
    $("hook-body").hidden = false;
    const key = JSON.stringify(hook);
    if (!hookShown || hookShown.key !== key) {
      const first = !hookShown;
      hookShown = { id, key };
      setText($("hook-title"), hook.url);
      document.title = "Endpoint " + hook.url + " — Store Monitor";
      const facts = [];
      const fact = (term, ...values) => facts.push(h("dt", { text: term }), h("dd", {}, ...values));
      fact("URL", h("span", { class: "url", text: hook.url }));
      fact("Events", eventWords(hook.events) + " ", h("span", { class: "muted" }, "(",
        ...hook.events.flatMap((t, i) => (i ? [", ", h("code", { text: t })] : [h("code", { text: t })])), ")"));
      if (hook.description) fact("Description", hook.description);
      fact("Registered", at(hook.created_at));
      fact("State", ...stateCell(hook));
      $("hook-facts").replaceChildren(...facts);
      if (first) $("hook-actions").replaceChildren(...hookActions(hook, $("hook-actions"), () => hookLive.run()));
    }
    await loadDeliveries(my, id);
  }
  let deliveriesPagedBy = 0;
  async function loadDeliveries(my, id) {
    const key = "deliveries|" + id;
    const page = pageParam();
    if (param("before")) rememberCursor(key, page, param("before"));
    const before = await cursorOf(key, page, async (c) => {
      const answer = await getJson(deliveriesQuery(id, c), "deliveries", "the deliveries");
      return answer && answer.next_before !== null ? String(answer.next_before) : null;
    });
    if (my !== generation) return;
    const answer = before === null ? { deliveries: [], next_before: null }
      : await getJson(deliveriesQuery(id, before), "deliveries", "the deliveries");
    if (my !== generation || !answer) return;
    rememberCursor(key, page + 1, answer.next_before !== null ? String(answer.next_before) : "");
    const list = $("deliveries");
    const shownKey = JSON.stringify(answer.deliveries);
    if (list.dataset.key !== shownKey) {
      list.dataset.key = shownKey;
      list.replaceChildren(...answer.deliveries.map(deliveryItem));
    }
    $("deliveries-empty").hidden = answer.deliveries.length > 0;
    setText($("deliveries-empty"), page > 1 ? "No older deliveries." : "No deliveries yet: send a test event.");
    setText($("deliveries-page"), "Page " + page);
    $("deliveries-newer").disabled = page <= 1;
    $("deliveries-older").disabled = answer.next_before === null;
    $("deliveries-pager").hidden = page <= 1 && answer.next_before === null;
    refocusPager(deliveriesPagedBy, "deliveries-older", "deliveries-newer", "deliveries-title");
    deliveriesPagedBy = 0;
  }
  function deliveriesPage(step) {
    deliveriesPagedBy = step;
    const page = Math.max(1, pageParam() + step);
    const known = cursorCache.get("deliveries|" + current.hookId) || [];
    go(address(hookPath(current.hookId), { page: page > 1 ? page : "", before: page > 1 ? known[page] : "" }));
  }
  // Milliseconds as a person reads them: "35 ms", "1.2 s".
  function duration(ms) {
    if (!isNumber(ms)) return "—";
    return Number(ms) < 1000 ? Math.round(Number(ms)) + " ms" : took(Number(ms));
  }
  const DELIVERY_STATES = { delivered: ["delivered", "✓ Delivered"], failed: ["failing", "✕ Given up"],
    pending: ["retrying", "… Waiting"], retrying: ["retrying", "↻ Retrying"],
    sending: ["retrying", "… Sending"] };
  const ANSWER_MS = 10000;  // an endpoint has this long to answer (worker/deliveries.py)
  // A pending delivery's last attempt without an answer yet, started less than the time an
  // endpoint has to answer ago: under way. (The API logs an attempt as it starts, with the error
  // it keeps if the worker stops before the answer: until then it is not an error.)
  function underWay(d, a, i) {
    return d.state === "pending" && i === d.attempts.length - 1 && a.status_code === null
      && a.duration_ms === null && Date.now() + skew - instant(a.at) < ANSWER_MS + 5000;
  }
  function deliveryItem(d) {
    const last = d.attempts.length - 1;
    const sending = last >= 0 && underWay(d, d.attempts[last], last);
    const state = sending ? "sending" : d.state === "pending" && d.attempts.length ? "retrying" : d.state;
    const [cls, mark] = DELIVERY_STATES[state] || ["", d.state];
    const what = d.event_id === null ? "Test event" : "Event " + d.event_id + ": " + (EVENT_WORDS[d.type] || d.type);
    let when = "created " + at(d.created_at);
    if (d.state === "pending") {
      when += d.next_attempt_at ? "; " + (d.attempts.length ? "next attempt" : "first attempt") + " at "
        + at(d.next_attempt_at) : "; waiting for its turn";
    } else if (d.finished_at) {
      when += "; " + (d.state === "delivered" ? "delivered " : "given up ") + at(d.finished_at);
    }
    const attempts = d.attempts.length ? h("table", { class: "attempts cards" },
      h("caption", { class: "sr-only", text: "Attempts of delivery " + d.id }),
      h("thead", {}, h("tr", {}, ...["Attempt", "Time", "Answer", "Took", "Error"].map((t) =>
        h("th", { scope: "col", class: t === "Took" ? "num" : "", text: t })))),
      h("tbody", {}, ...d.attempts.map((a, i) => {
        const waiting = underWay(d, a, i);
        return h("tr", { dataset: { attempt: i + 1 } },
          h("td", { dataset: { label: "Attempt" }, text: String(i + 1) }),
          h("td", { class: "when", dataset: { label: "Time" }, text: at(a.at) }),
          h("td", { class: "code", dataset: { label: "Answer" }, text: waiting ? "waiting for it"
            : a.status_code === null ? "no answer" : "HTTP " + a.status_code }),
          h("td", { class: "num", dataset: { label: "Took" }, text: duration(a.duration_ms) }),
          h("td", { class: "wide" + (a.error && !waiting ? " error" : ""), dataset: { label: "Error" },
            text: waiting ? "none so far" : a.error || "none" }));
      })))
      : h("p", { class: "muted", text: "Not attempted yet." });
    return h("li", { class: "delivery", dataset: { deliveryId: d.id, state: d.state } },
      h("p", { class: "delivery-head" }, h("span", { class: "badge " + cls, text: mark }), " ",
        h("strong", { text: what })),
      h("p", { class: "muted", text: when }), attempts);
  }

  // ---------------------------------------------------------------- start

  const nowLive = liveView("now", loadNow, NOW_MS);
  const hooksLive = liveView("hooks", loadHooks, NOW_MS);
  const hookLive = liveView("hook", loadHook, HOOK_MS);

  const trendInspector = inspectable($("trend"), $("trend-readout"));
  const heatmapInspector = inspectable($("heatmap"), $("heatmap-readout"));
  const timelineInspector = inspectable($("timeline"), $("timeline-readout"));
  inspectable($("histogram"), $("histogram-readout"));

  $("trigger").addEventListener("click", trigger);
  $("period").addEventListener("submit", triggerPeriod);
  $("status-filter").addEventListener("change", () => go(address("/reports", { status: $("status-filter").value })));
  $("list-newer").addEventListener("click", () => listPage(-1));
  $("list-older").addEventListener("click", () => listPage(1));
  $("auth").addEventListener("submit", useToken);
  $("forget").addEventListener("click", () => { storeToken(""); current = { view: "none" }; route(); });
  let searchTimer = null;
  $("table-q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (shown && $("table-q").value.trim() !== tableState().q) {
        go(tableAddress({ q: $("table-q").value.trim() }), true);
      }
    }, SEARCH_DELAY_MS);
  });
  $("table-controls").addEventListener("submit", (event) => event.preventDefault());
  $("table-sort").addEventListener("change", () => go(tableAddress({ sort: $("table-sort").value })));
  $("table-order").addEventListener("change", () => go(tableAddress({ order: $("table-order").value })));
  $("table-limit").addEventListener("change", () => go(tableAddress({ limit: $("table-limit").value })));
  $("table-prev").addEventListener("click", () => tablePage(-1));
  $("table-next").addEventListener("click", () => tablePage(1));
  $("timeline-span").addEventListener("change", () => go(address(storePath(shownStore.reportId,
    shownStore.data.store_id), { hours: $("timeline-span").value === "business" ? "business" : "" })));
  $("days-prev").addEventListener("click", () => dayPage(-1));
  $("days-next").addEventListener("click", () => dayPage(1));
  $("down-prev").addEventListener("click", () => nowPage(-1));
  $("down-next").addEventListener("click", () => nowPage(1));
  $("events-filter").addEventListener("change", () => go(nowAddress({ events: $("events-filter").value })));
  $("hook-form").addEventListener("submit", registerHook);
  $("copy-secret").addEventListener("click", copySecret);
  $("secret-done").addEventListener("click", () => { forgetSecret(); $("hooks-title").focus(); });
  $("deliveries-newer").addEventListener("click", () => deliveriesPage(-1));
  $("deliveries-older").addEventListener("click", () => deliveriesPage(1));
  window.addEventListener("hashchange", route);
  storeToken(token());
  route();
})();
