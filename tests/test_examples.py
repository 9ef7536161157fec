"""The examples the README points to really run."""

from __future__ import annotations

import json
import re

import pytest

from examples import signals_tour


async def test_signals_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await signals_tour.main()
    out = capsys.readouterr().out
    assert "results: ['logged', 'mailed']" in out
    assert "[mail] the corner shop sold order 2" not in out
    assert "spy saw: [3]" in out
    assert "flaky: raised ConnectionError('mail server down')" in out


async def test_tour_serves_its_pages_and_logs_each_signal_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from examples.tour import app

    with caplog.at_level(logging.INFO, logger="tour"):
        async with app.test_client() as client:
            index = await client.get("/")
            caplog.clear()
            page = await client.get("/pages/")
            assert (await client.get("/users/42")).json()["user_id"] == 42
            status = (await client.get("/api/status")).json()
            assert status["endpoint"] == "api.status"
            assert (await client.get("/sync")).text.startswith("sync view")
    # (A request's teardown may end after its response: lines are picked by
    # the request they name.)
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "tour" and " GET /pages/ " in r.getMessage()
    ]
    for link in (
        "/pages/",
        "/pages/contact",
        "/chat/lobby",
        "/api/status",
        "/countdown/5",
        "/_inspector/",
        "/teapot",
        "/fails",
    ):
        assert f'href="{link}"' in index.text
    assert page.status_code == 200
    # One line per signal, with the request and real values, no type names.
    assert [line.split()[0] for line in lines] == [
        "appcontext_pushed",
        "request_started",
        "before_render_template",
        "template_rendered",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert "template='pages/home.html'" in lines[2]
    assert lines[4].endswith("response=200 text/html")
    assert lines[5].endswith("exc=None")
    # The async receivers counted what the sync ones logged.
    assert status["heard"]["template_rendered"] >= 2


def test_tour_connects_a_sync_and_an_async_receiver_to_all_20_signals() -> None:
    import inspect

    from app_framework import signals
    from asignals import NamedSignal
    from examples.tour import SIGNALS, app

    assert len(SIGNALS) == len(set(SIGNALS)) == 20
    assert set(SIGNALS) == {
        name
        for name in signals.__all__
        if isinstance(getattr(signals, name), NamedSignal)
    }
    for name in SIGNALS:
        receivers = [
            r
            for r in getattr(signals, name).receivers_for(app)
            # (the tracing the tour installs when OpenTelemetry is there)
            if not r.__module__.startswith("app_framework.contrib")
        ]
        kinds = sorted(inspect.iscoroutinefunction(r) for r in receivers)
        assert kinds == [False, True], name


async def test_tour_streams_text_and_shows_errors_as_styled_pages() -> None:
    from examples.tour import app

    async with app.test_client() as client:
        stream = await client.get("/countdown/2")
        assert stream.headers["content-type"] == "text/plain; charset=utf-8"
        assert stream.text.splitlines()[-1] == "lift-off"
        for path, code, words in (
            ("/teapot", 418, "I only brew tea."),
            ("/no-such-page", 404, "Not Found"),
            ("/fails", 500, "Something went wrong on our side."),
        ):
            page = await client.get(path)
            assert page.status_code == code
            assert page.headers["content-type"].startswith("text/html")
            assert "site.css" in page.text and words in page.text
            assert "Traceback" not in page.text


async def test_tour_counts_pages_not_stylesheets() -> None:
    from examples.tour import app

    async with app.test_client() as client:
        await client.get("/pages/")
        await client.get("/static/site.css")
        await client.get("/favicon.ico")
        await client.get("/_inspector/")
        assert "Visit 2 " in (await client.get("/pages/")).text


async def test_pages_render_and_the_form_flashes() -> None:
    from examples.tour import app

    async with app.test_client() as client:
        home = await client.get("/pages/")
        assert "<h1>Hello!</h1>" in home.text and "site.css" in home.text
        assert (await client.get("/static/site.css")).status_code == 200
        bad = await client.post(
            "/pages/contact", data={"name": "", "message": "Kept <b>as typed</b>"}
        )
        assert bad.status_code == 400 and "Please give your name" in bad.text
        # What the user typed comes back, escaped.
        assert ">Kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in bad.text
        sent = await client.post(
            "/pages/contact", data={"name": "Ada", "message": "Hi"}
        )
        assert sent.status_code == 302
        after = await client.get(sent.headers["location"])
        assert "Thanks, Ada! Your message was received." in after.text
        assert "<h1>Hello, Ada!</h1>" in after.text
        assert "Thanks, Ada" not in (await client.get("/pages/")).text


def shown(frame: str | bytes) -> str:
    """A chat frame as the page shows it, with its room: ``[room] text``."""
    message = json.loads(frame)
    assert set(message) == {"id", "room", "text"}
    return f"[{message['room']}] {message['text']}"


async def test_chat_room_broadcasts_and_archives() -> None:
    import anyio

    from examples.chat import app, archive

    archive.clear()
    async with app.test_client() as client:
        assert "WebSocket" in (await client.get("/chat/lobby")).text
        async with (
            client.websocket_connect("/ws/lobby") as alice,
            client.websocket_connect("/ws/lobby") as bob,
        ):
            await alice.send("hi bob")
            assert shown(await alice.receive()) == "[lobby] hi bob"
            assert shown(await bob.receive()) == "[lobby] hi bob"
            # Archived by a background task while both are still connected.
            with anyio.fail_after(5):
                while not archive:
                    await anyio.lowlevel.checkpoint()
            assert (await client.get("/archive")).json() == [["lobby", "hi bob"]]


async def test_chat_page_shows_a_hostile_room_name_as_text() -> None:
    from urllib.parse import quote

    from examples.chat import app

    hostile = "<img src=x onerror=alert(1)>"
    async with app.test_client() as client:
        page = (await client.get("/chat/" + quote(hostile))).text
    assert "<img src=x" not in page
    assert "#&lt;img src=x onerror=alert(1)&gt;" in page
    # In the script the name is JSON with < escaped: it cannot end the tag.
    assert '"/ws/%3Cimg%20src=x%20onerror=alert(1)%3E"' in page


async def test_chat_drops_a_dead_member_and_the_sender_stays() -> None:
    from examples.chat import app

    async with app.test_client() as client:
        async with (
            client.websocket("/ws/lobby") as alice,
            client.websocket("/ws/lobby") as bob,
        ):
            await alice.send("hello")
            assert shown(await bob.receive()) == "[lobby] hello"
            assert shown(await alice.receive()) == "[lobby] hello"
            await bob.abort()  # no close frame: only sending to bob fails
            await alice.send("anyone?")
            assert shown(await alice.receive()) == "[lobby] anyone?"
            await alice.send("still here")
            assert shown(await alice.receive()) == "[lobby] still here"


async def test_chat_members_hear_only_their_room() -> None:
    from examples.chat import app

    async with app.test_client() as client:
        async with client.websocket("/ws/a") as first:
            async with client.websocket("/ws/b") as second:
                await second.send("x")
                assert shown(await second.receive()) == "[b] x"
            await first.send("y")
            assert shown(await first.receive()) == "[a] y"  # not "[b] x"


async def test_chat_member_back_from_offline_gets_each_missed_message_once() -> None:
    """In one process (no relay): a member that lost its connection comes
    back with the id of the last message it showed."""
    from examples.chat import app

    async with app.test_client() as client:
        async with client.websocket("/ws/resume") as bob:
            async with client.websocket("/ws/resume") as alice:
                await bob.send("before")
                last = json.loads(await alice.receive())["id"]
                assert shown(await bob.receive()) == "[resume] before"
            for n in range(3):  # alice is away
                await bob.send(f"missed {n}")
                await bob.receive()
            async with client.websocket(f"/ws/resume?last_id={last}") as alice:
                await bob.send("after")
                heard = [shown(await alice.receive()) for _ in range(4)]
                assert heard == [
                    "[resume] missed 0",
                    "[resume] missed 1",
                    "[resume] missed 2",
                    "[resume] after",
                ]


async def test_chat_tab_that_heard_nothing_yet_gets_what_it_missed() -> None:
    """The page carries the newest message's id as it is made, so a tab
    that drops before hearing a message of its own still comes back with
    an id, and misses nothing said while it was away."""
    import re

    from examples.chat import app

    async with app.test_client() as client:
        async with client.websocket("/ws/quiet") as bob:
            await bob.send("before the page")
            assert shown(await bob.receive()) == "[quiet] before the page"
            page = (await client.get("/chat/quiet")).text
            found = re.search(r"let lastId = (.*);", page)
            assert found is not None
            last = json.loads(found.group(1))
            assert isinstance(last, str)
            async with client.websocket(f"/ws/quiet?last_id={last}"):
                pass  # the tab connects, hears nothing, and drops
            for n in range(2):  # while it is away
                await bob.send(f"missed {n}")
                await bob.receive()
            async with client.websocket(f"/ws/quiet?last_id={last}") as back:
                await bob.send("after")
                heard = [shown(await back.receive()) for _ in range(3)]
            assert heard == ["[quiet] missed 0", "[quiet] missed 1", "[quiet] after"]


async def test_chat_refuses_a_last_id_that_is_not_one() -> None:
    from app_framework.testing import WebsocketResponseError
    from examples.chat import app

    async with app.test_client() as client:
        with pytest.raises(WebsocketResponseError) as refused:
            async with client.websocket("/ws/lobby?last_id=../etc") as socket:
                await socket.receive()
    assert refused.value.response.status_code == 400


async def test_chat_logs_each_signal_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from examples.chat import app

    with caplog.at_level(logging.INFO, logger="chat"):
        async with app.test_client() as client:
            async with client.websocket("/ws/lobby") as alice:
                await alice.send("multi\nline")
                assert shown(await alice.receive()) == "[lobby] multi\nline"
    lines = [r.getMessage() for r in caplog.records if r.name == "chat"]
    names = [line.split()[0] for line in lines]
    assert names == [
        "serving_started",
        "websocket_started",
        "websocket_received",
        "websocket_finished",
        "websocket_tearing_down",
        "serving_stopping",
    ]
    assert all("\n" not in line for line in lines)
    received = next(line for line in lines if line.startswith("websocket_received"))
    assert "/ws/lobby" in received and "multi\\nline" in received


def test_chat_across_two_workers_delivers_every_message_to_everyone() -> None:
    """uvicorn --workers 2 with the relay on: each client hears every
    message, whichever worker holds it (without the relay a worker's
    messages stay in it)."""
    import contextlib
    import time

    import redis as sync_redis
    from websockets.sync.client import connect

    from tests.helpers.redis_server import redis_server
    from tests.helpers.servers import uvicorn

    clients = 12
    with redis_server() as server:
        env = {"APP_SIGNAL_RELAY_URL": server.url}
        with uvicorn("examples.chat:app", "--workers", "2", env=env) as running:
            store = sync_redis.Redis.from_url(server.url)
            try:
                # Both workers' relays listen before anyone speaks.
                deadline = time.monotonic() + 30
                while store.pubsub_numsub("app_framework:examples.chat")[0][1] < 2:
                    assert time.monotonic() < deadline, running.text
                    time.sleep(0.05)
                with contextlib.ExitStack() as stack:
                    sockets = [
                        stack.enter_context(
                            connect(f"{running.ws_url}/ws/lobby", open_timeout=10)
                        )
                        for _ in range(clients)
                    ]
                    for number, socket in enumerate(sockets):
                        socket.send(f"hello from {number}")
                    heard = [
                        sorted(shown(socket.recv(timeout=10)) for _ in range(clients))
                        for socket in sockets
                    ]
                expected = sorted(f"[lobby] hello from {n}" for n in range(clients))
                assert all(messages == expected for messages in heard)
                # Deliveries did cross workers: the relays counted them. The
                # members hear the stream itself, maybe before a relay's
                # dispatcher counts, and each relay writes its counters once
                # a second: wait for them, bounded.
                deadline = time.monotonic() + 10
                while True:
                    reports: list[dict[bytes, bytes]] = [
                        store.hgetall(key)  # type: ignore[misc]
                        for key in store.keys("app_framework:examples.chat:stats:*")
                    ]
                    delivered = sum(int(r.get(b"delivered", 0)) for r in reports)
                    if delivered > 0:
                        break
                    assert time.monotonic() < deadline, repr(reports)
                    time.sleep(0.05)
            finally:
                store.close()


# The extensions demo takes over the name 'flask' for its whole process, and
# this one may have imported the real Flask already: it runs in a fresh
# interpreter, which prints what it saw as JSON on its last line.
EXTENSIONS_DEMO_RUN = """\
import asyncio, json, re
from examples.extensions_demo import app

def token(page):
    return re.search('name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

async def main():
    seen = {}
    client = app.test_client()
    seen["anonymous"] = (await client.get("/board")).location
    login_page = (await client.get(seen["anonymous"])).text
    seen["asked_to_log_in"] = "Please log in to access this page." in login_page
    key = token(login_page)
    wrong = await client.post(
        "/login", data={"username": "ada", "password": "babbage", "csrf_token": key}
    )
    seen["wrong"] = [wrong.status_code, "wrong password" in wrong.text]
    tokenless = await client.post(
        "/login", data={"username": "ada", "password": "analytical-engine"}
    )
    seen["tokenless_login"] = tokenless.status_code
    right = await client.post(
        "/login?next=%2Fboard",
        data={"username": "ada", "password": "analytical-engine", "csrf_token": key},
    )
    seen["right"] = [right.status_code, right.location]
    board = (await client.get("/board")).text
    seen["welcomed"] = "Welcome, ada!" in board
    forged = await client.post("/board", data={"text": "forged"})
    reason = re.search('id="reason">([^<]+)', forged.text).group(1)
    seen["forged"] = [forged.status_code, reason]
    posted = await client.post(
        "/board", data={"text": "tea at <4>", "csrf_token": token(board)}
    )
    seen["posted"] = [posted.status_code, posted.location]
    board = (await client.get("/board")).text
    seen["board"] = re.findall('<li><strong>(.*)</li>|role="status">([^<]+)', board)
    api = "/api/notes"
    partner = await client.get(api, headers={"Origin": "https://partner.example"})
    stranger = await client.get(api, headers={"Origin": "https://stranger.example"})
    seen["api"] = [
        partner.json(),
        partner.headers.get("access-control-allow-origin"),
        stranger.headers.get("access-control-allow-origin"),
    ]
    out = await client.post("/logout", data={"csrf_token": token(board)})
    seen["logout"] = [out.location, (await client.get("/board")).status_code]
    return seen

print(json.dumps(asyncio.run(main())))
"""


def test_extensions_demo_logs_in_posts_with_csrf_and_shares_with_cors() -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.helpers.servers import ROOT

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EXTENSIONS_DEMO_PARTNER": "https://partner.example",
    }
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", EXTENSIONS_DEMO_RUN],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {
        "anonymous": "/login?next=%2Fboard",
        "asked_to_log_in": True,
        "wrong": [401, True],
        "tokenless_login": 400,
        "right": [302, "/board"],
        "welcomed": True,
        "forged": [400, "The CSRF token is missing."],
        "posted": [302, "/board"],
        "board": [
            ["", "Noted: tea at &lt;4&gt;"],
            ["ada</strong>: tea at &lt;4&gt;", ""],
        ],
        "api": [
            {"notes": [{"author": "ada", "text": "tea at <4>"}]},
            "https://partner.example",
            None,
        ],
        "logout": ["/login", 302],
    }


async def test_tour_logs_a_trace_line_per_request_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from examples.tour import app

    with caplog.at_level(logging.DEBUG, logger="tour.traces"):
        await app.test_client().get("/users/42")
    [line] = [r.getMessage() for r in caplog.records if r.name == "tour.traces"]
    assert line.startswith("trace GET /users/<int:user_id> 200 ")
    assert re.search(r"trace_id=[0-9a-f]{32}$", line)
