"""Class-based views: ``View`` and ``MethodView``, as Flask has them.

``as_view(name)`` turns the class into a view function. Its methods (or
``dispatch_request``) may be async, or plain functions, which run in a
worker thread like plain views, with the contexts copied in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, ClassVar

import anyio.to_thread

from ._concurrency import is_async_callable
from .globals import request

__all__ = ["MethodView", "View", "http_method_funcs"]

http_method_funcs = frozenset(
    {"get", "post", "head", "options", "delete", "put", "trace", "patch"}
)
"""The method names a ``MethodView`` looks for."""


async def _call(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Await ``func`` if async, else run it in a worker thread."""
    if is_async_callable(func):
        return await func(**kwargs)
    return await anyio.to_thread.run_sync(functools.partial(func, **kwargs))


class View:
    """Subclass and define ``dispatch_request``; register with
    ``app.add_url_rule("/users/", view_func=UserList.as_view("users"))``.

    Class attributes: ``methods`` (the methods the rule accepts),
    ``provide_automatic_options``, ``decorators`` (applied to the view
    function, innermost first) and ``init_every_request`` (False: one
    instance serves every request, so keep no request data on it).
    """

    methods: ClassVar[Collection[str] | None] = None
    provide_automatic_options: ClassVar[bool | None] = None
    decorators: ClassVar[list[Callable[..., Any]]] = []
    init_every_request: ClassVar[bool] = True

    def _undefined(self, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define dispatch_request()"
        )

    # Typed as any callable, so subclasses may take the rule's values as
    # named parameters (``def dispatch_request(self, user_id)``).
    dispatch_request: Callable[..., Any] = _undefined
    """The view's work (sync or async); the rule's values arrive as
    keyword arguments."""

    @classmethod
    def as_view(
        cls, name: str, *class_args: Any, **class_kwargs: Any
    ) -> Callable[..., Any]:
        """A view function (an async one) for ``add_url_rule``; ``class_args``
        and ``class_kwargs`` go to the class's constructor.

        With ``init_every_request`` (the default) each request makes its
        instance from the returned function's ``view_class``, so a test
        may replace that attribute with a subclass (as in Flask); otherwise
        the one instance is made here, from ``cls``."""
        made: Any  # the returned function, decorated: its view_class is read

        if cls.init_every_request:

            async def view(**kwargs: Any) -> Any:
                instance = made.view_class(*class_args, **class_kwargs)
                return await _call(instance.dispatch_request, kwargs)

        else:
            shared = cls(*class_args, **class_kwargs)

            async def view(**kwargs: Any) -> Any:
                return await _call(shared.dispatch_request, kwargs)

        made = view
        made.__name__ = name
        made.__qualname__ = name
        made.__module__ = cls.__module__
        for decorator in cls.decorators:
            made = decorator(made)
        made.view_class = cls
        made.__name__ = name
        made.__doc__ = cls.__doc__
        made.__module__ = cls.__module__
        made.methods = cls.methods
        made.provide_automatic_options = cls.provide_automatic_options
        returned: Callable[..., Any] = made
        return returned


class MethodView(View):
    """Dispatches to the method named after the HTTP method (``get``,
    ``post``...; HEAD falls back to ``get``). ``methods`` is worked out
    from the methods defined."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            methods.update(getattr(base, "methods", None) or ())
        for name in http_method_funcs:
            if hasattr(cls, name):
                methods.add(name.upper())
        if methods:
            cls.methods = methods

    async def dispatch_request(self, **kwargs: Any) -> Any:
        """Call the method for the request's method.

        :raises NotImplementedError: the class has no method for it.
        """
        method = request.method
        func = getattr(self, method.lower(), None)
        if func is None and method == "HEAD":
            func = getattr(self, "get", None)
        if func is None:
            raise NotImplementedError(
                f"{type(self).__name__} has no {method.lower()}() method"
            )
        return await _call(func, kwargs)
