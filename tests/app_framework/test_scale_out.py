"""Running on many workers, against a real Redis: the app's signal relay
(SIGNAL_RELAY_URL) and server-side sessions (SESSION_REDIS_URL)."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis as sync_redis

from app_framework import App, session
from app_framework.cli import print_signals
from app_framework.lifecycle.scale_out import read_relay_health
from app_framework.sessions.redis import RedisSessionInterface
from asignals import Namespace
from asignals.relay import is_remote
from tests.app_framework.test_sessions import assert_one_clear_error
from tests.helpers.redis_server import RedisServer, redis_server


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


_clients: list[sync_redis.Redis] = []


def store(server: RedisServer) -> sync_redis.Redis:
    """A plain client to look at what is stored (closed after the test)."""
    client = sync_redis.Redis.from_url(server.url)
    _clients.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


# -- the relay, wired by config ---------------------------------------------


def chat_app(url: str | None) -> tuple[App, Any, list[tuple[App, str, bool]]]:
    app = App("chat")
    app.config.update(SECRET_KEY="k" * 32, SIGNAL_RELAY_URL=url)
    said = Namespace().signal("said")
    app.share_signal(said)
    heard: list[tuple[App, str, bool]] = []

    @said.connect_via(app)
    def on_said(sender: App, text: str) -> None:
        heard.append((sender, text, is_remote()))

    return app, said, heard


@pytest.fixture
async def two_workers(
    server: RedisServer,
) -> AsyncIterator[list[tuple[App, Any, list[tuple[App, str, bool]]]]]:
    workers = [chat_app(server.url), chat_app(server.url)]
    for app, _, _ in workers:
        await app.startup()
    for app, _, _ in workers:
        await subscribed(app)
    yield workers
    for app, _, _ in workers:
        await app.shutdown()


async def subscribed(app: App) -> None:
    """Wait until ``app``'s relay listens."""
    relay = app.relay
    assert relay is not None
    ready = asyncio.Event()
    with relay.connected.connected_to(lambda relay: ready.set()):
        if not relay.is_subscribed:
            await asyncio.wait_for(ready.wait(), 10)


async def test_a_shared_signal_reaches_the_other_worker_with_its_own_app(
    two_workers: list[tuple[App, Any, list[tuple[App, str, bool]]]],
) -> None:
    (first, said, first_heard), (second, _, second_heard) = two_workers
    arrived = asyncio.Event()
    assert second.relay is not None
    with second.relay.counted.connected_to(
        lambda relay, counter, value: arrived.set() if counter == "delivered" else None
    ):
        await said.send_async(first, text="hello")
        await asyncio.wait_for(arrived.wait(), 10)
    assert first_heard == [(first, "hello", False)]
    assert second_heard == [(second, "hello", True)]


async def test_the_app_starts_and_serves_while_redis_is_down(
    server: RedisServer,
) -> None:
    server.stop()
    app, said, heard = chat_app(server.url)
    app.add_url_rule("/", "index", lambda: "serving")
    async with app.test_client() as client:  # start-up ran, Redis or not
        assert (await client.get("/")).text == "serving"
        await said.send_async(app, text="still local")  # never raises
        assert heard == [(app, "still local", False)]
        assert app.relay is not None and not app.relay.is_subscribed
        subscribed = asyncio.Event()
        with app.relay.connected.connected_to(lambda relay: subscribed.set()):
            server.start()  # Redis comes up later: the relay finds it
            await asyncio.wait_for(subscribed.wait(), 10)


