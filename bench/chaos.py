"""Chaos: uvicorn under mixed, partly hostile load, then SIGTERM.

Run: ``make chaos`` (``CHAOS_SECONDS`` sets the length, default 10).

Serves ``bench.chaos_app:app`` with uvicorn (uvloop, httptools,
``--timeout-graceful-shutdown 2``) on 127.0.0.1 and drives it with a mix of
plain, JSON, streamed, slow (timed out by the view's ``asyncio.timeout``),
background-task and websocket requests, while it:

* abandons random streams and websockets mid-way (the client leaves),
  among them event streams with no end and a stream whose generator never
  awaits (each must be closed when its client leaves);
* sends hostile requests: JSON nested 100,000 deep, a 64 MB JSON body, a
  malformed ``Content-Length``, a forged ``Host``;
* ends with SIGTERM while requests are still in flight.

Prints requests served by kind and status, unexpected answers, teardowns
started vs completed (they must be equal), the server's RSS and open fds
at the start and the end, and how long shutdown took. Bounded in time and
connections, 127.0.0.1 only; the server is stopped by its pid.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from load import HOST, ROOT, free_port, wait_for_server
from soak import server_stats
from websockets.asyncio.client import connect

SECONDS = float(os.environ.get("CHAOS_SECONDS", "10"))
WORKERS = 12
EXPECTED: dict[str, set[object]] = {
    "hello": {200},
    "json": {200},
    "stream": {200, "left"},
    "event stream left": {"left"},
    "busy stream left": {"left"},
    "slow": {200, 504},
    "background": {200},
    "deep json": {400},
    "64 MB json": {413},
    "bad length": {400},
    "forged host": {400},
    "websocket": {"echoed", "left"},
}


def serve(port: int, stats: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "bench.chaos_app:app",
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "critical",
        "--timeout-graceful-shutdown", "2",
    ]  # fmt: skip
    env = {**os.environ, "CHAOS_STATS": stats}
    return subprocess.Popen(command, cwd=ROOT, env=env)


async def http(
    port: int, head: bytes, body: bytes = b"", leave_after: int | None = None
) -> int | str:
    """One request on a fresh connection; its status, or "left" when this
    client walked away after ``leave_after`` bytes of the answer."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(head + body)
        await writer.drain()
        if leave_after is not None:
            await reader.readexactly(leave_after)
            return "left"
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()


def request(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_post(body: bytes, length: int | None = None) -> bytes:
    return request(
        "POST",
        "/json",
        {
            "Content-Type": "application/json",
            "Content-Length": str(length or len(body)),
        },
    )


async def one(port: int, kind: str) -> int | str:
    if kind == "hello":
        return await http(port, request("GET", "/hello"))
    if kind == "json":
        body = json.dumps(list(range(100))).encode()
        return await http(port, json_post(body), body)
    if kind == "stream":
        leave = random.random() < 0.5
        return await http(
            port, request("GET", "/stream"), leave_after=64 if leave else None
        )
    if kind == "event stream left":
        return await http(port, request("GET", "/events"), leave_after=64)
    if kind == "busy stream left":
        return await http(port, request("GET", "/busy-stream"), leave_after=65536)
    if kind == "slow":
        return await http(port, request("GET", "/slow"))
    if kind == "background":
        return await http(port, request("GET", "/background"))
    if kind == "deep json":
        body = b"[" * 100_000 + b"]" * 100_000
        return await http(port, json_post(body), body)
    if kind == "64 MB json":
        # Announced, and the start of it sent: refused without reading it all.
        return await http(port, json_post(b"", 64 * 1024 * 1024), b"[" * 65536)
    if kind == "bad length":
        return await http(port, request("POST", "/json", {"Content-Length": "²"}))
    if kind == "forged host":
        head = request("GET", "/hello").replace(b"Host: 127.0.0.1", b"Host: evil.net")
        return await http(port, head)
    return await ws(port)


async def ws(port: int) -> str:
    async with connect(f"ws://{HOST}:{port}/ws", open_timeout=10) as socket:
        await socket.send("ping")
        assert await socket.recv() == "ping"
        if random.random() < 0.5:
            socket.transport.abort()  # leaves without a close frame
            return "left"
    return "echoed"


KINDS = (
    ["hello"] * 8 + ["json"] * 2 + ["stream"] * 2 + ["slow"] * 2 + ["background"]
    + ["event stream left", "busy stream left"]
    + ["websocket"] * 2
    + ["deep json", "64 MB json", "bad length", "forged host"]
)  # fmt: skip


async def worker(
    port: int, stop_at: float, seen: collections.Counter[tuple[str, object]]
) -> None:
    while time.monotonic() < stop_at:
        kind = random.choice(KINDS)
        try:
            outcome: object = await asyncio.wait_for(one(port, kind), 30)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # a websocket error, say: counted, not fatal
            outcome = type(exc).__name__
        seen[(kind, outcome)] += 1


async def drive(port: int, seconds: float) -> collections.Counter[tuple[str, object]]:
    seen: collections.Counter[tuple[str, object]] = collections.Counter()
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(worker(port, stop_at, seen) for _ in range(WORKERS)))
    return seen


