"""Real servers for tests: uvicorn in a process of its own, on 127.0.0.1
(or another loopback address, to play another machine).

The server is started on port 0; the port it got is read from its startup
line, so no test waits on a timer and no two tests fight for a port. Every
process is stopped by its pid when the test is done.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_RUNNING = re.compile(r"Uvicorn running on https?://127\.\d+\.\d+\.\d+:(\d+)")


@dataclass
class Server:
    """A running uvicorn: its process, port and everything it printed."""

    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    printed: threading.Condition = field(default_factory=threading.Condition)
    """Notified at each line the server prints."""
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Stop the process by its pid; its exit code."""
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        return self.process.returncode

    @property
    def text(self) -> str:
        return "".join(self.output)

    def wait_for_output(self, text: str, timeout: float = 10) -> None:
        """Return when the server has printed ``text`` (blocking: call it
        through ``asyncio.to_thread`` from a test's event loop).

        :raises TimeoutError: not printed within ``timeout`` seconds.
        """
        with self.printed:
            if not self.printed.wait_for(lambda: text in self.text, timeout):
                raise TimeoutError(f"{text!r} not printed:\n{self.text}")


def uvicorn(
    target: str,
    *args: str,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> AbstractContextManager[Server]:
    """Run ``uvicorn target`` on ``host`` (a loopback address) until the
    block ends."""
    command = ["-m", "uvicorn", target, "--host", host, "--port", "0"]
    return serve([*command, *args], timeout, env, host)


def app_framework_run(
    target: str, *args: str, timeout: float = 30, env: dict[str, str] | None = None
) -> AbstractContextManager[Server]:
    """Run ``app-framework --app target run`` on 127.0.0.1 (uvicorn, with the
    options the command passes it) until the block ends."""
    command = ["-m", "app_framework", "--app", target, "run", "--port", "0"]
    return serve([*command, *args], timeout, env)


@contextmanager
def serve(
    arguments: list[str],
    timeout: float = 30,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[Server]:
    """Run ``python *arguments`` (a uvicorn on ``host``, port 0) until the
    block ends."""
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    output: list[str] = []
    found = threading.Event()
    port: list[int] = []
    printed = threading.Condition()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with printed:
                output.append(line)
                printed.notify_all()
            match = _RUNNING.search(line)
            if match and not port:
                port.append(int(match[1]))
                found.set()
        found.set()  # the process ended

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    server = Server(process, 0, output, printed, host)
    try:
        if not found.wait(timeout) or not port:
            raise RuntimeError(f"uvicorn did not start:\n{''.join(output)}")
        server.port = port[0]
        yield server
    finally:
        server.stop()
        reader.join(5)
        process.stdout.close()
