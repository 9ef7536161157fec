"""Jinja2 templates (async-enabled) and the two template signals.

Jinja2 itself is imported when the first template is rendered (see
:mod:`._environment`), not when the framework is: an API that renders no
HTML never pays for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._awaiting import AWAITED, use_of_result
from ..globals import _cv_request, app_context
from ..signals import before_render_template, emit, template_rendered

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Template
    from jinja2.runtime import Macro

    from ..app import App
    from ..wrappers import Response
    from ._jinja import Environment

__all__ = [
    "Environment",
    "TemplatesMixin",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

F = TypeVar("F", bound=Callable[..., Any])


class TemplatesMixin:
    """The app's Jinja environment and the methods that add filters, tests
    and globals to it (``App`` inherits them; kept here with the rest of
    the templating concern)."""

    jinja_environment: type[Environment] | None = None
    """The class of ``jinja_env``: a ``templating.Environment`` subclass
    (None: that class)."""

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja2 environment, made on first use (see ``templating``)."""
        from ._environment import create_environment

        return create_environment(cast("App", self))  # App is the one user

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader ``jinja_env`` uses (the app's template folder, then the
        blueprints'); override it to load templates from elsewhere."""
        from ._environment import AppLoader

        return AppLoader(cast("App", self))

    def add_template_filter(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Add a Jinja filter (``name`` defaults to the function's)."""
        self.jinja_env.filters[name or func.__name__] = func

    def add_template_test(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Add a Jinja test (``name`` defaults to the function's)."""
        self.jinja_env.tests[name or func.__name__] = func

    def add_template_global(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Add a Jinja global (``name`` defaults to the function's)."""
        self.jinja_env.globals[name or func.__name__] = func

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_filter`."""
        return _registering(self.add_template_filter, name)

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_test`."""
        return _registering(self.add_template_test, name)

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_global`."""
        return _registering(self.add_template_global, name)


def _registering(
    add: Callable[[Callable[..., Any], str | None], None], name: str | None
) -> Callable[[F], F]:
    """A decorator that passes the function to ``add`` and returns it."""

    def decorator(func: F) -> F:
        add(func, name)
        return func

    return decorator


async def _prepare(app: App, template: Template, context: dict[str, Any]) -> None:
    """Fill in the default context, run the context processors, and send
    ``before_render_template`` (whose receivers may change ``context``)."""
    extra: dict[str, Any] = {"config": app.config, "g": app_context().g}
    ctx = _cv_request.get(None)
    if ctx is not None:
        name = "websocket" if ctx.kind.websocket else "request"
        extra.update({name: ctx.connection, "session": ctx.session})
    runner = app._runner
    plan = runner.plan_of(ctx) if ctx is not None else runner.plans.for_blueprint(None)
    processors = plan.context_processors
    for processor in processors:
        extra.update(await processor())
    for key, value in extra.items():
        context.setdefault(key, value)  # what the caller passed wins
    await emit(app, before_render_template, template=template, context=context)


async def _render(template: Template, context: dict[str, Any]) -> str:
    app = app_context().app
    await _prepare(app, template, context)
    render = app.instrumentation.wrap(
        "template", template.name or "", template.render_async, template
    )
    text: str = await render(context)
    await emit(app, template_rendered, template=template, context=context)
    return text


def _select(names: str | Sequence[str]) -> Template:
    env = app_context().app.jinja_env
    if isinstance(names, str):
        return env.get_template(names)
    return env.select_template(list(names))


async def render_template(
    template_name_or_list: str | Sequence[str], **context: Any
) -> str:
    """Render a template file (the first that exists, for a list).

    :raises TemplateNotFound: naming every folder searched.
    :raises RuntimeError: outside an application context.
    """
    return await _render(_select(template_name_or_list), context)


STRING_TEMPLATES_KEPT = 128
"""How many compiled string templates each app keeps (oldest dropped first)."""


def _from_string(source: str) -> Template:
    """The compiled template for ``source``. Compiling is the slow part of
    rendering a short string, and a compiled template can be reused."""
    app = app_context().app
    kept = app.string_templates
    template = kept.get(source)
    if template is None:
        template = app.jinja_env.from_string(source)
        if len(kept) >= STRING_TEMPLATES_KEPT:
            del kept[next(iter(kept))]
        kept[source] = template
    return template


async def render_template_string(source: str, **context: Any) -> str:
    """Render a template given as a string (its ``template.name`` is None)."""
    return await _render(_from_string(source), context)


async def _stream(template: Template, context: dict[str, Any]) -> Response:
    app = app_context().app
    await _prepare(app, template, context)

    async def generate() -> AsyncIterator[str]:
        async for chunk in template.generate_async(context):
            yield chunk
        await emit(app, template_rendered, template=template, context=context)

    return app.response_class(generate())


async def stream_template(
    template_name_or_list: str | Sequence[str], **context: Any
) -> Response:
    """A response that renders the template while sending it;
    ``template_rendered`` is sent after the last chunk."""
    return await _stream(_select(template_name_or_list), context)


async def stream_template_string(source: str, **context: Any) -> Response:
    """:func:`stream_template` for a template given as a string."""
    return await _stream(_from_string(source), context)


async def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable of a template, to call from Python (Quart's
    spelling, since templates render asynchronously here):
    ``hello = await get_template_attribute("macros.html", "hello")``; a macro
    is then awaited too, ``await hello("World")``, or called as in Flask,
    ``hello("World")`` (when it awaits nothing asynchronous).

    :raises TemplateNotFound: no such template.
    :raises AttributeError: the template has no such attribute.
    """
    from jinja2.runtime import Macro  # Jinja2 is loaded by now

    template = app_context().app.jinja_env.get_template(template_name)
    module = await template.make_module_async()
    found = getattr(module, attribute)
    return _CallableMacro(found) if isinstance(found, Macro) else found


class _CallableMacro:
    """A macro that is called as Flask calls one, ``macro("World")``, or as
    Quart does, ``await macro("World")``: it renders asynchronously, and
    called plainly it is run to its end at once, which works unless it
    waits on something truly asynchronous."""

    def __init__(self, macro: Macro) -> None:
        self._macro = macro

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        rendering: Any = self._macro(*args, **kwargs)  # a coroutine: async env
        if use_of_result() == AWAITED:
            return rendering
        try:
            rendering.send(None)
        except StopIteration as done:
            return done.value
        rendering.close()
        raise RuntimeError(
            f"The macro {self._macro.name!r} waits on something asynchronous: "
            f"call it as 'await {self._macro.name}(...)'."
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._macro, name)  # name, arguments, catch_kwargs...


def __getattr__(name: str) -> Any:
    # templating.Environment imports Jinja2, so only when asked for.
    if name == "Environment":
        from ._jinja import Environment

        return Environment
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
