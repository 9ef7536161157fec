"""Tagged JSON (``app_framework.json.tag``, Flask's ``flask.json.tag``) and
the sessions that store with it: cookie and Redis sessions give back
datetimes, bytes, UUIDs, tuples and Markup with their types, old plain-JSON
data still loads, and a custom tag works as in Flask's docs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import redis as sync_redis
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from app_framework import App, session
from app_framework.json.tag import JSONTag, TaggedJSONSerializer
from app_framework.sessions import session_json_serializer
from tests.helpers.redis_server import redis_server

# -- Flask's tests/test_json_tag.py -------------------------------------------


@pytest.mark.parametrize(
    "data",
    (
        {" t": (1, 2, 3)},
        {" t__": b"a"},
        {" di": " di"},
        {"x": (1, 2, 3), "y": 4},
        (1, 2, 3),
        [(1, 2, 3)],
        b"\xff",
        Markup("<html>"),
        uuid4(),
        datetime.now(tz=UTC).replace(microsecond=0),
    ),
)
def test_dump_load_unchanged(data: Any) -> None:
    s = TaggedJSONSerializer()
    assert s.loads(s.dumps(data)) == data


def test_duplicate_tag() -> None:
    class TagDict(JSONTag):
        key = " d"

    s = TaggedJSONSerializer()
    pytest.raises(KeyError, s.register, TagDict)
    s.register(TagDict, force=True, index=0)
    assert isinstance(s.tags[" d"], TagDict)
    assert isinstance(s.order[0], TagDict)


def test_custom_tag() -> None:
    class Foo:
        def __init__(self, data: Any) -> None:
            self.data = data

    class TagFoo(JSONTag):
        __slots__ = ()
        key = " f"

        def check(self, value: Any) -> bool:
            return isinstance(value, Foo)

        def to_json(self, value: Any) -> Any:
            return self.serializer.tag(value.data)

        def to_python(self, value: Any) -> Any:
            return Foo(value)

    s = TaggedJSONSerializer()
    s.register(TagFoo)
    assert s.loads(s.dumps(Foo("bar"))).data == "bar"


def test_tag_interface() -> None:
    t = JSONTag(None)  # type: ignore[arg-type]
    pytest.raises(NotImplementedError, t.check, None)
    pytest.raises(NotImplementedError, t.to_json, None)
    pytest.raises(NotImplementedError, t.to_python, None)


def test_tag_order() -> None:
    class Tag1(JSONTag):
        key = " 1"

    class Tag2(JSONTag):
        key = " 2"

    s = TaggedJSONSerializer()

    s.register(Tag1, index=-1)
    assert isinstance(s.order[-2], Tag1)

    s.register(Tag2, index=None)
    assert isinstance(s.order[-1], Tag2)


# -- beyond Flask's tests -------------------------------------------------------


def test_the_json_is_compact_and_marks_only_what_json_lacks() -> None:
    s = TaggedJSONSerializer()
    the_uuid = UUID(int=7)
    assert s.dumps({"n": [1, "a", None], "t": (1,), "u": the_uuid}) == (
        '{"n":[1,"a",null],"t":{" t":[1]},"u":{" u":"' + "0" * 31 + '7"}}'
    )


def test_a_naive_datetime_is_taken_as_utc_and_loads_aware() -> None:
    s = TaggedJSONSerializer()
    loaded = s.loads(s.dumps(datetime(2024, 5, 1, 12, 0, 0, 999)))
    assert loaded == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_taken_key_names_the_tag_holding_it() -> None:
    class TagTwo(JSONTag):
        key = " t"

    with pytest.raises(KeyError, match="' t' is already registered \\(by TagTuple\\)"):
        TaggedJSONSerializer().register(TagTwo)


def test_a_value_no_tag_covers_is_refused() -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        TaggedJSONSerializer().dumps({"tags": {"a"}})


# -- sessions, cookie and Redis ------------------------------------------------


@pytest.fixture(params=["cookie", "redis"])
def site(request: pytest.FixtureRequest) -> Iterator[App]:
    app = App("tagged")
    app.config.update(
        TESTING=True,
        SECRET_KEY="k" * 32,
        PERMANENT_SESSION_LIFETIME=timedelta(days=36500),
    )

    @app.route("/read")
    async def read() -> str:
        return repr(dict(session))

    if request.param == "cookie":
        yield app
        return
    with redis_server() as server:
        app.config["SESSION_REDIS_URL"] = server.url
        yield app


async def test_session_special_types(site: App) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    the_uuid = uuid4()

    @site.route("/")
    async def dump_session_contents() -> tuple[str, int]:
        session["t"] = (1, 2, 3)
        session["b"] = b"\xff"
        session["m"] = Markup("<html>")
        session["u"] = the_uuid
        session["d"] = now
        session["t_tag"] = {" t": "not-a-tuple"}
        session["di_t_tag"] = {" t__": "not-a-tuple"}
        session["di_tag"] = {" di": "not-a-dict"}
        session["nested"] = {"cart": [(1, b"\x00")], "at": {" d": now}}
        return "", 204

    async with site.test_client() as client:
        async with client:
            await client.get("/")
            await client.get("/read")  # a new request: the session is loaded
            s = session
            assert s["t"] == (1, 2, 3)
            assert type(s["b"]) is bytes
            assert s["b"] == b"\xff"
            assert type(s["m"]) is Markup
            assert s["m"] == Markup("<html>")
            assert s["u"] == the_uuid
            assert s["d"] == now
            assert s["t_tag"] == {" t": "not-a-tuple"}
            assert s["di_t_tag"] == {" t__": "not-a-tuple"}
            assert s["di_tag"] == {" di": "not-a-dict"}
            assert s["nested"] == {"cart": [(1, b"\x00")], "at": {" d": now}}


class TagOrderedDict(JSONTag):
    """Flask's documented example of a custom tag."""

    __slots__ = ("serializer",)
    key = " od"

    def check(self, value: Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: Any) -> Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: Any) -> Any:
        return OrderedDict(value)


