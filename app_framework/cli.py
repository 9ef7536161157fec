"""``python -m app_framework run|routes|signals module:app``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from .app import App
from .config import import_string
from .signals import all_signals


def load_app(target: str) -> App:
    """Import ``"module:app"`` and check it is an :class:`App`.

    :raises SystemExit: with a message saying what is wrong.
    """
    if ":" not in target:
        raise SystemExit(
            f"error: {target!r} is not 'module:attribute' (e.g. examples.tour:app)"
        )
    try:
        app = import_string(target)
    except ImportError as exc:
        raise SystemExit(f"error: cannot import {target!r}: {exc}") from None
    if not isinstance(app, App):
        raise SystemExit(f"error: {target!r} is a {type(app).__name__}, not an App")
    return app


def print_routes(app: App, out: TextIO) -> None:
    """A table of rule, methods and endpoint."""
    rows = [
        (
            rule.rule,
            ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})),
            rule.endpoint,
        )
        for rule in sorted(app.router.endpoints(), key=lambda r: r.rule)
    ]
    header = ("Rule", "Methods", "Endpoint")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ),
            file=out,
        )


def print_signals(app: App, out: TextIO) -> None:
    """Every framework signal, what it is for, and who hears it from ``app``."""
    for name, signal in sorted(all_signals().items()):
        print(f"{name}: {signal.__doc__}", file=out)
        receivers = list(signal.receivers_for(app))
        for receiver in receivers:
            label = getattr(receiver, "__qualname__", repr(receiver))
            module = getattr(receiver, "__module__", "?")
            print(f"    <- {module}.{label}", file=out)
        if not receivers:
            print("    (no receivers)", file=out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout  # looked up now, so redirected output is honoured
    parser = argparse.ArgumentParser(prog="python -m app_framework")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the app with uvicorn")
    run.add_argument("app", help="module:attribute, e.g. examples.tour:app")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--reload", action="store_true", help="restart on code changes")
    routes = commands.add_parser("routes", help="list the URL rules")
    routes.add_argument("app")
    signals = commands.add_parser("signals", help="list signals and their receivers")
    signals.add_argument("app")
    args = parser.parse_args(argv)

    if args.command == "run":
        import uvicorn

        load_app(args.app)  # fail here, clearly, before uvicorn starts
        uvicorn.run(args.app, host=args.host, port=args.port, reload=args.reload)
    elif args.command == "routes":
        print_routes(load_app(args.app), out)
    else:
        print_signals(load_app(args.app), out)
    return 0
