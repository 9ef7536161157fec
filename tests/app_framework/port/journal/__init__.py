"""The port of ``flask_journal``: imports renamed, async/await added."""

from __future__ import annotations

from typing import Any

from app_framework import App


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> App:
    app = App(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="a-key-for-the-port-test-only-0123456789")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    @app.route("/hello")
    async def hello() -> str:
        return "Hello, World!"

    from . import auth, db, entries

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(entries.bp)
    app.add_url_rule("/", endpoint="index")
    return app
