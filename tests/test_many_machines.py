"""The chat on two "machines" (uvicorn process groups bound to 127.0.0.2
and 127.0.0.3) sharing one Redis: what is said on one is heard on the
other, each message once."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.helpers.machines import machines
from tests.helpers.redis_server import redis_server
from tests.helpers.servers import Server


def said(frame: str | bytes) -> str:
    """A chat frame as the page shows it: ``[room] text``."""
    message = json.loads(frame)
    return f"[{message['room']}] {message['text']}"


def join(stack: contextlib.ExitStack, server: Server, room: str) -> ClientConnection:
    return stack.enter_context(connect(f"{server.ws_url}/ws/{room}", open_timeout=10))


def wait_until_heard(speaker: ClientConnection, listener: ClientConnection) -> None:
    """Probe until ``listener`` hears ``speaker`` (the relays on both
    machines are listening), within a bounded time."""
    deadline = time.monotonic() + 15
    probe = 0
    while True:
        probe += 1
        speaker.send(f"probe {probe}")
        with contextlib.suppress(TimeoutError):
            listener.recv(timeout=0.1)
            return
        assert time.monotonic() < deadline, "the machines never heard each other"


def test_messages_cross_between_two_machines_once_each() -> None:
    per_machine = 3
    with redis_server() as redis, machines(redis.url) as (first, second):
        assert (first.host, second.host) == ("127.0.0.2", "127.0.0.3")
        with contextlib.ExitStack() as stack:
            a, b = join(stack, first, "probe"), join(stack, second, "probe")
            wait_until_heard(a, b)
            wait_until_heard(b, a)
            clients = [
                join(stack, machine, "lobby")
                for machine in (first, second)
                for _ in range(per_machine)
            ]
            for number, client in enumerate(clients):
                client.send(f"hello from {number}")
            expected = sorted(f"[lobby] hello from {n}" for n in range(len(clients)))
            for client in clients:
                heard = sorted(said(client.recv(timeout=10)) for _ in expected)
                assert heard == expected
                with pytest.raises(TimeoutError):  # and nothing twice
                    client.recv(timeout=0.05)
