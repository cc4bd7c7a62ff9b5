"use strict";
(() => {
  const TOKEN_KEY = "storemon.apiToken";
  const POLL_MS = 1000;
  const LIMIT = 20;
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
    if (report.status === "Complete" && !cells.csv.firstChild) {
      const link = document.createElement("a");
      link.href = "/reports/" + encodeURIComponent(report.report_id) + ".csv";
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
