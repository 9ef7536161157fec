"""An app with commands, found by the CLI tests in every way a user names it."""

from __future__ import annotations

import click

from app_framework import App, Blueprint, current_app, g

seen: list[str] = []


def create_app(name: str = "cli") -> App:
    app = App(name)
    app.add_url_rule("/", "index", lambda: "index")

    @app.websocket("/ws")
    async def ws() -> None:
        return None

    @app.cli.command("hello")
    @click.option("--name", default="world")
    def hello(name: str) -> None:
        """Say hello, in an app context."""
        click.echo(f"hello {name} from {current_app.name}")

    @app.cli.command("seed")
    async def seed() -> None:
        """An async command."""
        g.seeded = True
        click.echo(f"seeded {current_app.name} {g.seeded}")

    @app.shell_context_processor
    def extra() -> dict[str, object]:
        return {"answer": 42}

    tools = Blueprint("tools", __name__)

    @tools.cli.command("sweep")
    def sweep() -> None:
        click.echo(f"swept {current_app.name}")

    merged = Blueprint("merged", __name__, cli_group=None)

    @merged.cli.command("top")
    def top() -> None:
        click.echo("top-level")

    app.register_blueprint(tools)
    app.register_blueprint(merged)
    return app


app = create_app()
