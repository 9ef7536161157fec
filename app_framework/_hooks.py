"""The hooks one request runs, resolved once per (blueprint, kind).

A request of blueprint ``"a.b"`` runs the app's hooks and those of ``a``
and ``a.b``, in Flask's order: ``before_*`` and URL value preprocessors
from the app inwards; ``after_*`` and ``teardown_*`` from the innermost
blueprint outwards, each list backwards; error handlers innermost first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from ._concurrency import AsyncFunc, as_async
from .routing import Funcs, blueprint_names, each

if TYPE_CHECKING:
    from .scaffold import Scaffold

__all__ = ["HookChain", "resolve"]

Handlers = dict[int | None, dict[type[BaseException], AsyncFunc]]


@dataclass(frozen=True)
class HookChain:
    """The hooks one request runs, ready to await."""

    before: tuple[AsyncFunc, ...]
    after: tuple[AsyncFunc, ...]
    teardown: tuple[AsyncFunc, ...]
    handlers: tuple[Handlers, ...]
    value_preprocessors: tuple[Callable[..., Any], ...] = ()
    context_processors: tuple[AsyncFunc, ...] = ()

    def find_handler(self, exc: BaseException) -> AsyncFunc | None:
        """The handler for ``exc``, as Flask finds it: scope by scope (the
        innermost blueprint's first, the app's last), the handlers for its
        status code, then those for any code, each by class hierarchy."""
        # Only HTTP errors have a status here: other exceptions may carry an
        # unrelated ``code`` attribute (urllib's HTTPError).
        code = exc.code if isinstance(exc, HTTPException) else None
        mro = type(exc).__mro__
        for scope in self.handlers:
            for key in (code, None) if code is not None else (None,):
                by_class = scope.get(key)
                if by_class:
                    for cls in mro:
                        handler = by_class.get(cls)
                        if handler is not None:
                            return handler
        return None


def _backwards(funcs: Funcs, names: tuple[str | None, ...]) -> tuple[AsyncFunc, ...]:
    return tuple(
        as_async(func)
        for name in reversed(names)
        for func in reversed(funcs.get(name, ()))
    )


def resolve(app: Scaffold, blueprint: str | None, websocket: bool) -> HookChain:
    """The hook chain of a request (or websocket) of ``blueprint``."""
    names = blueprint_names(blueprint)
    kind = "websocket" if websocket else "request"
    before: Funcs = getattr(app, f"before_{kind}_funcs")
    after: Funcs = getattr(app, f"after_{kind}_funcs")
    teardown: Funcs = getattr(app, f"teardown_{kind}_funcs")
    handlers = tuple(
        {
            code: {cls: as_async(func) for cls, func in by_class.items()}
            for code, by_class in app.error_handlers.get(name, {}).items()
        }
        for name in reversed(names)
    )
    return HookChain(
        before=tuple(as_async(func) for func in each(before, names)),
        after=_backwards(after, names),
        teardown=_backwards(teardown, names),
        handlers=tuple(scope for scope in handlers if scope),
        value_preprocessors=tuple(each(app.url_value_preprocessors, names)),
        context_processors=tuple(
            as_async(func) for func in each(app.template_context_processors, names)
        ),
    )
