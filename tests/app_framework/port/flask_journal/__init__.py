"""A journal app as a Flask user writes one, laid out like Flask's
tutorial: an app factory with instance config, a blueprint with an
app-wide hook, a database set up from a resource by a click command.
``journal/`` is its port (``tests/app_framework/test_port.py`` checks it
differs by renamed imports and async/await only)."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="a-key-for-the-port-test-only-0123456789")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World!"

    from . import auth, db, entries

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(entries.bp)
    app.add_url_rule("/", endpoint="index")
    return app