def test_without_a_relay_url_redis_is_never_imported() -> None:
    code = (
        "import asyncio, sys\n"
        "from app_framework import App\n"
        "from asignals import Namespace\n"
        "app = App('x')\n"
        "said = Namespace().signal('said')\n"
        "app.share_signal(said)\n"
        "heard = []\n"
        "said.connect(lambda sender, **kw: heard.append(kw), app, weak=False)\n"
        "async def main():\n"
        "    await app.startup()\n"
        "    await said.send_async(app, n=1)\n"
        "    await app.shutdown()\n"
        "asyncio.run(main())\n"
        "print(heard, 'redis' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[{'n': 1}] False", result.stderr


def test_share_signal_wants_a_named_signal() -> None:
    from asignals import Signal

    with pytest.raises(TypeError, match="only named signals"):
        App("x").share_signal(Signal())  # type: ignore[arg-type]


def test_the_signals_command_lists_every_relays_counters(server: RedisServer) -> None:
    app, _, _ = chat_app(server.url)
    store(server).hset(
        "app_framework:chat:stats:host:123:abc",
        mapping={"published": 5, "delivered": 7, "dropped_broker_down": 1},
    )
    out = io.StringIO()
    print_signals(app, out)
    text = out.getvalue()
    assert "shared: said (max_bytes=65536, max_age=5.0)" in text
    assert 'host:123:abc: {"published": 5, "delivered": 7' in text


def test_the_signals_command_shows_durable_sharing_and_each_relays_health(
    server: RedisServer,
) -> None:
    app = App("chat")
    app.config.update(SIGNAL_RELAY_URL=server.url)
    app.share_signal(Namespace().signal("said"), durable=True, retention=500)
    report = {
        "id": "host:1:a",
        "subscribed": True,
        "heard": {"host:1:a": 0.2, "host:2:b": 0.4},
        "latency_ms": {"p50": 1.5, "p99": 7.25},
    }
    store(server).set("app_framework:chat:health:host:1:a", json.dumps(report))
    out = io.StringIO()
    print_signals(app, out)
    text = out.getvalue()
    shown = "said (max_bytes=65536, max_age=None, durable=True, retention=500)"
    assert f"shared: {shown}" in text
    assert (
        "host:1:a: subscribed=True, latency p50/p99 1.5/7.25 ms, "
        "heard itself 0.2 s ago, host:2:b 0.4 s ago"
    ) in text


async def test_a_durable_shared_signal_crosses_with_its_stream_id(
    server: RedisServer,
) -> None:
    from asignals.relay import message_id, relay_gap

    apps, heard = [], []
    both = asyncio.Event()
    for _ in range(2):
        app = App("paper")
        app.config.update(SECRET_KEY="k" * 32, SIGNAL_RELAY_URL=server.url)
        news = Namespace().signal("news")
        app.share_signal(news, durable=True, retention=500)

        @news.connect_via(app)
        def on_news(sender: App, **kw: Any) -> None:
            heard.append((sender, kw, message_id.get()))
            if len(heard) == 2:
                both.set()

        apps.append((app, news))
    gaps: list[Any] = []
    relay_gap.connect(lambda sender, **kw: gaps.append(kw), apps[1][0], weak=False)
    for app, _ in apps:
        await app.startup()
    try:
        for app, _ in apps:
            await subscribed(app)
        first, news = apps[0]
        assert first.relay is not None
        async with first.relay.follow(news) as follower:  # the replay API, live
            await news.send_async(first, text="extra")
            async with asyncio.timeout(5):
                message = await anext(aiter(follower))
        assert message.kwargs == {"text": "extra"} and message.sender is first
        await asyncio.wait_for(both.wait(), 5)
        (here, _, local_id), (there, kwargs, stream_id) = heard
        assert (here, local_id) == (first, None)  # sent here: no id
        assert (there, kwargs, stream_id) == (apps[1][0], {"text": "extra"}, message.id)
        assert not gaps
        # The health helper: what each relay last wrote (once a second).
        second = apps[1][0].relay
        assert second is not None
        health = await read_relay_health(first)
        deadline = time.monotonic() + 5
        while first.relay.id not in health.get(second.id, {}).get("heard", {}):
            assert time.monotonic() < deadline, health
            await asyncio.sleep(0.1)
            health = await read_relay_health(first)
        assert second.id in health[second.id]["heard"]  # it hears itself
    finally:
        for app, _ in apps:
            await app.shutdown()


# -- server-side sessions ---------------------------------------------------


@pytest.fixture
def site(server: RedisServer) -> App:
    app = App("site")
    app.config.update(
        TESTING=True,
        SECRET_KEY="new-key-" + "k" * 32,
        SESSION_REDIS_URL=server.url,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=1),
    )

    @app.route("/login/<user>")
    async def login(user: str) -> str:
        session.regenerate()  # type: ignore[attr-defined]
        session["user"] = user
        session.permanent = True
        return "in"

    @app.route("/me")
    async def me() -> str:
        return str(session.get("user"))

    @app.route("/logout")
    async def logout() -> str:
        session.clear()
        return "out"

    @app.route("/touch")
    async def touch() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    return app


def session_keys(server: RedisServer) -> list[bytes]:
    keys: list[bytes] = store(server).keys("session:*")  # type: ignore[assignment]
    return sorted(keys)


async def test_the_cookie_holds_a_signed_id_and_the_data_lives_in_redis(
    site: App, server: RedisServer
) -> None:
    async with site.test_client() as client:
        response = await client.get("/login/ada")
        cookie = response.cookies["session"]
        assert len(cookie) < 200 and "ada" not in cookie
        assert isinstance(site.session_interface, RedisSessionInterface)
        [key] = session_keys(server)
        assert b"ada" in store(server).get(key)  # type: ignore[operator]
        assert 3500 < store(server).ttl(key) <= 3600  # PERMANENT_SESSION_LIFETIME
        assert (await client.get("/me")).text == "ada"


async def test_written_only_when_changed(site: App, server: RedisServer) -> None:
    def sets() -> int:
        stats = store(server).info("commandstats")
        return int(stats.get("cmdstat_set", {}).get("calls", 0))

    async with site.test_client() as client:
        await client.get("/login/ada")
        before = sets()
        for _ in range(3):
            assert (await client.get("/me")).text == "ada"
        assert sets() == before  # reads (and TTL refreshes) write no data
        await client.get("/touch")
        assert sets() == before + 1