async def in_flight(port: int, count: int) -> None:
    """Requests that will still be running when SIGTERM lands, past the
    graceful-shutdown timeout: uvicorn cancels them (answers not awaited)."""
    for _ in range(count):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(request("GET", "/hang"))
        await writer.drain()


def main() -> None:
    port = free_port()
    stats_file = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    stats_file.close()
    server = serve(port, stats_file.name)
    try:
        wait_for_server(port, time.monotonic() + 30)
        asyncio.run(drive(port, 1.0))  # warm-up
        rss_start, fds_start = server_stats(server.pid)
        started = time.monotonic()
        seen = asyncio.run(drive(port, SECONDS))
        elapsed = time.monotonic() - started
        rss_end, fds_end = server_stats(server.pid)

        async def stop() -> float:
            await in_flight(port, 8)
            stopping = time.monotonic()
            os.kill(server.pid, signal.SIGTERM)
            await asyncio.to_thread(server.wait, 30)
            return time.monotonic() - stopping

        shutdown = asyncio.run(stop())
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    with open(stats_file.name) as stats_in:
        stats = json.load(stats_in)
    os.unlink(stats_file.name)
    report(
        seen,
        elapsed,
        stats,
        (rss_start, fds_start),
        (rss_end, fds_end),
        shutdown,
        server.returncode,
    )


def report(
    seen: collections.Counter[tuple[str, object]],
    elapsed: float,
    stats: dict[str, int],
    start: tuple[float, int],
    end: tuple[float, int],
    shutdown: float,
    code: int,
) -> None:
    total = sum(seen.values())
    unexpected = {
        key: n for key, n in seen.items() if key[1] not in EXPECTED.get(key[0], set())
    }
    print(
        f"Chaos run: {elapsed:.0f} s, {WORKERS} clients, then SIGTERM with 8 in flight"
    )
    print()
    print("| what | figure |")
    print("|---|---:|")
    print(f"| requests and websockets served | {total:,} ({total / elapsed:,.0f}/s) |")
    for kind in EXPECTED:
        outcomes = ", ".join(
            f"{outcome}: {n:,}"
            for (k, outcome), n in sorted(seen.items(), key=str)
            if k == kind
        )
        print(f"| {kind} | {outcomes} |")
    print(
        f"| unexpected answers | {sum(unexpected.values())} {dict(unexpected) or ''} |"
    )
    print(
        f"| request/websocket teardowns started / completed | "
        f"{stats['teardowns_started']:,} / {stats['teardowns_completed']:,} |"
    )
    print(
        "| app contexts pushed / popped (requests, websockets, background "
        "tasks; one is the shutdown's own, still open as this is written) | "
        f"{stats['app_contexts_pushed']:,} / {stats['app_contexts_popped']:,} |"
    )
    print(f"| background tasks finished | {stats['background_done']:,} |")
    print(
        "| endless streams whose client left: started / closed | "
        f"{stats['endless_streams_started']:,} / "
        f"{stats['endless_streams_closed']:,} |"
    )
    print(f"| server RSS start → end | {start[0]:.1f} → {end[0]:.1f} MiB |")
    print(f"| server open fds start → end | {start[1]} → {end[1]} |")
    print(f"| shutdown after SIGTERM | {shutdown:.2f} s (exit code {code}) |")


if __name__ == "__main__":
    main()
