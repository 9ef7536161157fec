"""The chat's resume on a real Redis and two "machines" (127.0.0.2 and
127.0.0.3): a member away while others speak comes back, on the other
machine, with its last id, and gets each missed message once, then live."""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.helpers.machines import machines
from tests.helpers.redis_server import redis_server
from tests.helpers.servers import Server


def join(
    stack: contextlib.ExitStack, server: Server, room: str, last_id: str = ""
) -> ClientConnection:
    query = f"?last_id={last_id}" if last_id else ""
    url = f"{server.ws_url}/ws/{room}{query}"
    return stack.enter_context(connect(url, open_timeout=10))


def next_message(socket: ClientConnection) -> dict[str, str]:
    message: dict[str, str] = json.loads(socket.recv(timeout=10))
    return message


def until_heard(speaker: ClientConnection, listener: ClientConnection) -> None:
    """Probe until the listener hears the speaker (both relays read)."""
    deadline = time.monotonic() + 15
    while True:
        speaker.send("probe")
        with contextlib.suppress(TimeoutError):
            listener.recv(timeout=0.1)
            return
        assert time.monotonic() < deadline, "the machines never heard each other"


def test_a_member_back_on_another_machine_gets_each_missed_message_once() -> None:
    with redis_server() as redis, machines(redis.url) as (first, second):
        with contextlib.ExitStack() as stack:
            probe_a, probe_b = join(stack, first, "probe"), join(stack, second, "probe")
            until_heard(probe_a, probe_b)
            until_heard(probe_b, probe_a)
            bob = join(stack, second, "lobby")
            with contextlib.ExitStack() as away:
                alice = join(away, first, "lobby")
                bob.send("before")
                last_id = next_message(alice)["id"]
                assert next_message(bob)["text"] == "before"
            # Alice is offline while Bob speaks (and someone in another room).
            for n in range(5):
                bob.send(f"missed {n}")
            probe_b.send("not for the lobby")
            seen_by_bob = [next_message(bob)["text"] for _ in range(5)]
            assert seen_by_bob == [f"missed {n}" for n in range(5)]
            back = join(stack, second, "lobby", last_id)  # the other machine
            bob.send("after")
            heard = [next_message(back) for _ in range(6)]
            assert [m["text"] for m in heard] == [
                *(f"missed {n}" for n in range(5)),
                "after",
            ]
            assert {m["room"] for m in heard} == {"lobby"}
            with pytest.raises(TimeoutError):  # and nothing twice
                back.recv(timeout=0.1)

            # The same over Server-Sent Events, as an EventSource resumes.
            headers = {"Last-Event-ID": last_id}
            events = f"{first.url}/chat/lobby/events"
            with httpx.stream("GET", events, headers=headers, timeout=10) as stream:
                data = []
                for line in stream.iter_lines():
                    if line.startswith("data: "):
                        data.append(json.loads(line[6:])["text"])
                        if len(data) == 6:
                            break
            assert data == [*(f"missed {n}" for n in range(5)), "after"]
