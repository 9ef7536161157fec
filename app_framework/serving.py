"""``app.run()``: serving with uvicorn during development."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from .config import DEBUG_ENV

if TYPE_CHECKING:
    from .app import App

__all__ = ["import_path_of", "run"]


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
    debug logging; ``use_reloader`` restarts on code changes).

    :raises RuntimeError: the reloader was asked for and the app is not a
        module attribute it could import again.
    """
    import uvicorn

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
