"""Requests per second and latency under uvicorn (uvloop + httptools) or
granian.

Run: ``.venv/bin/python bench/load.py`` (``make load``); ``--server
granian`` (or ``both``) serves the same rows with granian (``pip install
granian``: not a dependency), ``--row NAME`` picks contenders (``--help``).

Every contender is served by its own server (one worker, no access log) on
a free 127.0.0.1 port and driven with keep-alive connections asking for
``GET /hello``. With ``wrk`` installed (Debian: ``apt-get install wrk``) it
is the client, and with two cores or more the servers run on CPU 0 and wrk
on CPU 1, so client and server never compete; without wrk a small asyncio
client in this process stands in (requests/s only, no pinning). Rounds are
interleaved (each contender once per round), so drift of the machine hits
all alike; the median round is reported with the range of the rounds.

The app_framework rows also report garbage-collector passes per 1,000
requests, read from the server before and after each round.

Environment: ``LOAD_SECONDS`` (per round, default 3), ``LOAD_ROUNDS``
(default 5), ``LOAD_CONNECTIONS`` (comma-separated, default ``32``),
``LOAD_SERVER`` (the ``--server`` default).
Bounded in time and connections; nothing leaves 127.0.0.1; every server is
stopped by its pid at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"
SECONDS = float(os.environ.get("LOAD_SECONDS", "3"))
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "5"))
CONNECTIONS = [int(c) for c in os.environ.get("LOAD_CONNECTIONS", "32").split(",")]
WARMUP_SECONDS = 1.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONTENDERS = {
    "Starlette": "bench.load_apps:starlette_app",
    "app_framework, no receivers": "bench.load_apps:framework_app",
    "app_framework, receivers": "bench.load_apps:framework_receivers_app",
    "app_framework, teardown receivers": (
        "bench.load_apps:framework_teardown_receivers_app"
    ),
    "app_framework, SECRET_KEY + session read": (
        "bench.load_apps:framework_session_app"
    ),
    "Quart": "bench.load_apps:quart_app",
    "BlackSheep": "bench.load_apps:blacksheep_app",
}
TARGETS = {
    "app_framework, no receivers": "req/s >= 1.25x Starlette",
    "app_framework, receivers": "req/s >= 1.1x Starlette",
    "app_framework, SECRET_KEY + session read": "p99 <= 1.3x no receivers' p99",
}
PINNED = (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")


@dataclass
class Round:
    """One contender's figures for one round."""

    rate: float
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    collections: int | None = None
    requests: int = 0


