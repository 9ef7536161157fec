"""What a request of each route runs, compiled once: the route's plan.

A request of blueprint ``"a.b"`` runs the app's hooks and those of ``a``
and ``a.b``, in Flask's order: ``before_*`` and URL value preprocessors
from the app inwards; ``after_*`` and ``teardown_*`` from the innermost
blueprint outwards, each list backwards; error handlers innermost first.
A :class:`Plan` holds them resolved, each hook with whether it is async
(sync hooks are called directly, no coroutine made for them), with the
app's ``teardown_appcontext`` functions and the route's view.

Signal receivers are not copied into plans: the runner reads each
signal's receivers from the app's channels when it sends it (an attribute
read), so a receiver connected or disconnected mid-request is heard, or
not, from the next signal on, and a weakly held receiver that died is
skipped, exactly as ``Signal.send_async`` does.

Plans are kept once the app serves (registration is closed then) and
dropped when an observer is added or removed (see :mod:`.instrumentation`);
before that every request compiles its own, so a hook added in set-up is
always seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from .._concurrency import AsyncFunc, as_async, is_async_callable
from ..instrumentation import Instrumentation
from ..routing import blueprint_names
from ..scaffold import Funcs

if TYPE_CHECKING:
    from ..app import App
    from ..routing import Rule

__all__ = ["Plan", "Plans", "compile_plan", "view_of"]

Step = tuple[Callable[..., Any], bool]
"""A hook ready to call: the function, and whether to await what it returns."""
Handlers = dict[int | None, dict[type[BaseException], AsyncFunc]]


class Plan:
    """Everything a request (or websocket) of one route runs besides the
    signals' receivers, resolved and ready to call."""

    __slots__ = (
        "after",
        "app_teardown",
        "before",
        "context_processors",
        "handlers",
        "raw_view",
        "teardown",
        "value_preprocessors",
        "view",
    )

    def __init__(
        self,
        before: tuple[Step, ...],
        after: tuple[Step, ...],
        teardown: tuple[Step, ...],
        app_teardown: tuple[Step, ...],
        handlers: tuple[Handlers, ...],
        value_preprocessors: tuple[Callable[..., Any], ...],
        context_processors: tuple[AsyncFunc, ...],
        view: Callable[..., Any] | None = None,
        raw_view: Callable[..., Any] | None = None,
    ) -> None:
        self.before = before
        """``before_*`` hooks: the first non-None value is the response."""
        self.after = after
        """``after_*`` hooks, in the order they run."""
        self.teardown = teardown
        """``teardown_request`` (or ``_websocket``) hooks, in order."""
        self.app_teardown = app_teardown
        """The app's ``teardown_appcontext`` functions, in order."""
        self.handlers = handlers
        self.value_preprocessors = value_preprocessors
        self.context_processors = context_processors
        """What templates rendered in these requests call (awaitable)."""
        self.view = view
        """The route's view, awaitable (None: no rule, or no view yet)."""
        self.raw_view = raw_view
        """The rule's view this plan was compiled from (a plan whose rule
        has another one now is stale)."""

    def preprocess(self, endpoint: str | None, values: dict[str, Any]) -> None:
        """Run the URL value preprocessors (sync, as in Flask and Quart),
        which may change the values the view gets."""
        for func in self.value_preprocessors:
            func(endpoint, values)

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


def view_of(rule: Rule) -> Callable[..., Any]:
    """The rule's view.

    :raises RuntimeError: the rule was added with an endpoint and no view,
        and no ``@app.endpoint(name)`` gave it one.
    """
    if rule.view is None:
        raise RuntimeError(
            f"The rule {rule.rule!r} has no view: give its endpoint one with "
            f"@app.endpoint({rule.endpoint!r})."
        )
    return rule.view


def _step(instrumentation: Instrumentation, kind: str, name: str, func: Any) -> Step:
    func = instrumentation.wrap(kind, name, func)
    return func, is_async_callable(func)


def _backwards(
    instrumentation: Instrumentation,
    kind: str,
    funcs: Funcs,
    names: tuple[str | None, ...],
) -> tuple[Step, ...]:
    return tuple(
        _step(instrumentation, kind, name or "", func)
        for name in reversed(names)
        for func in reversed(funcs.get(name, ()))
    )


def compile_plan(
    app: App, blueprint: str | None, websocket: bool, rule: Rule | None = None
) -> Plan:
    """The plan of a request (or websocket) of ``blueprint`` (to ``rule``)."""
    names = blueprint_names(blueprint)
    observe = app.instrumentation
    kind = "websocket" if websocket else "request"
    before: Funcs = getattr(app, f"before_{kind}_funcs")
    handlers = tuple(
        {
            code: {
                cls: as_async(
                    observe.wrap("errorhandler", str(code or cls.__name__), func)
                )
                for cls, func in by_class.items()
            }
            for code, by_class in app.error_handlers.get(name, {}).items()
        }
        for name in reversed(names)
    )
    raw_view = rule.view if rule is not None else None
    view = None
    if raw_view is not None:
        assert rule is not None
        view = observe.wrap("view", rule.endpoint, raw_view)
    return Plan(
        before=tuple(
            _step(observe, f"before_{kind}", name or "", func)
            for name in names
            for func in before.get(name, ())
        ),
        after=_backwards(
            observe, f"after_{kind}", getattr(app, f"after_{kind}_funcs"), names
        ),
        teardown=_backwards(
            observe, f"teardown_{kind}", getattr(app, f"teardown_{kind}_funcs"), names
        ),
        app_teardown=tuple(
            _step(observe, "teardown_appcontext", "", func)
            for func in reversed(app.teardown_appcontext_funcs)
        ),
        handlers=tuple(scope for scope in handlers if scope),
        value_preprocessors=tuple(
            observe.wrap("url_value_preprocessor", name or "", func)
            for name in names
            for func in app.url_value_preprocessors.get(name, ())
        ),
        context_processors=tuple(
            as_async(observe.wrap("context_processor", name or "", func))
            for name in names
            for func in app.template_context_processors.get(name, ())
        ),
        view=view,
        raw_view=raw_view,
    )


class Plans:
    """One app's plans: by rule, and by blueprint for requests no rule
    matched (and for templates rendered outside a request)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._by_rule: dict[Rule, Plan] = {}
        self._by_blueprint: dict[tuple[str | None, bool], Plan] = {}
        self.keep = False
        """Whether plans are kept (set once the app serves)."""

    def for_rule(self, rule: Rule) -> Plan:
        """The plan of requests (or websockets) to ``rule``."""
        plan = self._by_rule.get(rule)
        if plan is None or plan.raw_view is not rule.view:
            endpoint = rule.endpoint
            blueprint = endpoint.rpartition(".")[0] if "." in endpoint else None
            plan = compile_plan(self._app, blueprint, rule.websocket, rule)
            if self.keep:
                self._by_rule[rule] = plan
        return plan

    def for_blueprint(self, blueprint: str | None, websocket: bool = False) -> Plan:
        """The plan of a request of ``blueprint`` with no rule (a 404...)."""
        key = (blueprint, websocket)
        plan = self._by_blueprint.get(key)
        if plan is None:
            plan = compile_plan(self._app, blueprint, websocket)
            if self.keep:
                self._by_blueprint[key] = plan
        return plan

    def invalidate(self) -> None:
        """Forget every plan (something they hold changed)."""
        self._by_rule = {}
        self._by_blueprint = {}
