"""A websocket flood into a slow view: how much memory the server holds.

Run: ``.venv/bin/python bench/ws_flood.py`` (``FLOOD_MESSAGES``, default
200, and ``FLOOD_SIZE``, default 1 MiB, set the flood).

Serves ``bench.ws_flood_app:app`` (a view taking 10 ms a message) with a
real uvicorn on 127.0.0.1, several ways (uvicorn's websocket
implementations, its ``--ws-max-queue`` knob, ``app-framework run``), and
for each, on a fresh server:

* the flood: warms a connection up (small messages), then sends
  ``FLOOD_MESSAGES`` binary messages of ``FLOOD_SIZE`` bytes as fast as
  the server takes them, without reading the view's replies, for at most
  ``FLOOD_SECONDS`` (default 10);
* a compression bomb: one message of 64 MiB of zeros, which
  permessage-deflate squeezes to some 64 kB on the wire, against the
  server's 16 MiB ``ws_max_size``.

Prints the server's resident memory before each and its peak (``VmHWM`` in
``/proc/<pid>/status``) after it, and how the connection ended. Each server
is stopped by its pid; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from load import HOST, ROOT
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

MESSAGES = int(os.environ.get("FLOOD_MESSAGES", "200"))
SIZE = int(os.environ.get("FLOOD_SIZE", str(1024 * 1024)))
SECONDS = float(os.environ.get("FLOOD_SECONDS", "10"))
TARGET = "bench.ws_flood_app:app"
UVICORN = [sys.executable, "-m", "uvicorn", TARGET, "--host", HOST, "--port", "0"]
RUN = [sys.executable, "-m", "app_framework", "--app", TARGET, "run", "--port", "0"]
SERVERS = {
    "uvicorn (--ws auto: websockets-sansio)": UVICORN,
    "uvicorn --ws wsproto": [*UVICORN, "--ws", "wsproto"],
    "uvicorn --ws websockets (deprecated)": [*UVICORN, "--ws", "websockets"],
    "uvicorn --ws websockets --ws-max-queue 1": [
        *UVICORN, "--ws", "websockets", "--ws-max-queue", "1",
    ],
    "app-framework run": RUN,
}  # fmt: skip
BOMB = 64 * 1024 * 1024
Attack = Callable[[int, int], Coroutine[Any, Any, tuple[float, float, int, str]]]
_RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def memory_mib(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak (``VmRSS``, ``VmHWM``), in MiB."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def start(command: list[str]) -> tuple[subprocess.Popen[str], int]:
    """The server and the port it printed it runs on."""
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    for line in server.stdout:
        found = _RUNNING.search(line)
        if found:
            return server, int(found[1])
        if time.monotonic() > deadline:
            break
    stop(server)
    raise RuntimeError(f"{command} did not start")


def stop(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(15)


async def flood(port: int, pid: int) -> tuple[float, float, int, str]:
    """Warm up, flood; (RSS before, peak RSS, messages sent, how it ended)."""
    url = f"ws://{HOST}:{port}/slow"
    async with connect(url, compression=None) as ws:  # every code path run
        for _ in range(3):
            await ws.send(b"w")
            await ws.recv()
    before, _ = memory_mib(pid)
    payload = os.urandom(SIZE)
    sent, ended = 0, "sent all"
    async with connect(url, compression=None, max_size=None, max_queue=None) as ws:
        try:
            async with asyncio.timeout(SECONDS):
                for sent in range(1, MESSAGES + 1):  # noqa: B007
                    await ws.send(payload)
        except TimeoutError:
            ended = "timed out"
        except ConnectionClosed as closed:
            ended = f"closed {closed.rcvd.code if closed.rcvd else None}"
        _, peak = memory_mib(pid)
        ws.transport.abort()  # no need to wait for the view to catch up
    return before, peak, sent, ended


async def bomb(port: int, pid: int) -> tuple[float, float, int, str]:
    """One deflated message of 64 MiB of zeros; like :func:`flood`."""
    url = f"ws://{HOST}:{port}/slow"
    async with connect(url, compression="deflate") as ws:
        await ws.send(b"w")
        await ws.recv()
    before, _ = memory_mib(pid)
    async with connect(url, compression="deflate", max_size=None) as ws:
        try:
            async with asyncio.timeout(SECONDS):
                await ws.send(bytes(BOMB))
                ended = f"answered {await ws.recv()!r}"
        except TimeoutError:
            ended = "timed out"
        except ConnectionClosed as closed:
            ended = f"closed {closed.rcvd.code if closed.rcvd else None}"
        _, peak = memory_mib(pid)
    return before, peak, 1, ended


def measure(name: str, command: list[str], attack: Attack) -> None:
    server, port = start(command)
    try:
        before, peak, sent, ended = asyncio.run(attack(port, server.pid))
    finally:
        stop(server)
    print(
        f"| {name} | {before:.1f} | {peak:.1f} | **{peak - before:.1f}** "
        f"| {sent} sent, {ended} |"
    )


def main() -> None:
    for title, attack in (
        (f"{MESSAGES} messages of {SIZE:,} bytes into a 10 ms-a-message view", flood),
        (f"one deflated message of {BOMB:,} zero bytes", bomb),
    ):
        print(f"\n{title}\n")
        print("| server | RSS before (MiB) | peak (MiB) | growth (MiB) | the client |")
        print("|---|---:|---:|---:|---|")
        for name, command in SERVERS.items():
            measure(name, command, attack)


if __name__ == "__main__":
    main()
