"""Two "machines" on one host: uvicorn process groups bound to different
loopback addresses (127.0.0.2, 127.0.0.3), sharing one Redis, as two hosts
behind a load balancer would. Each is started and stopped by its pid."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from tests.helpers.servers import Server, uvicorn

HOSTS = ("127.0.0.2", "127.0.0.3")


@contextlib.contextmanager
def machines(
    redis_url: str,
    *,
    hosts: Sequence[str] = HOSTS,
    workers: int = 1,
    target: str = "examples.chat:app",
    timeout: float = 30,
) -> Iterator[list[Server]]:
    """Run ``uvicorn target --workers N`` on each of ``hosts`` (started side
    by side, each with the relay pointed at ``redis_url``) until the block
    ends; the servers in the order of ``hosts``."""
    env = {"APP_SIGNAL_RELAY_URL": redis_url}
    with contextlib.ExitStack() as stack:
        started: dict[str, Server] = {}
        errors: list[BaseException] = []
        lock = threading.Lock()

        def start(host: str) -> None:
            try:
                manager = uvicorn(
                    target,
                    "--workers",
                    str(workers),
                    env=env,
                    host=host,
                    timeout=timeout,
                )
                server = manager.__enter__()
            except BaseException as exc:  # reported in the caller's thread
                errors.append(exc)
                return
            with lock:
                started[host] = server
                stack.push(manager.__exit__)  # stopped by its pid at the end

        threads = [threading.Thread(target=start, args=(host,)) for host in hosts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        yield [started[host] for host in hosts]
