"""Tagged JSON (``app_framework.json.tag``, Flask's ``flask.json.tag``) and
the sessions that store with it: cookie and Redis sessions give back
datetimes, bytes, UUIDs, tuples and Markup with their types, old plain-JSON
data still loads, and a custom tag registered on the session serializer is
used by both stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import pytest
import redis as sync_redis
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from app_framework import App, session
from app_framework.json.tag import JSONTag, TaggedJSONSerializer
from app_framework.sessions import session_json_serializer
from tests.helpers.redis_server import redis_server

LAUNCH = datetime(2021, 7, 9, 18, 45, 12, tzinfo=UTC)
TICKET = UUID("5f0c2a9e-41d7-4c3b-9b8e-0a6d7e1f2c34")


def shape(value: Any) -> Any:
    """``value`` with every part replaced by its type, containers kept, so
    a test can see that a str did not come back where Markup went in (they
    compare equal) and a list where a tuple went in."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return (type(value), [shape(item) for item in value])
    return type(value)


def reloaded(value: Any, serializer: TaggedJSONSerializer | None = None) -> Any:
    """``value`` through dumps then loads."""
    serializer = serializer or TaggedJSONSerializer()
    return serializer.loads(serializer.dumps(value))


# Values JSON alone would lose or refuse, and dicts that look like tags.
EACH_TAGGED_KIND = {
    "tuple": ("spam", 7),
    "empty tuple": (),
    "tuple in a list": [("k", b"v"), None],
    "tuple in a dict": {"pos": (3, 4), "label": "p"},
    "bytes": b"\x00\x80\xfe",
    "markup": Markup("<em>bold</em> &amp; true"),
    "uuid": TICKET,
    "aware datetime": LAUNCH,
    "dict shaped like a uuid tag": {" u": "just text"},
    "dict shaped like an escaped tag": {" b__": [1, 2]},
    "dict shaped like the escape tag": {" di": {" m": "<i>"}},
}


@pytest.mark.parametrize("value", EACH_TAGGED_KIND.values(), ids=EACH_TAGGED_KIND)
def test_each_tagged_kind_comes_back_as_it_went_in(value: Any) -> None:
    back = reloaded(value)
    assert back == value
    assert shape(back) == shape(value)


def test_untag_leaves_a_dict_alone_unless_it_is_one_known_key() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.untag({" t": [1]}) == (1,)
    for plain in ({" zz": 1}, {" t": [1], "x": 2}, {}):
        assert serializer.untag(plain) is plain


def test_a_tag_key_already_taken_needs_force_and_then_replaces_it() -> None:
    class UUIDAsText(JSONTag):
        __slots__ = ()
        key = " u"

        def to_python(self, value: Any) -> Any:
            return f"uuid:{value}"

    serializer = TaggedJSONSerializer()
    stored = serializer.dumps(TICKET)
    with pytest.raises(KeyError):
        serializer.register(UUIDAsText)
    assert serializer.loads(stored) == TICKET

    serializer.register(UUIDAsText, force=True, index=0)
    replacement = serializer.tags[" u"]
    assert type(replacement) is UUIDAsText
    assert serializer.order[0] is replacement
    assert serializer.loads(stored) == f"uuid:{TICKET.hex}"


@dataclass
class Window:
    opens: datetime
    closes: datetime


class TagWindow(JSONTag):
    """A custom tag whose parts need tags of their own."""

    __slots__ = ()
    key = " win"

    def check(self, value: Any) -> bool:
        return isinstance(value, Window)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(value.opens), self.serializer.tag(value.closes)]

    def to_python(self, value: Any) -> Any:
        return Window(*value)


def test_a_registered_custom_tag_carries_its_type_through() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagWindow)
    sale = Window(LAUNCH, LAUNCH + timedelta(hours=3))
    back = reloaded({"sales": [sale]}, serializer)
    assert back == {"sales": [sale]}
    assert type(back["sales"][0].opens) is datetime


def test_without_the_custom_tag_its_type_is_refused() -> None:
    with pytest.raises(TypeError):
        TaggedJSONSerializer().dumps(Window(LAUNCH, LAUNCH))


