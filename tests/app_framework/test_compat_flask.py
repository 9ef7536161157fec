"""``import app_framework.compat.flask``: installed Flask extensions
(Flask-Login, Flask-WTF, Flask-Cors) run unmodified on app_framework.

Each scenario runs in a fresh interpreter: the alias takes over the name
``flask`` for the whole process, and this test process imports the real
Flask elsewhere. A scenario is an app module whose first line is the alias
import, plus a script that drives it with the test client and prints what
it saw as JSON on its last line. Warnings are errors there too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import app_framework

ROOT = Path(app_framework.__file__).resolve().parent.parent


def run_scenario(tmp_path: Path, app_source: str, script: str) -> Any:
    """Write ``shop_app.py`` and ``scenario.py`` to ``tmp_path``, run the
    script in a new interpreter and return the JSON it printed last."""
    (tmp_path / "shop_app.py").write_text(textwrap.dedent(app_source))
    (tmp_path / "scenario.py").write_text(textwrap.dedent(script))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    done = subprocess.run(
        [sys.executable, "-W", "error", str(tmp_path / "scenario.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


LOGIN_APP = """\
    import app_framework.compat.flask

    from flask import Flask, get_flashed_messages, request
    from flask_login import (
        LoginManager,
        UserMixin,
        current_user,
        login_required,
        login_user,
        logout_user,
        user_loaded_from_cookie,
        user_logged_in,
        user_logged_out,
    )

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "a test key, not a secret"
    login_manager = LoginManager(app)
    login_manager.login_view = "sign_in_page"
    events = []


    class Member(UserMixin):
        def __init__(self, name):
            self.id = name


    @login_manager.user_loader
    def find_member(member_id):
        return Member(member_id)


    @user_logged_in.connect_via(app)
    def note_login(sender, user):
        events.append(["logged in", user.id, sender is app])


    @user_logged_out.connect_via(app)
    def note_logout(sender, user):
        events.append(["logged out", user.id, sender is app])


    @user_loaded_from_cookie.connect_via(app)
    def note_cookie(sender, user):
        events.append(["from cookie", user.id, sender is app])


    @app.get("/sign-in")
    async def sign_in_page():
        return " / ".join(get_flashed_messages())


    @app.post("/sign-in")
    def sign_in():
        name = request.form["name"]
        login_user(Member(name), remember=request.form.get("stay") == "yes")
        return "welcome " + name


    @app.get("/desk")
    @login_required
    def desk():
        return "desk of " + current_user.id


    @app.get("/vault")
    @login_required
    async def vault():
        return "vault of " + current_user.id


    @app.post("/sign-out")
    def sign_out():
        logout_user()
        return "bye"
"""


def test_flask_login_logs_in_remembers_and_logs_out(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        LOGIN_APP,
        """\
        import asyncio, json
        from shop_app import app, events

        async def main():
            out = {}
            first = app.test_client()
            out["anonymous"] = [
                (await first.get("/desk")).location,
                (await first.get("/vault")).location,
                (await first.get("/sign-in")).text,
            ]
            reply = await first.post("/sign-in", data={"name": "ivy", "stay": "yes"})
            out["sign_in"] = reply.text
            out["desk"] = (await first.get("/desk")).text
            out["vault"] = (await first.get("/vault")).text
            token = first.get_cookie("remember_token").value

            second = app.test_client()
            second.set_cookie("remember_token", value=token)
            out["remembered"] = (await second.get("/vault")).text

            await first.post("/sign-out")
            out["after_sign_out"] = (await first.get("/desk")).status_code
            out["cookie_after_sign_out"] = first.get_cookie("remember_token")
            out["events"] = events
            return out

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert seen == {
        "anonymous": [
            "/sign-in?next=%2Fdesk",
            "/sign-in?next=%2Fvault",
            "Please log in to access this page. / Please log in to access this page.",
        ],
        "sign_in": "welcome ivy",
        "desk": "desk of ivy",
        "vault": "vault of ivy",
        "remembered": "vault of ivy",
        "after_sign_out": 302,
        "cookie_after_sign_out": None,
        "events": [
            ["logged in", "ivy", True],
            ["from cookie", "ivy", True],
            ["logged out", "ivy", True],
        ],
    }


