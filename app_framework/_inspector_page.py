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
  header { padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line);
           display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 18px; margin: 0 12px 0 0; }
  input { font: inherit; padding: 6px 10px; border: 1px solid var(--line);
          border-radius: 6px; min-width: 220px; }
  #state { color: var(--muted); margin-left: auto; }
  #state.live { color: var(--ok); }
  main { padding: 16px 24px; display: grid; gap: 12px; }
  .record { background: #fff; border: 1px solid var(--line); border-radius: 8px;
            overflow: hidden; }
  .record > h2 { margin: 0; padding: 8px 14px; font-size: 14px; display: flex;
                 gap: 10px; border-bottom: 1px solid var(--line); background: #fbfbfd; }
  .method { font-weight: 700; color: var(--accent); }
  .status { font-weight: 600; }
  .status.err { color: var(--bad); }
  .when { color: var(--muted); margin-left: auto; font-weight: 400; }
  table { border-collapse: collapse; width: 100%; }
  td { padding: 3px 14px; vertical-align: top; border-top: 1px solid #f1f3f5; }
  td.at { width: 80px; color: var(--muted); text-align: right;
          font-variant-numeric: tabular-nums; }
  td.name { width: 440px; max-width: 440px; font-family: ui-monospace, monospace;
            white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  tr.signal td.name { font-weight: 600; }
  tr.hook td.name { color: #7048e8; }
  tr.receiver td.name { padding-left: 32px; font-weight: 400; color: var(--muted); }
  tr.receiver td { border-top: 0; padding-top: 0; }
  tr.signal.match td { background: #fff3bf; }
  tr.hidden, .record.hidden { display: none; }
  .args { font-family: ui-monospace, monospace; color: #444; word-break: break-all; }
  .bad { color: var(--bad); }
  .empty { color: var(--muted); padding: 24px; text-align: center; }
</style>
</head>
<body>
<header>
  <h1>Signal inspector</h1>
  <input id="path" placeholder="filter by path, e.g. /pages" aria-label="path filter">
  <input id="signal" placeholder="filter by signal, e.g. template"
         aria-label="signal filter">
  <span id="state">connecting...</span>
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
  const cell = el("td", "name", name);
  cell.title = name;
  tr.append(el("td", "at", at), cell, el("td", "args" + (bad ? " bad" : ""), detail));
  return tr;
}

function card(record) {
  const box = el("section", "record");
  box.dataset.path = record.path || "";
  box.dataset.signals = record.events.filter(e => e.kind === "signal").map(e => e.name).join(" ");
  const head = el("h2");
  const status = record.status === null ? "" : String(record.status);
  head.append(
    el("span", "method", record.kind === "app" ? "signal" : record.method),
    el("span", "path", record.path || "(outside any request)"),
    el("span", "status" + (record.status >= 400 && record.status !== 101 ? " err" : ""), status),
    el("span", "ms", record.ms === null ? "" : record.ms.toFixed(2) + " ms"),
    el("span", "when", new Date(record.started * 1000).toLocaleTimeString()));
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
}

function refilter() { for (const box of timeline.querySelectorAll(".record")) applyFilters(box); }
pathFilter.addEventListener("input", refilter);
signalFilter.addEventListener("input", refilter);

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + PREFIX + "/live");
  ws.onopen = () => { state.textContent = "live"; state.className = "live"; };
  ws.onmessage = (message) => {
    const box = card(JSON.parse(message.data));
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