def test_the_base_tag_says_which_method_a_subclass_must_define() -> None:
    class HalfDone(JSONTag):
        __slots__ = ()
        key = " half"

    half = HalfDone(TaggedJSONSerializer())
    for method in ("check", "to_json", "to_python"):
        with pytest.raises(NotImplementedError, match=f"HalfDone must define {method}"):
            getattr(half, method)(date(2020, 1, 1))


def test_register_places_a_tag_at_its_index_or_last() -> None:
    made = {
        name: type(name, (JSONTag,), {"__slots__": (), "key": f" {name}"})
        for name in ("first", "last", "second_last", "third")
    }
    serializer = TaggedJSONSerializer()
    builtin = len(serializer.order)
    serializer.register(made["first"], index=0)
    serializer.register(made["last"])
    serializer.register(made["second_last"], index=-1)
    serializer.register(made["third"], index=2)
    assert len(serializer.order) == builtin + 4
    assert [type(serializer.order[i]).__name__ for i in (0, 2, -2, -1)] == [
        "first",
        "third",
        "second_last",
        "last",
    ]


class Point(NamedTuple):
    x: int
    y: int


class TagPoint(JSONTag):
    """A tag for a tuple subclass: only used when it is tried before the
    tuple tag."""

    __slots__ = ()
    key = " pt"

    def check(self, value: Any) -> bool:
        return isinstance(value, Point)

    def to_json(self, value: Any) -> Any:
        return {"x": value.x, "y": value.y}

    def to_python(self, value: Any) -> Any:
        return Point(**value)


@pytest.mark.parametrize(("index", "loads_as"), [(None, tuple), (0, Point)])
def test_the_order_decides_which_tag_takes_a_value(
    index: int | None, loads_as: type
) -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagPoint, index=index)
    assert type(reloaded(Point(2, 5), serializer)) is loads_as


# -- the JSON written, and the errors -------------------------------------------


def test_the_json_is_compact_and_marks_only_what_json_lacks() -> None:
    serializer = TaggedJSONSerializer()
    the_uuid = UUID(int=7)
    assert serializer.dumps({"n": [1, "a", None], "t": (1,), "u": the_uuid}) == (
        '{"n":[1,"a",null],"t":{" t":[1]},"u":{" u":"' + "0" * 31 + '7"}}'
    )


def test_a_naive_datetime_is_taken_as_utc_and_loads_aware() -> None:
    serializer = TaggedJSONSerializer()
    loaded = serializer.loads(serializer.dumps(datetime(2024, 5, 1, 12, 0, 0, 999)))
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


async def test_both_stores_give_back_what_the_tags_keep(site: App) -> None:
    basket = {
        "lines": [("tea", 2), ("cups", 6)],
        "voucher": b"\x9c\x01",
        "note": Markup("<strong>gift</strong>"),
        "order_id": TICKET,
        "placed": LAUNCH,
        "looks_tagged": {" t": "a str, not a tuple"},
        "looks_escaped": {" m__": "<p>"},
        "looks_like_the_escape": {" di": ["x"]},
        "deep": {"when": {" d": LAUNCH}, "raw": [(0, b"")]},
    }

    @site.route("/fill")
    async def fill() -> tuple[str, int]:
        session.update(basket)
        return "", 204

    async with site.test_client() as client:
        async with client:
            await client.get("/fill")
            await client.get("/read")  # a later request loads what was stored
            kept = dict(session)
    assert kept == basket
    assert shape(kept) == shape(basket)


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


async def test_a_tag_registered_on_the_session_serializer_is_used(
    site: App, restore_session_tags: None
) -> None:
    @site.route("/")
    async def store() -> str:
        session["corner"] = Point(-1, 8)
        return ""

    # Before the tuple tag, since a Point is a tuple.
    site.session_interface.serializer.register(  # type: ignore[attr-defined]
        TagPoint, index=0
    )
    async with site.test_client() as client:
        async with client:
            await client.get("/")
            await client.get("/read")
            corner = session["corner"]
    assert type(corner) is Point
    assert corner == Point(-1, 8)


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
