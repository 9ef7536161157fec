"""Jinja2 templates (async-enabled) and the two template signals."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, Template, TemplateNotFound
from jinja2 import select_autoescape as _select_autoescape

from .globals import _cv_request, app_context
from .signals import before_render_template, emit, template_rendered

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Response

__all__ = [
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]


class AppLoader(BaseLoader):
    """Looks in the app's template folder, then in each blueprint's, in
    registration order. A missing template names every folder searched."""

    def __init__(self, app: App) -> None:
        self.app = app

    def folders(self) -> list[str]:
        """The template folders, most important first (each once)."""
        scaffolds: list[Any] = [self.app, *self.app.blueprints.values()]
        folders = (s.jinja_loader_folder for s in scaffolds)
        return list(dict.fromkeys(folder for folder in folders if folder))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        searched = self.folders()
        for folder in searched:
            try:
                return FileSystemLoader(folder).get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(
            template,
            f"template {template!r} not found; searched: {', '.join(searched)}",
        )

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders():
            if os.path.isdir(folder):
                found.update(FileSystemLoader(folder).list_templates())
        return sorted(found)


def create_environment(app: App) -> Environment:
    """The app's environment: async, autoescaping ``.html``/``.htm``/``.xml``,
    reloading templates when ``TEMPLATES_AUTO_RELOAD`` (default: ``DEBUG``)."""
    from ._urls import url_for
    from .helpers import get_flashed_messages

    auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
    env = Environment(
        loader=AppLoader(app),
        enable_async=True,
        autoescape=_select_autoescape(["html", "htm", "xml"]),
        auto_reload=app.debug if auto_reload is None else bool(auto_reload),
    )
    env.globals.update(url_for=url_for, get_flashed_messages=get_flashed_messages)
    return env


async def _prepare(app: App, template: Template, context: dict[str, Any]) -> None:
    """Fill in the default context, run the context processors, and send
    ``before_render_template`` (whose receivers may change ``context``)."""
    extra: dict[str, Any] = {"config": app.config, "g": app_context().g}
    ctx = _cv_request.get(None)
    if ctx is not None:
        name = "websocket" if ctx.kind.websocket else "request"
        extra.update({name: ctx.connection, "session": ctx.session})
    processors = (
        ctx.hooks().context_processors
        if ctx is not None
        else app.hooks_for(None).context_processors
    )
    for processor in processors:
        extra.update(await processor())
    for key, value in extra.items():
        context.setdefault(key, value)  # what the caller passed wins
    await emit(app, before_render_template, template=template, context=context)


async def _render(template: Template, context: dict[str, Any]) -> str:
    app = app_context().app
    await _prepare(app, template, context)
    text = await template.render_async(context)
    await emit(app, template_rendered, template=template, context=context)
    return text


def _select(names: str | Sequence[str]) -> Template:
    env = app_context().app.jinja_env
    if isinstance(names, str):
        return env.get_template(names)
    return env.select_template(list[str | Template](names))


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
    is then awaited too: ``await hello("World")``.

    :raises TemplateNotFound: no such template.
    :raises AttributeError: the template has no such attribute.
    """
    template = app_context().app.jinja_env.get_template(template_name)
    module = await template.make_module_async()
    return getattr(module, attribute)
