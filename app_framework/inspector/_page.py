"""The inspector's HTML page: a timeline of records, newest first, fed by
its websocket. Every value reaches the page through ``textContent``, never
as markup: the records hold what clients sent."""

from __future__ import annotations

import json

__all__ = ["page"]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signal inspector</title>
<style>
  :root { --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #3b5bdb;
          --ok: #2b8a3e; --bad: #c92a2a; --bg: #f7f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--ink);
         background: var(--bg); }
  header { padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line);
           display: flex; gap: 8px 16px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 18px; margin: 0; }
  header a { text-decoration: none; color: var(--accent); }
  .filters { display: flex; gap: 8px; flex: 1 1 28rem; flex-wrap: wrap; }
  input { font: inherit; padding: 6px 10px; border: 1px solid var(--line);
          border-radius: 6px; flex: 1 1 12rem; min-width: 0; }
  button { font: inherit; padding: 5px 12px; border: 1px solid var(--line);
           border-radius: 6px; background: #fff; color: var(--accent); cursor: pointer; }
  #state { color: var(--muted); margin-left: auto; white-space: nowrap; }
  #state.live { color: var(--ok); }
  main { padding: 16px 24px; display: grid; gap: 8px; }
  /* One line a record, its events behind a toggle: a screen shows many. */
  .record { background: #fff; border: 1px solid var(--line); border-radius: 8px;
            min-width: 0; }
  .record > summary { padding: 7px 12px; display: flex; gap: 10px; align-items: baseline;
                      cursor: pointer; list-style: none; white-space: nowrap; }
  .record > summary::-webkit-details-marker { display: none; }
  .record > summary::before { content: "▸"; color: var(--muted); }
  .record[open] > summary::before { content: "▾"; }
  .record[open] > summary { border-bottom: 1px solid var(--line); background: #fbfbfd; }
  .method { font-weight: 700; color: var(--accent); }
  .path { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis;
          font-family: ui-monospace, monospace; }
  .status { font-weight: 600; }
  .status.err { color: var(--bad); }
  .ms, .count, .when { color: var(--muted); font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  td { padding: 3px 12px; vertical-align: top; border-top: 1px solid #f1f3f5; }
  td.at { width: 4.5rem; color: var(--muted); text-align: right;
          font-variant-numeric: tabular-nums; }
  td.name { width: 38%; font-family: ui-monospace, monospace;
            white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  tr.signal td.name { font-weight: 600; }
  tr.hook td.name { color: #7048e8; }
  tr.receiver td.name { padding-left: 28px; font-weight: 400; color: var(--muted); }
  tr.receiver td { border-top: 0; padding-top: 0; }
  tr.signal.match td { background: #fff3bf; }
  tr.hidden, .record.hidden { display: none; }
  .args { font-family: ui-monospace, monospace; color: #444; overflow-wrap: anywhere; }
  .bad { color: var(--bad); }
  .empty { color: var(--muted); padding: 24px; text-align: center; }
  /* A phone: the filters take the full width, and an event's values go
     under its name (indented) instead of in a third column. */
  @media (max-width: 40rem) {
    header { padding: 10px 12px; }
    .filters { flex-basis: 100%; order: 1; }
    main { padding: 10px 8px; }
    .record > summary { gap: 8px; padding: 8px 10px; }
    .when, .count { display: none; }
    table, tbody { display: block; }
    tr { display: grid; grid-template-columns: 3rem minmax(0, 1fr); }
    td { padding: 2px 8px; border-top: 0; }
    td.at { width: auto; }
    td.name { width: auto; white-space: normal; overflow-wrap: anywhere; }
    tr.signal { border-top: 1px solid #f1f3f5; }
    tr.signal.match { background: #fff3bf; }
    tr.receiver td.name { padding-left: 20px; }
    td.args { grid-column: 2; padding-bottom: 4px; }
    tr.receiver td.args { padding-left: 20px; }
  }
</style>
</head>
<body>
<header>
  <h1>Signal inspector</h1>
  <a href="/">&larr; the app</a>
  <span id="state">connecting...</span>
  <div class="filters">
    <input id="path" placeholder="filter by path, e.g. /pages" aria-label="path filter">
    <input id="signal" placeholder="filter by signal, e.g. template"
           aria-label="signal filter">
    <button id="expand" type="button">Expand all</button>
  </div>
</header>
<main id="timeline"><p class="empty" id="empty">No requests yet: open a page of
the app in another tab.</p></main>
<script>
const PREFIX = __PREFIX__;
const MAX = 200;
const timeline = document.getElementById("timeline");
const pathFilter = document.getElementById("path");
const signalFilter = document.getElementById("signal");
const state = document.getElementById("state");

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(kind, at, name, detail, bad) {
  const tr = el("tr", kind);
  tr.dataset.name = name;
  const cell = el("td", "name");
  // A dotted name may wrap after each dot on a narrow screen (<wbr>), and
  // is still the same text to copy; the tooltip has it whole.
  name.split(".").forEach((part, i) => {
    if (i) cell.append(".", document.createElement("wbr"));
    cell.append(part);
  });
  cell.title = name;
  tr.append(el("td", "at", at), cell, el("td", "args" + (bad ? " bad" : ""), detail));
  return tr;
}

function card(record) {
  const box = el("details", "record");
  box.dataset.path = record.path || "";
  const signals = record.events.filter(e => e.kind === "signal").map(e => e.name);
  box.dataset.signals = signals.join(" ");
  const head = el("summary");
  const status = record.status === null ? "" : String(record.status);
  head.append(
    el("span", "method", record.kind === "app" ? "signal" : record.method),
    el("span", "path", record.path || "(outside any request)"),
    el("span", "status" + (record.status >= 400 && record.status !== 101 ? " err" : ""), status),
    el("span", "ms", record.ms === null ? "" : record.ms.toFixed(2) + " ms"),
    el("span", "count", signals.length + (signals.length === 1 ? " signal" : " signals")),
    el("span", "when", new Date(record.started * 1000).toLocaleTimeString()));
  head.title = record.path || "";
  box.append(head);
  const table = el("table");
  for (const e of record.events) {
    if (e.kind === "signal") {
      const args = Object.entries(e.args).map(([k, v]) => k + "=" + v).join("  ");
      table.append(row("signal", e.at.toFixed(2), e.name, args || "(no arguments)"));
      for (const r of e.receivers) {
        const bad = r.outcome !== "ok";
        table.append(row("receiver", "", "\u21b3 " + (r.async ? "async " : "") + r.name.replace(".<locals>.", "."),
          r.ms.toFixed(3) + " ms  " + r.outcome, bad));
      }
    } else {
      const bad = e.outcome !== "ok";
      table.append(row("hook", e.at.toFixed(2), e.name,
        e.detail + "  " + e.ms.toFixed(3) + " ms" + (bad ? "  " + e.outcome : ""), bad));
    }
  }
  if (record.dropped) table.append(row("hook", "", "...", record.dropped + " more events not kept"));
  box.append(table);
  return box;
}

function applyFilters(box) {
  const path = pathFilter.value.trim();
  const signal = signalFilter.value.trim();
  const pathOk = !path || box.dataset.path.includes(path);
  const signalOk = !signal || box.dataset.signals.includes(signal);
  box.classList.toggle("hidden", !(pathOk && signalOk));
  for (const tr of box.querySelectorAll("tr.signal")) {
    tr.classList.toggle("match", !!signal && tr.dataset.name.includes(signal));
  }
  // A signal filter opens the records it matches (to show the highlighted
  // rows), and closes them again when cleared; records opened by hand stay.
  if (signal && signalOk && !box.open) {
    box.open = true;
    box.dataset.opened = "filter";
  } else if (!signal && box.dataset.opened === "filter") {
    box.open = false;
    delete box.dataset.opened;
  }
}

function refilter() { for (const box of timeline.querySelectorAll(".record")) applyFilters(box); }
pathFilter.addEventListener("input", refilter);
signalFilter.addEventListener("input", refilter);

const expand = document.getElementById("expand");
expand.addEventListener("click", () => {
  const open = expand.textContent === "Expand all";
  for (const box of timeline.querySelectorAll(".record")) {
    box.open = open;
    delete box.dataset.opened;
  }
  expand.textContent = open ? "Collapse all" : "Expand all";
});

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + PREFIX + "/live");
  ws.onopen = () => { state.textContent = "live"; state.className = "live"; };
  ws.onmessage = (message) => {
    const box = card(JSON.parse(message.data));
    box.open = expand.textContent === "Collapse all";
    applyFilters(box);
    document.getElementById("empty")?.remove();
    timeline.prepend(box);
    while (timeline.children.length > MAX) timeline.lastChild.remove();
  };
  ws.onclose = () => {
    state.textContent = "disconnected, retrying...";
    state.className = "";
    setTimeout(connect, 1000);
  };
}
connect();
</script>
</body>
</html>
"""


def page(prefix: str) -> str:
    """The page, for an inspector mounted at ``prefix``."""
    # JSON, then </ escaped: a prefix can never end the script element.
    literal = json.dumps(prefix).replace("</", "<\\/")
    return _PAGE.replace("__PREFIX__", literal)
