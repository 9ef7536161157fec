"""``app.run()``: serving with uvicorn during development."""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

from .config import DEBUG_ENV

if TYPE_CHECKING:
    from .app import App

__all__ = ["WS_MAX_QUEUE", "import_path_of", "port_in_use", "run", "websocket_limits"]

WS_MAX_QUEUE = 1
"""uvicorn's ``ws_max_queue`` under ``app.run()`` and ``app-framework run``
(uvicorn's own default is 32): the framework reads ahead of each view into
a bounded inbox of its own, so a server queue of 32 messages of up to
``ws_max_size`` each would only be more memory held per connection. (Only
uvicorn's older ``--ws websockets`` implementation has such a queue; the
default one holds a message at a time.)"""


def websocket_limits(app: App) -> dict[str, int]:
    """uvicorn's websocket limits for ``app``: ``ws_max_size`` is
    ``MAX_WEBSOCKET_MESSAGE_SIZE``, so the server refuses a larger message
    with 1009 before it is read into memory (left to uvicorn, 16 MiB, when
    the key is ``None``), and ``ws_max_queue`` is :data:`WS_MAX_QUEUE`."""
    limits = {"ws_max_queue": WS_MAX_QUEUE}
    max_size = app.config.get("MAX_WEBSOCKET_MESSAGE_SIZE")
    if max_size is not None:
        limits["ws_max_size"] = max_size
    return limits


def port_in_use(host: str, port: int) -> bool:
    """Whether another socket already listens on ``host``:``port``.

    uvicorn runs the app's lifespan start-up (``before_serving``,
    ``serving_started``) before it binds, so a busy port would show a server
    starting and then stopping; checking first lets the caller say so
    instead. The probe binds as asyncio does (``SO_REUSEADDR``, IPv6-only
    IPv6 sockets, every address ``host`` resolves to), so a port in
    TIME_WAIT counts as free. A host that does not resolve is left for
    uvicorn to report.
    """
    if port == 0:  # the system picks a free one
        return False
    try:
        addresses = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        return False
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
    return False


def import_path_of(app: App) -> str | None:
    """``"module:name"`` for ``app``, found among its module's globals (for
    the reloader, which imports the app again in a new process)."""
    module = sys.modules.get(app.import_name)
    if module is None:
        return None
    for name, value in vars(module).items():
        if value is app:
            if app.import_name != "__main__":
                return f"{app.import_name}:{name}"
            main = getattr(module, "__file__", None)
            if main:  # a script: importable by its file name from its folder
                return f"{os.path.splitext(os.path.basename(main))[0]}:{name}"
    return None


def run(
    app: App,
    host: str,
    port: int,
    debug: bool | None,
    use_reloader: bool,
    **options: Any,
) -> None:
    """Serve ``app`` with uvicorn (``debug`` sets ``app.debug`` and uvicorn's
    debug logging; ``use_reloader`` restarts on code changes). ``options``
    go to ``uvicorn.run``; ``ws_max_size`` and ``ws_max_queue`` default to
    :func:`websocket_limits`.

    :raises RuntimeError: the reloader was asked for and the app is not a
        module attribute it could import again.
    """
    import uvicorn

    options = {**websocket_limits(app), **options}
    if debug is not None:
        app.debug = debug
        if debug:
            options.setdefault("log_level", "debug")
    if not use_reloader:
        uvicorn.run(app, host=host, port=port, **options)
        return
    target = import_path_of(app)
    if target is None:
        raise RuntimeError(
            "The reloader imports the app again in a new process, so the app "
            "must be a module-level variable; run 'app-framework --app "
            "module:app run --reload' instead."
        )
    if debug:
        os.environ[DEBUG_ENV] = "1"
    os.environ["APP_FRAMEWORK_APP"] = target
    uvicorn.run(
        "app_framework.cli:_served_app",
        factory=True,
        host=host,
        port=port,
        reload=True,
        **options,
    )
