"""The chat on two "machines" sharing one Redis: ``make relay-machines``.

Starts a Redis-protocol server on 127.0.0.1 and ``uvicorn examples.chat:app
--workers 2`` twice, bound to 127.0.0.2 and to 127.0.0.3 (two process
groups, as two hosts behind a load balancer), with the relay on. Then
``CLIENTS`` websocket clients per machine join one room and each sends
``MESSAGES``; every client must hear every message exactly once, whichever
machine it was said on. Prints what crossed and the send-to-receipt latency.
Then **resume**: a member on 127.0.0.2 goes offline for ``AWAY`` seconds
while another on 127.0.0.3 says 20 messages a second; it comes back on
127.0.0.3 with the id of the last message it had, and must get each missed
message once, in order, then the next live one.

Bounded in time and connections; every process is stopped by its pid.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any

import redis as sync_redis
from websockets.asyncio.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.helpers.machines import machines
from tests.helpers.redis_server import redis_server
from tests.helpers.servers import Server

CLIENTS = int(os.environ.get("CLIENTS", "20"))  # per machine
MESSAGES = int(os.environ.get("MESSAGES", "5"))  # per client
WORKERS = int(os.environ.get("WORKERS", "2"))  # per machine
AWAY = float(os.environ.get("AWAY", "5"))  # seconds offline in the resume run


def wait_for_relays(url: str, count: int) -> None:
    """Until ``count`` workers' relays listen on the chat's channel: a
    worker accepts connections (the socket is shared) before its relay
    has subscribed."""
    store = sync_redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 60
        while store.pubsub_numsub("app_framework:examples.chat")[0][1] < count:
            if time.monotonic() > deadline:
                raise TimeoutError("the workers' relays did not subscribe")
            time.sleep(0.05)
    finally:
        store.close()


def text_of(frame: str | bytes) -> str:
    """The text of a chat frame (JSON: id, room, text)."""
    text: str = json.loads(frame)["text"]
    return text


async def until_heard(speaker: Any, listener: Any) -> None:
    """Probe until the listener hears the speaker: both machines' relays
    are listening (bounded)."""
    async with asyncio.timeout(30):
        while True:
            await speaker.send("probe")
            try:
                async with asyncio.timeout(0.2):
                    await listener.recv()
                    return
            except TimeoutError:
                continue


async def run(first: Server, second: Server) -> dict[str, Any]:
    async with (
        connect(f"{first.ws_url}/ws/probe") as a,
        connect(f"{second.ws_url}/ws/probe") as b,
    ):
        await until_heard(a, b)
        await until_heard(b, a)
    servers = [first] * CLIENTS + [second] * CLIENTS
    sockets = [
        await connect(f"{server.ws_url}/ws/lobby", open_timeout=30, max_queue=None)
        for server in servers
    ]
    expected = len(sockets) * MESSAGES
    heard: list[dict[str, int]] = [{} for _ in sockets]
    latencies: list[float] = []

    async def listen(index: int) -> None:
        async with asyncio.timeout(60):
            while sum(heard[index].values()) < expected:
                text = text_of(await sockets[index].recv())
                heard[index][text] = heard[index].get(text, 0) + 1
                sent_at = float(text.rsplit(" at ", 1)[1])
                latencies.append(time.time() - sent_at)

    async def speak(index: int) -> None:
        for number in range(MESSAGES):
            await sockets[index].send(f"{index}.{number} at {time.time():.6f}")
            await asyncio.sleep(0.01)

    listeners = [asyncio.create_task(listen(i)) for i in range(len(sockets))]
    await asyncio.gather(*(speak(i) for i in range(len(sockets))))
    await asyncio.gather(*listeners)
    for socket in sockets:
        await socket.close()
    on_first = range(CLIENTS)
    crossed = sum(
        count
        for index in range(CLIENTS, len(sockets))
        for text, count in heard[index].items()
        if int(text.split(".")[0]) in on_first
    )
    latencies.sort()
    return {
        "machines (workers each)": f"2 ({WORKERS})",
        "clients (per machine)": f"{len(sockets)} ({CLIENTS})",
        "messages sent": expected,
        "deliveries made / expected": f"{sum(sum(h.values()) for h in heard)} / "
        f"{expected * len(sockets)}",
        "heard twice": sum(c - 1 for h in heard for c in h.values() if c > 1),
        "every client heard every message": all(len(h) == expected for h in heard),
        "deliveries crossing 127.0.0.2 -> 127.0.0.3": crossed,
        "latency p50 / p99 (ms)": f"{statistics.median(latencies) * 1000:.1f} / "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f}",
    }


async def resume(first: Server, second: Server) -> dict[str, Any]:
    """A member away for ``AWAY`` seconds comes back on the other machine."""
    async with connect(f"{second.ws_url}/ws/resume") as speaker:
        async with connect(f"{first.ws_url}/ws/resume") as away:
            await speaker.send("before")
            last_id = json.loads(await away.recv())["id"]
        said: list[str] = []
        until = time.monotonic() + AWAY
        while time.monotonic() < until:
            said.append(f"missed {len(said)}")
            await speaker.send(said[-1])
            await asyncio.sleep(0.05)
        back_at = time.monotonic()
        url = f"{second.ws_url}/ws/resume?last_id={last_id}"
        async with connect(url, max_queue=None) as back:
            got = [json.loads(await back.recv())["text"] for _ in said]
            caught_up = time.monotonic() - back_at
            await speaker.send("live")
            live = json.loads(await back.recv())["text"]
            try:
                async with asyncio.timeout(0.3):
                    extra = await back.recv()
            except TimeoutError:
                extra = None
    return {
        "away (s) / messages said meanwhile": f"{AWAY:g} / {len(said)}",
        "missed messages received, in order, once": got == said and extra is None,
        "then the live one": live == "live",
        "reconnect to last missed message (ms)": f"{caught_up * 1000:.0f}",
    }


def main() -> None:
    with redis_server() as redis, machines(redis.url, workers=WORKERS) as servers:
        first, second = servers
        print(f"Redis {redis.url}; machines {first.url} and {second.url}")
        wait_for_relays(redis.url, 2 * WORKERS)
        results = asyncio.run(run(first, second))
        results.update(asyncio.run(resume(first, second)))
    print("\n| measure | result |\n|---|---|")
    for measure, value in results.items():
        print(f"| {measure} | {value} |")


if __name__ == "__main__":
    main()
