"""Requests per second under uvicorn (uvloop + httptools) on 127.0.0.1.

Run: ``.venv/bin/python bench/load.py`` (``make load``).

Start ``uvicorn bench.load_apps:<app>`` for each framework on free loopback
ports (one worker each, no access log; an idle server costs nothing), warm
them up, then drive them in interleaved rounds (Starlette, app_framework,
Quart, Starlette, ...) with a fixed number of keep-alive connections from a
small raw asyncio HTTP/1.1 client in this process, and report each one's
median round. Interleaving keeps the machine's drift (2 cores shared by
client and servers) from favouring whoever ran first. Bounded in time and
connections; nothing leaves 127.0.0.1; the servers are stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HOST = "127.0.0.1"
CONNECTIONS = 32
WARMUP_SECONDS = 1.0
SECONDS = float(os.environ.get("LOAD_SECONDS", "2"))
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "5"))
APPS = {
    "Starlette": "bench.load_apps:starlette_app",
    "app_framework": "bench.load_apps:framework_app",
    "Quart": "bench.load_apps:quart_app",
}
REQUEST = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_server(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise TimeoutError(f"server on port {port} did not start")


async def one_connection(
    port: int, stop_at: float, counts: list[int], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    done = 0
    try:
        while time.monotonic() < stop_at:
            writer.write(REQUEST)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if status != b"200":
                errors.append(status.decode())
            done += 1
    finally:
        counts.append(done)
        writer.close()


async def drive(port: int, seconds: float) -> tuple[float, int]:
    counts: list[int] = []
    errors: list[str] = []
    start = time.monotonic()
    stop_at = start + seconds
    await asyncio.gather(
        *(one_connection(port, stop_at, counts, errors) for _ in range(CONNECTIONS))
    )
    elapsed = time.monotonic() - start
    return sum(counts) / elapsed, len(errors)


def serve(target: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", target,
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=os.path.dirname(os.path.dirname(__file__)))


async def measure_all(targets: dict[str, str]) -> dict[str, tuple[float, int]]:
    """Median requests/s and total errors per server, over interleaved rounds."""
    ports = {name: free_port() for name in targets}
    servers = [serve(target, ports[name]) for name, target in targets.items()]
    try:
        for port in ports.values():
            await wait_for_server(port, time.monotonic() + 20)
            await drive(port, WARMUP_SECONDS)
        rates: dict[str, list[float]] = {name: [] for name in targets}
        errors = dict.fromkeys(targets, 0)
        for _ in range(ROUNDS):
            for name, port in ports.items():
                rate, failed = await drive(port, SECONDS)
                rates[name].append(rate)
                errors[name] += failed
        return {
            name: (statistics.median(rates[name]), errors[name]) for name in targets
        }
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(measure_all(APPS))
    starlette = results["Starlette"][0]
    print(
        f"uvicorn + uvloop + httptools, 1 worker, {CONNECTIONS} keep-alive connections,"
    )
    print(f"{SECONDS:.0f} s each after a {WARMUP_SECONDS:.0f} s warm-up,", end=" ")
    print("one client process")
    print()
    print("| server | requests/s | vs Starlette | errors |")
    print("|---|---:|---:|---:|")
    for name, (rate, errors) in results.items():
        print(f"| {name} | {rate:,.0f} | {rate / starlette:.0%} | {errors} |")


if __name__ == "__main__":
    main()