@pytest.fixture
def restore_session_tags() -> Iterator[None]:
    """The session serializer is shared by every app (as in Flask): put its
    tags back after a test that registers one."""
    tags, order = (
        dict(session_json_serializer.tags),
        list(session_json_serializer.order),
    )
    yield
    session_json_serializer.tags, session_json_serializer.order = tags, order


async def test_a_custom_tag_registered_as_flask_documents(
    site: App, restore_session_tags: None
) -> None:
    @site.route("/")
    async def store() -> str:
        session["recent"] = OrderedDict([("b", (1, 2)), ("a", None)])
        return ""

    async with site.test_client() as client:
        site.session_interface.serializer.register(  # type: ignore[attr-defined]
            TagOrderedDict, index=0
        )
        async with client:
            await client.get("/")
            await client.get("/read")
            recent = session["recent"]
    assert type(recent) is OrderedDict
    assert list(recent.items()) == [("b", (1, 2)), ("a", None)]


# Made by the code before tagged sessions (itsdangerous's plain JSON, signed
# with "old-cookie-key-" + "k" * 20): {"user": "ada", "cart": [1, 2, 3],
# "prefs": {"theme": "dark", "n": null}, "when": "Wed, 01 May 2024 ..."}.
OLD_COOKIE = (
    "eyJ1c2VyIjoiYWRhIiwiY2FydCI6WzEsMiwzXSwicHJlZnMiOnsidGhlbWUiOiJkYXJrIiwibiI6"
    "bnVsbH0sIndoZW4iOiJXZWQsIDAxIE1heSAyMDI0IDEyOjAwOjAwIEdNVCJ9.axW5mA."
    "b_IOhfyyRSD-PPAhHEwZePdVqEM"
)
OLD_DATA = {
    "user": "ada",
    "cart": [1, 2, 3],
    "prefs": {"theme": "dark", "n": None},
    "when": "Wed, 01 May 2024 12:00:00 GMT",
}


async def test_a_plain_json_cookie_from_before_the_tags_still_loads() -> None:
    app = App("old")
    app.config.update(
        SECRET_KEY="old-cookie-key-" + "k" * 20,
        PERMANENT_SESSION_LIFETIME=timedelta(days=36500),  # the cookie's age
    )

    @app.route("/read")
    async def read() -> str:
        return repr(dict(session))

    async with app.test_client() as client:
        client.cookies.set("session", OLD_COOKIE)
        async with client:
            await client.get("/read")
            assert session == OLD_DATA


async def test_plain_json_stored_in_redis_before_the_tags_still_loads() -> None:
    app = App("old")
    with redis_server() as server:
        app.config.update(SECRET_KEY="k" * 32, SESSION_REDIS_URL=server.url)

        @app.route("/login")
        async def login() -> str:
            session["user"] = "someone"
            return ""

        @app.route("/read")
        async def read() -> str:
            return repr(dict(session))

        store = sync_redis.Redis.from_url(server.url)
        try:
            async with app.test_client() as client:
                await client.get("/login")
                [key] = store.keys("session:*")
                # As the code before the tags stored it: app.json.dumps.
                store.set(key, app.json.dumps(OLD_DATA))
                async with client:
                    await client.get("/read")
                    assert session == OLD_DATA
        finally:
            store.close()


async def test_a_signed_cookie_whose_tags_do_not_convert_back_opens_empty() -> None:
    app = App("odd")
    app.config["SECRET_KEY"] = "k" * 32

    @app.route("/read")
    async def read() -> str:
        return repr(dict(session))

    # Signed as the app signs, but plain JSON that looks like a bad UUID tag.
    signer = URLSafeTimedSerializer("k" * 32, salt="app_framework.session")
    async with app.test_client() as client:
        client.cookies.set("session", signer.dumps({"id": {" u": "not-hex"}}))
        response = await client.get("/read")
    assert (response.status_code, response.text) == (200, "{}")