async def test_logout_revokes_every_copy_of_the_cookie(
    site: App, server: RedisServer
) -> None:
    async with site.test_client() as client:
        await client.get("/login/ada")
        stolen = client.cookies["session"]
        logged_out = await client.get("/logout")
        assert (
            'session=""' in logged_out.headers["set-cookie"]
            or "Max-Age=0" in (logged_out.headers["set-cookie"])
        )
    assert session_keys(server) == []
    async with site.test_client() as thief:
        thief.cookies["session"] = stolen
        assert (await thief.get("/me")).text == "None"


async def test_login_regenerates_the_id_against_fixation(
    site: App, server: RedisServer
) -> None:
    async with site.test_client() as client:
        await client.get("/touch")  # a session before login (an attacker's?)
        planted = client.cookies["session"]
        await client.get("/login/ada")
        assert client.cookies["session"] != planted
        assert len(session_keys(server)) == 1  # the old id's data is gone
    async with site.test_client() as attacker:
        attacker.cookies["session"] = planted
        assert (await attacker.get("/me")).text == "None"


async def test_a_rotated_key_still_opens_old_cookies(site: App) -> None:
    async with site.test_client() as client:
        site.config["SECRET_KEY"] = "old-key-" + "k" * 32
        await client.get("/login/ada")
        site.config.update(
            SECRET_KEY="new-key-" + "k" * 32,
            SECRET_KEY_FALLBACKS=["old-key-" + "k" * 32],
        )
        assert (await client.get("/me")).text == "ada"


async def test_with_redis_down_reads_answer_and_writes_are_a_503(
    site: App, server: RedisServer
) -> None:
    async with site.test_client() as client:
        await client.get("/login/ada")
        stored = session_keys(server)
        server.stop()
        assert (await client.get("/me")).text == "None"  # answers, empty
        refused = await client.get("/touch")
        assert refused.status_code == 503
        assert "session store is unavailable" in refused.text
        server.start()
        assert session_keys(server) == []  # (a fresh server: nothing persisted)
    assert stored  # there was data before the outage


async def test_a_frozen_redis_never_hangs_a_request(
    site: App, server: RedisServer
) -> None:
    async with site.test_client() as client:
        await client.get("/login/ada")
        server.pause()
        try:
            # Each Redis call gives up after the interface's timeout (0.5 s).
            async with asyncio.timeout(10):
                reply = await client.get("/me")
            assert reply.status_code == 200
        finally:
            server.resume()
        assert (await client.get("/me")).text == "ada"  # and the data is intact


UNREADABLE: dict[str, bytes] = {
    "not JSON": b'{"user": s3cr3t',
    "an int past CPython's digit limit": b'{"n": 1' + b"0" * 5000 + b"}",
    "not UTF-8": b"\xff\xfe\x00",
    "nested past the recursion limit": b"[" * 100_000,
    "a JSON list": b'["s3cr3t"]',
    "a JSON string": b'"s3cr3t"',
    "a tag that does not convert back": b'{"user": {" u": "s3cr3t"}}',
}


@pytest.mark.parametrize("stored", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_unreadable_stored_data_opens_an_empty_session_that_can_be_replaced(
    site: App, server: RedisServer, stored: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async with site.test_client() as client:
        await client.get("/login/ada")
        [key] = session_keys(server)
        store(server).set(key, stored)
        me = await client.get("/me")
        assert (me.status_code, me.text) == (200, "None")  # empty, not a 500
        [line] = [r.getMessage() for r in caplog.records if "Unreadable" in r.msg]
        assert "bytes): the session opens empty" in line
        assert "s3cr3t" not in line and key.decode() not in line  # nor its id
        touched = await client.get("/touch")
        assert (touched.status_code, touched.text) == (200, "1")
        assert session_keys(server) == [key]  # the same id, data overwritten
        assert json.loads(store(server).get(key)) == {"n": 1}  # type: ignore[arg-type]
        store(server).set(key, stored)
        logged_out = await client.get("/logout")  # clearing it works too
        assert logged_out.status_code == 200
        assert session_keys(server) == []
        await client.get("/login/bob")
        assert (await client.get("/me")).text == "bob"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (Decimal("1.50"), "holds a decimal.Decimal"),
        ({"tags": {"a", "b"}}, "contains a builtins.set"),
        (object(), "holds a builtins.object"),
    ],
)
async def test_a_value_redis_sessions_cannot_hold_is_one_clear_500_not_a_503(
    site: App,
    server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    value: Any,
    named: str,
) -> None:
    site.testing = False

    @site.route("/store")
    async def store_value() -> str:
        session["when"] = value
        return "stored"

    async with site.test_client() as client:
        await client.get("/login/ada")
        caplog.clear()
        response = await client.get("/store")
    assert_one_clear_error(caplog, response.status_code, named)
    assert "Session store unavailable" not in caplog.text  # Redis is fine
    [key] = session_keys(server)
    assert b"when" not in store(server).get(key)  # type: ignore[operator]
