"""Templates, their signals, flash, session_transaction and static files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import jinja2
import pytest
from jinja2 import Template, TemplateNotFound

from app_framework import (
    App,
    Blueprint,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    render_template_string,
    session,
    signals,
    stream_template,
    stream_template_string,
    templating,
    url_for,
)


@pytest.fixture
def site(tmp_path: Path) -> App:
    (tmp_path / "templates").mkdir()
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "templates" / "hello.html").write_text(
        "Hello {{ name }}! {{ config.SITE }} {{ g.who }} {{ request.path }} "
        "{{ url_for('index') }} {{ extra }}"
    )
    (tmp_path / "templates" / "layout.html").write_text(
        "<main>{% block body %}{% endblock %}</main>"
    )
    (tmp_path / "templates" / "page.html").write_text(
        "{% extends 'layout.html' %}{% block body %}{{ text }}{% endblock %}"
    )
    (tmp_path / "static" / "css" / "site.css").write_text("body { color: red }")
    (tmp_path / "secret.txt").write_text("not for the web")
    app = App("site", root_path=str(tmp_path))
    app.config.update(
        TESTING=True, SECRET_KEY="site-secret-key-long-enough", SITE="Demo"
    )

    @app.route("/")
    async def index() -> str:
        g.who = "guest"
        return await render_template("hello.html", name="<b>you</b>")

    return app


async def test_render_template_with_default_context(site: App, tmp_path: Path) -> None:
    @site.context_processor
    async def add_extra() -> dict[str, Any]:
        return {"extra": "from processor"}

    async with site.test_client() as client:
        text = (await client.get("/")).text
    assert text == "Hello &lt;b&gt;you&lt;/b&gt;! Demo guest / / from processor"


async def test_extends_and_lists(site: App) -> None:
    async with site.test_request_context("/"):
        assert await render_template("page.html", text="x") == "<main>x</main>"
        assert await render_template(["missing.html", "page.html"], text="y") == (
            "<main>y</main>"
        )


async def test_missing_template_names_every_folder(site: App, tmp_path: Path) -> None:
    admin = Blueprint("admin", __name__, template_folder="admin_templates")
    site.register_blueprint(admin)
    async with site.app_context():
        with pytest.raises(TemplateNotFound) as caught:
            await render_template("nowhere.html")
    message = str(caught.value)
    assert str(tmp_path / "templates") in message
    assert os.path.join(admin.root_path, "admin_templates") in message


async def test_blueprint_templates(site: App, tmp_path: Path) -> None:
    folder = tmp_path / "bp_templates"
    folder.mkdir()
    (folder / "only_in_bp.html").write_text("from the blueprint")
    (folder / "hello.html").write_text("the app's wins")
    shop = Blueprint(
        "shop", __name__, template_folder="bp_templates", root_path=str(tmp_path)
    )
    site.register_blueprint(shop)
    async with site.test_request_context("/"):
        assert await render_template("only_in_bp.html") == "from the blueprint"
        g.who = "x"
        assert (await render_template("hello.html", name="n")).startswith("Hello n!")
    assert sorted(site.jinja_env.list_templates())[:2] == ["hello.html", "layout.html"]


async def test_filters_globals_tests(site: App) -> None:
    @site.template_filter()
    def shout(text: str) -> str:
        return text.upper() + "!"

    @site.template_global("answer")
    def the_answer() -> int:
        return 42

    @site.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    async with site.app_context():
        text = await render_template_string(
            "{{ 'hi' | shout }} {{ answer() }} {{ 4 is even }} {{ 3 is even }}"
        )
    assert text == "HI! 42 True False"


async def test_template_signals(site: App) -> None:
    events: list[Any] = []

    async def before(sender: App, template: Template, context: dict[str, Any]) -> None:
        await anyio.lowlevel.checkpoint()  # an async receiver really is awaited
        context["name"] = "changed by a receiver"
        events.append(("before", template.name))

    def rendered(sender: App, template: Template, context: dict[str, Any]) -> None:
        events.append(("rendered", template.name, context["name"]))

    with (
        signals.before_render_template.connected_to(before, site),
        signals.template_rendered.connected_to(rendered, site),
    ):
        async with site.test_request_context("/"):
            g.who = "x"
            text = await render_template("hello.html", name="original")
            string = await render_template_string("{{ name }}", name="s")
    assert text.startswith("Hello changed by a receiver!")
    assert string == "changed by a receiver"
    assert events == [
        ("before", "hello.html"),
        ("rendered", "hello.html", "changed by a receiver"),
        ("before", None),
        ("rendered", None, "changed by a receiver"),
    ]


async def test_stream_template(site: App) -> None:
    rendered: list[Any] = []

    @site.route("/stream")
    async def streamed() -> Any:
        return await stream_template("page.html", text="streamed")

    @site.route("/stream-string")
    async def streamed_string() -> Any:
        return await stream_template_string(
            "{% for i in range(3) %}{{ i }}{% endfor %}"
        )

    def on_rendered(sender: App, template: Template, context: dict[str, Any]) -> None:
        rendered.append(template.name)

    with signals.template_rendered.connected_to(on_rendered, site):
        async with site.test_client() as client:
            assert (await client.get("/stream")).text == "<main>streamed</main>"
            assert (await client.get("/stream-string")).text == "012"
    assert rendered == ["page.html", None]


@pytest.mark.parametrize(("debug", "reload"), [(True, True), (False, False)])
async def test_templates_auto_reload(
    site: App, tmp_path: Path, debug: bool, reload: bool
) -> None:
    site.debug = debug
    assert site.jinja_env.auto_reload is reload
    async with site.app_context():
        assert await render_template("layout.html") == "<main></main>"
        path = tmp_path / "templates" / "layout.html"
        path.write_text("changed")
        stat = path.stat()
        os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))
        expected = "changed" if reload else "<main></main>"
        assert await render_template("layout.html") == expected


async def test_flash_across_a_redirect(site: App) -> None:
    flashed: list[Any] = []

    @site.post("/save")
    async def save() -> Any:
        await flash("Saved.")
        await flash("Disk almost full.", "warning")
        return redirect(url_for("show"))

    @site.route("/show")
    async def show() -> Any:
        first = get_flashed_messages(with_categories=True)
        again = get_flashed_messages(category_filter=["warning"])
        return {"first": first, "again": again}

    async def on_flash(sender: App, message: str, category: str) -> None:
        await anyio.lowlevel.checkpoint()
        flashed.append((message, category))

    with signals.message_flashed.connected_to(on_flash, site):
        async with site.test_client() as client:
            response = await client.post("/save")
            assert response.status_code == 302
            shown = (await client.get(response.headers["location"])).json()
            assert (await client.get("/show")).json() == {"first": [], "again": []}
    assert shown == {
        "first": [["message", "Saved."], ["warning", "Disk almost full."]],
        "again": ["Disk almost full."],
    }
    assert flashed == [("Saved.", "message"), ("Disk almost full.", "warning")]


async def test_flash_in_a_template(site: App) -> None:
    @site.route("/page")
    async def page() -> str:
        await flash("Hi")
        return await render_template_string(
            "{% for m in get_flashed_messages() %}[{{ m }}]{% endfor %}"
        )

    async with site.test_client() as client:
        assert (await client.get("/page")).text == "[Hi]"


async def test_session_transaction(site: App) -> None:
    @site.route("/whoami")
    async def whoami() -> str:
        session["visits"] = session.get("visits", 0) + 1
        return str(session.get("user"))

    async with site.test_client() as client:
        async with client.session_transaction() as sess:
            sess["user"] = "alice"
        assert (await client.get("/whoami")).text == "alice"
        async with client.session_transaction() as sess:
            assert sess["visits"] == 1
            assert sess["user"] == "alice"


async def test_session_transaction_needs_a_secret_key(site: App) -> None:
    site.config["SECRET_KEY"] = None
    async with site.test_client() as client:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            async with client.session_transaction():
                raise AssertionError("never entered")


async def test_static_files(site: App) -> None:
    async with site.test_client() as client:
        response = await client.get("/static/css/site.css")
        assert response.status_code == 200
        assert response.text == "body { color: red }"
        assert response.headers["content-type"].startswith("text/css")
        async with site.test_request_context("/"):
            assert url_for("static", filename="css/site.css") == "/static/css/site.css"
        for path in (
            "/static/missing.css",
            "/static/../secret.txt",
            "/static/%2e%2e/secret.txt",
            "/static/css/%2e%2e/%2e%2e/secret.txt",
            "/static/..%2fsecret.txt",
            "/static/%2fetc%2fpasswd",
            "/static/css",
        ):
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert "not for the web" not in answer.text


def test_safe_join() -> None:
    from app_framework.helpers import safe_join

    assert safe_join("/srv/static", "a/b.css") == os.path.realpath(
        "/srv/static/a/b.css"
    )
    for bad in ("../x", "/etc/passwd", "a/../../x", "..", "", "a\\b", "a\x00b"):
        assert safe_join("/srv/static", bad) is None, bad


async def test_string_templates_are_compiled_once_and_kept_bounded(
    site: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app_framework import templating

    seen: list[Template] = []

    def remember(sender: App, template: Template, context: dict[str, Any]) -> None:
        seen.append(template)

    monkeypatch.setattr(templating, "STRING_TEMPLATES_KEPT", 3)
    with signals.template_rendered.connected_to(remember, site):
        async with site.app_context():
            assert await render_template_string("{{ n }}", n=1) == "1"
            assert await render_template_string("{{ n }}", n=2) == "2"
            for i in range(5):
                await render_template_string(f"{{{{ n }}}}{i}", n=0)
    assert seen[0] is seen[1]  # the same compiled template, rendered twice
    assert len(site.string_templates) == 3
    assert "{{ n }}" not in site.string_templates  # the oldest went first


async def test_template_functions_on_the_app(app: App) -> None:
    from app_framework import get_template_attribute

    app.add_template_filter(str.title, "title_case")
    app.add_template_test(lambda n: n % 2 == 0, "even")
    app.add_template_global(lambda: "g", "global_fn")

    @app.template_filter("twice")
    def twice(text: str) -> str:
        return text * 2

    assert app.jinja_env.filters["twice"] is twice
    async with app.test_request_context():
        assert (
            await render_template_string(
                "{{ 'ab cd'|title_case }} {{ 4 is even }} {{ global_fn() }} "
                "{{ 'x'|twice }}"
            )
            == "Ab Cd True g xx"
        )
        app.jinja_env.loader = jinja2.DictLoader(
            {"macros.html": "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}"}
        )
        hello = await get_template_attribute("macros.html", "hello")
        assert str(await hello("World")) == "Hello World!"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("page.htm", True),
        ("page.xml", True),
        ("page.xhtml", True),
        ("page.svg", True),
        ("page.txt", False),
        ("page.js", False),
    ],
)
async def test_autoescape_follows_the_extension_as_in_flask(
    site: App, tmp_path: Path, name: str, escaped: bool
) -> None:
    (tmp_path / "templates" / name).write_text("<x>{{ value }}</x>")
    async with site.app_context():
        text = await render_template(name, value="<script>")
    assert text == ("<x>&lt;script&gt;</x>" if escaped else "<x><script></x>")


async def test_render_template_string_escapes(site: App) -> None:
    async with site.app_context():
        assert await render_template_string("{{ v }}", v="<b>") == "&lt;b&gt;"


async def test_an_app_subclass_chooses_its_environment_and_loader() -> None:
    class TracingEnvironment(templating.Environment):
        pass

    class CatalogueApp(App):
        jinja_environment = TracingEnvironment

        def create_global_jinja_loader(self) -> jinja2.BaseLoader:
            return jinja2.DictLoader({"shelf.txt": "{{ count }} books on the shelf"})

    shop = CatalogueApp("shop")

    @shop.get("/")
    async def shelf() -> str:
        return await render_template("shelf.txt", count=12)

    assert isinstance(shop.jinja_env, TracingEnvironment)
    assert shop.jinja_env.app is shop and shop.jinja_env.is_async
    response = await shop.test_client().get("/")
    assert response.text == "12 books on the shelf"


async def test_a_macro_is_called_plainly_or_awaited(app: App) -> None:
    from app_framework import get_template_attribute

    async def fetch_title() -> str:
        await anyio.lowlevel.checkpoint()  # truly asynchronous: must be awaited
        return "Dr."

    app.jinja_env.loader = jinja2.DictLoader(
        {
            "labels.html": "{% macro badge(who) %}[{{ who|upper }}]{% endmacro %}"
            "{% macro titled(who) %}{{ fetch_title() }} {{ who }}{% endmacro %}"
        }
    )
    app.add_template_global(fetch_title)
    async with app.app_context():
        badge = await get_template_attribute("labels.html", "badge")
        assert badge("ada") == "[ADA]"  # Flask's spelling
        assert await badge(who="bob") == "[BOB]"  # Quart's
        assert badge.name == "badge"
        titled = await get_template_attribute("labels.html", "titled")
        assert await titled("Who") == "Dr. Who"
        with pytest.raises(RuntimeError, match=r"'await titled\(...\)'"):
            titled("Who")


async def test_a_hand_pushed_context_renders_with_its_blueprints_processors() -> None:
    site = App(__name__)
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.context_processor
    async def shop_banner() -> dict[str, str]:
        return {"banner": "sale"}

    @site.context_processor
    def site_banner() -> dict[str, str]:
        return {"banner": "welcome"}

    @shop.route("/")
    async def front() -> str:
        return ""

    site.register_blueprint(shop)
    async with site.test_request_context("/shop/"):
        assert await render_template_string("{{ banner }}") == "sale"
    async with site.test_request_context("/about"):
        assert await render_template_string("{{ banner }}") == "welcome"
