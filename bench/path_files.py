"""Which of a framework's own files one request runs through, and how often
the running code crosses from one file to another.

Run: ``make bench`` (or ``.venv/bin/python bench/path_files.py``).

One ``GET /hello`` (the app of ``bench_requests.py``, with and without a
receiver on each request signal) is traced with :func:`sys.setprofile`
after a warm-up request. A file counts when code defined in it runs; a hop
is a call or return that moves from one counted file to another. The
signal library's files count for this project as they do not for the peers
(blinker would for Flask).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import starlette
from bench_requests import (
    SCOPE,
    framework_app,
    make_receive,
    send,
    starlette_app,
)

import app_framework
import asignals

ASGI = Callable[..., Any]


def roots_of(*packages: Any) -> tuple[str, ...]:
    """Each package's folder as imported and as resolved (code objects name
    the path a module was imported by, a symbolic link's included)."""
    folders = {Path(p.__file__).parent for p in packages}
    folders |= {folder.resolve() for folder in folders}
    return tuple(str(folder) + "/" for folder in folders)


async def one_request(app: ASGI) -> None:
    await app(dict(SCOPE), make_receive(), send)


def trace(app: ASGI, roots: tuple[str, ...]) -> tuple[list[str], int]:
    """The files visited (in first-visit order) and the hops between them."""
    asyncio.run(one_request(app))  # warm-up: lazy imports and caches
    files: dict[str, None] = {}
    hops = 0
    last: str | None = None

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal hops, last
        if event not in ("call", "return"):
            return
        name = frame.f_code.co_filename
        if not name.startswith(roots):
            return
        files.setdefault(name, None)
        if last is not None and name != last:
            hops += 1
        last = name

    async def traced() -> None:
        sys.setprofile(profile)
        try:
            await one_request(app)
        finally:
            sys.setprofile(None)

    asyncio.run(traced())
    return [f.split("/site-packages/")[-1] for f in files], hops


def main() -> None:
    ours = roots_of(app_framework, asignals)
    rows = [
        ("app_framework, no receivers", framework_app(False), ours),
        ("app_framework, receivers", framework_app(True), ours),
        ("Starlette", starlette_app(), roots_of(starlette)),
    ]
    print(f"{'request path':32} {'files':>6} {'hops':>6}")
    for label, app, roots in rows:
        files, hops = trace(app, roots)
        print(f"{label:32} {len(files):>6} {hops:>6}")
    if "-v" in sys.argv:
        for label, app, roots in rows:
            print(f"\n{label}:")
            for name in trace(app, roots)[0]:
                print("   ", name.split("/repo/")[-1].split("/main/")[-1])


if __name__ == "__main__":
    main()