def test_flask_login_test_client_logs_the_user_in(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        LOGIN_APP,
        """\
        import asyncio, json
        from shop_app import Member, app
        from flask_login import FlaskLoginClient

        async def main():
            app.test_client_class = FlaskLoginClient
            client = app.test_client(user=Member("rex"))
            with client.session_transaction() as sess:
                stored = [sess["_user_id"], sess["_fresh"]]
            async with client.session_transaction() as sess:
                sess["note"] = "kept"
            with client.session_transaction() as sess:
                stored.append(sess["note"])
            return {
                "stored": stored,
                "vault": (await client.get("/vault")).text,
                "plain": (await app.test_client().get("/vault")).status_code,
            }

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert seen == {
        "stored": ["rex", True, "kept"],
        "vault": "vault of rex",
        "plain": 302,
    }


WTF_APP = """\
    import app_framework.compat.flask

    from flask import Flask, render_template_string, request
    from flask_wtf import CSRFProtect, FlaskForm
    from wtforms import IntegerField, StringField
    from wtforms.validators import DataRequired, NumberRange

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "another test key"
    CSRFProtect(app)


    class OrderForm(FlaskForm):
        item = StringField(validators=[DataRequired()])
        count = IntegerField(validators=[NumberRange(min=1, max=9)])


    @app.get("/order")
    async def order_page():
        return await render_template_string(
            '<form method=post><input name=csrf_token value="{{ csrf_token() }}">'
        )


    @app.post("/note")
    def note():
        return "noted " + request.form["text"]


    @app.post("/order")
    def place_order():
        form = OrderForm()
        if form.validate_on_submit():
            return f"{form.count.data} x {form.item.data}"
        return {"errors": form.errors}, 422
"""


def test_flask_wtf_csrf_and_form_validation(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        WTF_APP,
        """\
        import asyncio, json, re
        from shop_app import app

        async def main():
            client = app.test_client()
            no_token = await client.post("/note", data={"text": "hi"})
            page = (await client.get("/order")).text
            token = re.search('value="([^"]+)"', page).group(1)
            field = await client.post("/note", data={"text": "a", "csrf_token": token})
            header = await client.post(
                "/note", data={"text": "b"}, headers={"X-CSRFToken": token}
            )
            forged = await client.post(
                "/note", data={"text": "c"}, headers={"X-CSRFToken": token[:-3] + "abc"}
            )
            good = await client.post(
                "/order", data={"item": "pear", "count": "3", "csrf_token": token}
            )
            bad = await client.post(
                "/order", data={"item": "", "count": "12", "csrf_token": token}
            )
            return {
                "no_token": [no_token.status_code, "token is missing" in no_token.text],
                "field": [field.status_code, field.text],
                "header": [header.status_code, header.text],
                "forged": forged.status_code,
                "good": [good.status_code, good.text],
                "bad": [bad.status_code, sorted(bad.json()["errors"])],
            }

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert seen == {
        "no_token": [400, True],
        "field": [200, "noted a"],
        "header": [200, "noted b"],
        "forged": 400,
        "good": [200, "3 x pear"],
        "bad": [422, ["count", "item"]],
    }


CORS_APP = """\
    import app_framework.compat.flask

    from flask import Flask
    from flask_cors import CORS

    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": ["https://shop.example"]}})


    @app.route("/api/stock", methods=["GET", "PUT"])
    async def stock():
        return {"pears": 4}


    @app.get("/home")
    async def home():
        return "home"
"""


def test_flask_cors_preflight_and_simple_requests(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        CORS_APP,
        """\
        import asyncio, json
        from shop_app import app

        SHOP = "https://shop.example"
        ASKED = {"Origin": SHOP, "Access-Control-Request-Method": "PUT"}

        async def main():
            client = app.test_client()
            pre = await client.options("/api/stock", headers=ASKED)
            simple = await client.get("/api/stock", headers={"Origin": SHOP})
            stranger = await client.get(
                "/api/stock", headers={"Origin": "https://other.example"}
            )
            outside = await client.get("/home", headers={"Origin": SHOP})
            return {
                "preflight": [
                    pre.status_code,
                    pre.headers.get("access-control-allow-origin"),
                    "PUT" in pre.headers.get("access-control-allow-methods", ""),
                ],
                "simple": [simple.json(), simple.access_control_allow_origin],
                "stranger": stranger.headers.get("access-control-allow-origin"),
                "outside": outside.headers.get("access-control-allow-origin"),
            }

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert seen == {
        "preflight": [200, "https://shop.example", True],
        "simple": [{"pears": 4}, "https://shop.example"],
        "stranger": None,
        "outside": None,
    }


def test_the_flask_names_are_app_frameworks(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        "import app_framework.compat.flask\n",
        """\
        import json
        import shop_app
        import app_framework, app_framework.signals, app_framework.testing
        import flask
        from flask import Flask, current_app, g, request, session
        from flask.globals import request_ctx
        from flask.signals import Namespace
        from flask.testing import FlaskClient
        import flask.json.provider

        try:
            import flask.sansio.app
        except ModuleNotFoundError as exc:
            refused = str(exc)
        print(json.dumps({
            "same": [
                Flask is app_framework.App,
                request is app_framework.request,
                session is app_framework.session,
                g is app_framework.g,
                current_app is app_framework.current_app,
                request_ctx is app_framework.globals.request_ctx,
                Namespace is app_framework.signals.Namespace,
                flask.signals.request_started is app_framework.signals.request_started,
                issubclass(FlaskClient, app_framework.testing.TestClient),
                flask.json.provider.DefaultJSONProvider
                is app_framework.json.provider.DefaultJSONProvider,
            ],
            "refused": refused,
        }))
        """,
    )
    assert seen["same"] == [True] * 10
    assert seen["refused"].startswith("No module named 'flask.sansio'")
    assert "flask.testing" in seen["refused"]


def test_refused_after_the_real_flask(tmp_path: Path) -> None:
    seen = run_scenario(
        tmp_path,
        "import flask\nimport app_framework.compat.flask\n",
        """\
        import json
        try:
            import shop_app
        except ImportError as exc:
            print(json.dumps(str(exc)))
        """,
    )
    assert seen.startswith("app_framework.compat.flask was imported after the real")
    assert "put 'import app_framework.compat.flask' first" in seen
