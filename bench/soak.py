"""Soak: uvicorn under steady load with a receiver on every signal.

Run: ``make soak`` (``SOAK_SECONDS`` sets the length, default 60).

Serves ``bench.soak_app:app`` with uvicorn (uvloop, httptools) on 127.0.0.1
and drives it with keep-alive connections cycling through plain, JSON,
session + flash + template, and streamed responses. Prints requests/s, the
error count (non-200 answers and broken connections), and the server's
resident memory and open file descriptors at the start, every 10 s, and at
the end. Bounded in time and connections; it stops the server itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

from load import HOST, free_port, serve, wait_for_server

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
CONNECTIONS = 16
PATHS = ["/hello", "/json/7", "/page", "/stream", "/hello", "/json/8"]


def server_stats(pid: int) -> tuple[float, int]:
    """Resident memory (MiB) and open file descriptors of process ``pid``."""
    with open(f"/proc/{pid}/status") as status:
        rss_kb = next(
            int(line.split()[1]) for line in status if line.startswith("VmRSS:")
        )
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


async def client(
    port: int, stop_at: float, counts: list[int], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    cookie = b""
    done = 0
    try:
        while time.monotonic() < stop_at:
            path = PATHS[done % len(PATHS)].encode()
            writer.write(
                b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + b"\r\n"
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if head[9:12] != b"200":
                errors.append(head[9:12].decode())
            lines = head.split(b"\r\n")
            length = next(
                (int(x[15:]) for x in lines if x[:15].lower() == b"content-length:"),
                None,
            )
            for line in lines:
                if line[:12].lower() == b"set-cookie: " and line[12:20] == b"session=":
                    cookie = b"Cookie: " + line[12:].split(b";")[0] + b"\r\n"
            if length is not None:
                await reader.readexactly(length)
            else:  # chunked (the streamed route)
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            done += 1
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(type(exc).__name__)
    finally:
        counts.append(done)
        writer.close()


async def soak() -> None:
    port = free_port()
    server = serve("bench.soak_app:app", port)
    try:
        await asyncio.to_thread(wait_for_server, port, time.monotonic() + 20)
        warm: list[int] = []
        await asyncio.gather(
            *(client(port, time.monotonic() + 2, warm, []) for _ in range(4))
        )
        print("time    RSS MiB   open fds")
        start_stats = server_stats(server.pid)
        print(f"{0:4.0f}s  {start_stats[0]:8.1f}  {start_stats[1]:9d}")
        counts: list[int] = []
        errors: list[str] = []
        begin = time.monotonic()
        stop_at = begin + SECONDS
        load = asyncio.gather(
            *(client(port, stop_at, counts, errors) for _ in range(CONNECTIONS))
        )
        while not load.done():
            await asyncio.wait([load], timeout=10)
            rss, fds = server_stats(server.pid)
            print(f"{time.monotonic() - begin:4.0f}s  {rss:8.1f}  {fds:9d}")
        await load
        elapsed = time.monotonic() - begin
        # The server closes its side as it reads each client's close: give
        # it up to 5 s to get back to where it started (polled, reported).
        settle = time.monotonic()
        end_stats = server_stats(server.pid)
        while end_stats[1] > start_stats[1] and time.monotonic() - settle < 5:
            await asyncio.sleep(0.05)
            end_stats = server_stats(server.pid)
        settled = time.monotonic() - settle
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    total = sum(counts)
    print()
    print(
        f"{total:,} requests in {elapsed:.0f} s: {total / elapsed:,.0f} requests/s, "
        f"{CONNECTIONS} connections, a sync and an async receiver on all 20 signals"
    )
    print(f"errors: {len(errors)}")
    print(f"RSS: {start_stats[0]:.1f} MiB at start, {end_stats[0]:.1f} MiB at end; "
          f"open fds: {start_stats[1]} at start, {end_stats[1]} at end "
          f"({settled:.2f} s after the clients left)")  # fmt: skip


def main() -> None:
    import uvloop

    uvloop.install()
    asyncio.run(soak())


if __name__ == "__main__":
    main()