@dataclass
class Result:
    rounds: list[Round] = field(default_factory=list)

    def median(self, pick: Callable[[Round], float | None]) -> float | None:
        values = [v for r in self.rounds if (v := pick(r)) is not None]
        return statistics.median(values) if values else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def on_cpu(cpu: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` pinning the child to ``cpu`` (when pinning is on)."""
    if not PINNED:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


SERVERS = {
    "uvicorn": "uvicorn + uvloop + httptools, 1 worker",
    "granian": "granian (ASGI, uvloop, HTTP/1, 1 worker, 1 runtime thread)",
}


def serve(target: str, port: int, server: str = "uvicorn") -> subprocess.Popen[bytes]:
    if server == "granian":
        command = [
            sys.executable, "-m", "granian", "--interface", "asgi",
            "--host", HOST, "--port", str(port), "--workers", "1",
            "--runtime-threads", "1", "--loop", "uvloop", "--http", "1",
            "--no-ws", "--log-level", "warning", target,
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", target,
            "--host", HOST, "--port", str(port),
            "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, preexec_fn=on_cpu(0))


def wait_for_server(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server on port {port} did not start")


def collections(port: int) -> int | None:
    """Total collector passes so far (app_framework servers only)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_gc", timeout=5) as reply:
            return int(sum(json.load(reply)["collections"]))
    except OSError:
        return None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str, out: str) -> float:
    """wrk's latency (``812.00us``, ``1.20ms``, ``2.00s``, ``1.00m``) in ms."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"unexpected latency {text!r} in wrk's output:\n{out}")
    return float(found[1]) * _UNITS[found[2]]


def run_wrk(port: int, connections: int, seconds: float) -> Round:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
        f"http://{HOST}:{port}/hello",
    ]  # fmt: skip
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
        preexec_fn=on_cpu(1),
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: "+/- Stdev" columns end in % too (94.99% before "Req/Sec").
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1), out)  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1), out)  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Round(rate, p50, p99, errors, requests=requests)


async def _one_connection(port: int, stop_at: float, counts: list[int]) -> None:
    request = f"GET /hello HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    done = 0
    try:
        while time.monotonic() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            done += 1
    finally:
        counts.append(done)
        writer.close()


def run_python_client(port: int, connections: int, seconds: float) -> Round:
    """The fallback client when wrk is not installed: requests/s only."""

    async def drive() -> Round:
        counts: list[int] = []
        start = time.monotonic()
        stop_at = start + seconds
        await asyncio.gather(
            *(_one_connection(port, stop_at, counts) for _ in range(connections))
        )
        total = sum(counts)
        return Round(total / (time.monotonic() - start), requests=total)

    return asyncio.run(drive())


def measure(server: str, rows: list[str], connections: int) -> dict[str, Result]:
    client = run_wrk if shutil.which("wrk") else run_python_client
    ports = {name: free_port() for name in rows}
    servers = {name: serve(CONTENDERS[name], ports[name], server) for name in rows}
    try:
        for port in ports.values():
            wait_for_server(port, time.monotonic() + 30)
            client(port, connections, WARMUP_SECONDS)
        results = {name: Result() for name in rows}
        for _ in range(ROUNDS):
            for name, port in ports.items():
                before = collections(port)
                figures = client(port, connections, SECONDS)
                after = collections(port)
                if before is not None and after is not None:
                    figures.collections = after - before
                results[name].rounds.append(figures)
        return results
    finally:
        for process in servers.values():
            process.send_signal(signal.SIGINT)
        for process in servers.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def report(server: str, connections: int, results: dict[str, Result]) -> None:
    base = results["Starlette"].median(lambda r: r.rate) or 1.0
    plain = results.get("app_framework, no receivers")
    plain_p99 = None if plain is None else plain.median(lambda r: r.p99_ms)
    print(
        f"{SERVERS[server]}: {connections} keep-alive connections, "
        f"{ROUNDS} rounds of {SECONDS:g} s:"
    )
    print()
    print(
        "| server | requests/s (min–max) | vs Starlette | p50 ms | p99 ms "
        "| GC passes / 1k req | errors | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, result in results.items():
        rate = result.median(lambda r: r.rate) or 0.0
        low = min(r.rate for r in result.rounds)
        high = max(r.rate for r in result.rounds)
        p50 = result.median(lambda r: r.p50_ms)
        p99 = result.median(lambda r: r.p99_ms)
        passes = result.median(
            lambda r: (
                None
                if r.collections is None
                else r.collections * 1000 / max(r.requests, 1)
            )
        )
        target = TARGETS.get(name, "")
        if "p99" in target and p99 is not None and plain_p99:
            target += f" (now {p99 / plain_p99:.2f}x)"
        print(
            f"| {name} | {rate:,.0f} ({low:,.0f}–{high:,.0f}) | {rate / base:.2f}x "
            f"| {_fmt(p50)} | {_fmt(p99)} | {_fmt(passes)} "
            f"| {sum(r.errors for r in result.rounds)} | {target} |"
        )
    print()


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Requests/s and latency of each contender under a real server."
    )
    parser.add_argument(
        "--server",
        choices=[*SERVERS, "both"],
        default=os.environ.get("LOAD_SERVER", "uvicorn"),
        help="the server every row runs under (both: uvicorn, then granian)",
    )
    parser.add_argument(
        "--row",
        action="append",
        default=[],
        metavar="NAME",
        help="a contender to run (repeatable; Starlette, the baseline, always "
        f"runs); default all: {'; '.join(CONTENDERS)}",
    )
    args = parser.parse_args()
    unknown = [name for name in args.row if name not in CONTENDERS]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {list(CONTENDERS)}")
    args.rows = (
        ["Starlette", *(name for name in args.row if name != "Starlette")]
        if args.row
        else list(CONTENDERS)
    )
    args.servers = list(SERVERS) if args.server == "both" else [args.server]
    if "granian" in args.servers and importlib.util.find_spec("granian") is None:
        parser.error("granian is not installed: pip install granian")
    return args


def main() -> None:
    args = arguments()
    client = "wrk" if shutil.which("wrk") else "a Python asyncio client (no wrk)"
    where = "server on CPU 0, client on CPU 1" if PINNED else "not pinned"
    print(f"client: {client}; {where}")
    print()
    for server in args.servers:
        for connections in CONNECTIONS:
            report(server, connections, measure(server, args.rows, connections))


if __name__ == "__main__":
    main()
