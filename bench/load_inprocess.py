"""CPU time per request under uvicorn's own HTTP protocol, without sockets.

Run: ``.venv/bin/python bench/load_inprocess.py``.

Each contender of ``bench/load.py`` is served by uvicorn's
``HttpToolsProtocol`` (the class ``--http httptools`` uses, with uvicorn's
middleware from ``Config.load()``) on a uvloop loop in this process, over
32 fake keep-alive connections: a connection hands its next request to the
protocol as soon as its response has been written, as wrk does. There is
no kernel, no network and no client process, so on a machine shared with
other work the figures move far less than wrk's: use it to see what a
change costs under the server (its tasks, timers and parser included),
and ``bench/load.py`` for what a client sees. Contenders are interleaved;
the median CPU microseconds per request is printed.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

import uvloop
from load import CONTENDERS, ROOT
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

ROUNDS = 9
CONNECTIONS = 32
REQUESTS = 20_000  # a round, per contender
REQUEST = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


class _Transport(asyncio.Transport):
    """What the protocol writes to: counts responses, closes nothing."""

    def __init__(self, connection: _Connection) -> None:
        super().__init__()
        self._connection = connection

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if bytes(data).endswith(b"hello"):  # the body: the response is out
            self._connection.answered()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        port = 50_000 + self._connection.index
        addresses = {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", port)}
        return addresses.get(name, default)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None

    def close(self) -> None:
        return None  # the keep-alive timeout of an idle contender


class _Connection:
    def __init__(self, run: _Run, index: int, protocol: HttpToolsProtocol) -> None:
        self.run, self.index, self.protocol = run, index, protocol
        protocol.connection_made(_Transport(self))

    def answered(self) -> None:
        self.run.answered()
        if not self.run.finished.done():
            # The next request arrives on a later turn of the loop, as
            # data read from a socket does.
            self.run.loop.call_soon(self.protocol.data_received, REQUEST)


class _Run:
    """One contender's connections, driven for a number of requests."""

    def __init__(self, loop: asyncio.AbstractEventLoop, app: str) -> None:
        self.loop = loop
        config = Config(app=app, lifespan="off", access_log=False, log_level="warning")
        config.load()
        state = ServerState()
        self.connections = [
            _Connection(
                self,
                index,
                HttpToolsProtocol(config, state, app_state={}, _loop=loop),
            )
            for index in range(CONNECTIONS)
        ]
        self.finished: asyncio.Future[None] = loop.create_future()
        self.left = 0

    def answered(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.finished.set_result(None)

    async def drive(self, requests: int) -> None:
        self.left = requests
        self.finished = self.loop.create_future()
        for connection in self.connections:
            self.loop.call_soon(connection.protocol.data_received, REQUEST)
        await self.finished
        for _ in range(3):  # the last requests' tasks end
            await asyncio.sleep(0)


def main() -> None:
    rows = sys.argv[1:] or list(CONTENDERS)
    sys.path.insert(0, ROOT)  # the apps are named bench.load_apps:...
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    runs = {name: _Run(loop, CONTENDERS[name]) for name in rows}
    for run in runs.values():
        loop.run_until_complete(run.drive(2_000))  # warm up
    samples: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(ROUNDS):
        for name, run in runs.items():
            start = time.process_time()
            loop.run_until_complete(run.drive(REQUESTS))
            samples[name].append((time.process_time() - start) / REQUESTS * 1e6)
    base = statistics.median(samples[rows[0]])
    print(f"uvicorn's HttpToolsProtocol in-process, {CONNECTIONS} connections")
    print()
    print(f"| contender | CPU µs / request | vs {rows[0]} |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
