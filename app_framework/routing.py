"""Flask-style URL rules (``/users/<int:user_id>``) on Starlette's routes.

Starlette's ``Route`` does the matching; this module translates rules,
keeps endpoints, turns a failed match into 404/405 (kept on the request
context and raised at dispatch, so hooks and signals still run), and
builds URLs back for ``url_for`` with real errors instead of assertions.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.convertors import PathConvertor, register_url_convertor
from starlette.routing import Route, WebSocketRoute
from starlette.types import Scope

from .exceptions import HTTPException, MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from .ctx import RequestContext

View = Callable[..., Awaitable[Any]]

_PLACEHOLDER = re.compile(r"<(?:(?P<converter>[A-Za-z_]\w*):)?(?P<name>[A-Za-z_]\w*)>")
_FORMAT_PARAM = re.compile(r"{(\w+)}")


class BuildError(LookupError):
    """``url_for`` could not build a URL: unknown endpoint or wrong values."""


class RequestRedirect(HTTPException):
    """A redirect the router decides (``/path`` to ``/path/``), answered
    with 308 and never passed to error handlers (as in Flask)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(f"Redirecting to {new_url}")
        self.new_url = new_url

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """werkzeug's headers plus ``Location``."""
        return [*super().get_headers(*args, **kwargs), ("Location", self.new_url)]


def _string_to_url(value: Any) -> str:
    text = str(value)
    if not text or "/" in text:
        raise ValueError(f"{text!r} cannot fill a <string:...> part (empty or has '/')")
    return quote(text, safe="")


def _path_to_url(value: Any) -> str:
    text = str(value)
    if not text:
        raise ValueError("an empty value cannot fill a <path:...> part")
    return quote(text, safe="/")


def _int_to_url(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} cannot fill an <int:...> part (needs an int >= 0)")
    return str(value)


def _float_to_url(value: Any) -> str:
    number = float(value)
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise ValueError(
            f"{value!r} cannot fill a <float:...> part (needs a finite >= 0)"
        )
    text = f"{number:.20f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _uuid_to_url(value: Any) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


class _AnyPathConvertor(PathConvertor):
    """Starlette's path convertor uses ``.*``, which stops at a newline, so
    a path value holding one never matched; this one matches any character."""

    regex = "(?s:.*)"


register_url_convertor("app_framework_path", _AnyPathConvertor())

# converter name in rules -> (Starlette convertor, how to put a value in a URL)
CONVERTERS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "string": ("str", _string_to_url),
    "default": ("str", _string_to_url),
    "int": ("int", _int_to_url),
    "float": ("float", _float_to_url),
    "path": ("app_framework_path", _path_to_url),
    "uuid": ("uuid", _uuid_to_url),
}


def _anchor_at_end(route: Route | WebSocketRoute) -> None:
    """Starlette ends route patterns with a dollar sign, which also matches
    before a trailing newline (``/users/5`` plus a newline matched
    ``/users/<int:id>``); backslash-Z matches only at the very end."""
    pattern = route.path_regex.pattern
    if pattern.endswith("$"):
        route.path_regex = re.compile(pattern[:-1] + r"\Z")


def translate(rule: str) -> tuple[str, dict[str, Callable[[Any], str]]]:
    """The Starlette path of a Flask rule, and each part's URL builder.

    :raises ValueError: the rule does not start with '/', names an unknown
        converter, repeats a name, or has a stray '{', '}', '<' or '>'.
    """
    if not rule.startswith("/"):
        raise ValueError(f"URL rule {rule!r} must start with '/'")
    builders: dict[str, Callable[[Any], str]] = {}

    def replace(found: re.Match[str]) -> str:
        converter, name = found["converter"] or "default", found["name"]
        if converter not in CONVERTERS:
            known = ", ".join(sorted(CONVERTERS))
            raise ValueError(
                f"unknown converter {converter!r} in {rule!r}; known: {known}"
            )
        if name in builders:
            raise ValueError(f"URL rule {rule!r} uses <{name}> twice")
        starlette_type, builders[name] = CONVERTERS[converter]
        return "{" + name + ":" + starlette_type + "}"

    literal = _PLACEHOLDER.sub("", rule)
    if any(char in literal for char in "{}<>"):
        raise ValueError(f"URL rule {rule!r} has a malformed <converter:name> part")
    return _PLACEHOLDER.sub(replace, rule), builders


@dataclass(eq=False)
class Rule:
    """One URL rule: where it matches, which methods, which view."""

    rule: str
    endpoint: str
    methods: frozenset[str]
    automatic_options: bool
    view: View
    route: Route | WebSocketRoute = field(repr=False)
    builders: dict[str, Callable[[Any], str]] = field(repr=False)

    def view_args(self, found: re.Match[str]) -> dict[str, Any]:
        """The converted values of a match of ``route.path_regex``."""
        convertors = self.route.param_convertors
        return {
            name: convertors[name].convert(text)
            for name, text in found.groupdict().items()
        }

    def build(self, values: dict[str, Any]) -> str:
        """The path with ``values`` filled in (all parts must be given)."""
        return _FORMAT_PARAM.sub(
            lambda found: self.builders[found[1]](values[found[1]]),
            self.route.path_format,
        )


def _route_path(scope: Scope) -> str:
    """The path rules are matched against. ASGI puts the mount point
    (``root_path``) in front of ``path``; it is not part of the rules."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        rest = path[len(root) :]
        if not rest or rest.startswith("/"):
            return rest
    return path


def _bind(ctx: RequestContext, rule: Rule, found: re.Match[str]) -> None:
    connection = ctx.connection
    connection.view_args = ctx.view_args = (
        rule.view_args(found) if rule.builders else {}
    )
    connection.url_rule = rule
    ctx.rule = rule


def _fail(ctx: RequestContext, error: Exception) -> None:
    ctx.routing_error = ctx.connection.routing_exception = error


def allowed_methods(methods: Iterable[str] | None) -> frozenset[str]:
    """Upper-cased methods; GET by default; HEAD with GET; OPTIONS always."""
    chosen = {method.upper() for method in (methods or ("GET",))}
    if "GET" in chosen:
        chosen.add("HEAD")
    return frozenset(chosen | {"OPTIONS"})


class Router:
    """The application's rules, in registration order."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.websocket_rules: list[Rule] = []
        self._last = 0  # how many rules at the end of self.rules stay last
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._views: dict[str, Callable[..., Any]] = {}

    def add(
        self,
        rule: str,
        endpoint: str,
        view: View,
        original: Callable[..., Any],
        methods: Iterable[str] | None = None,
        websocket: bool = False,
        last: bool = False,
    ) -> Rule:
        """Add an HTTP rule, or a websocket rule (``websocket=True``); with
        ``last``, the rule is tried after all others (the static files').

        :raises ValueError: a bad rule, or ``endpoint`` already names another view.
        """
        known = self._views.get(endpoint)
        if known is not None and known is not original:
            raise ValueError(
                f"endpoint {endpoint!r} already belongs to {known!r}; "
                "give the new rule another endpoint name"
            )
        path, builders = translate(rule)
        route: Route | WebSocketRoute
        if websocket:
            chosen: frozenset[str] = frozenset()
            route = WebSocketRoute(path, original, name=endpoint)
        else:
            chosen = allowed_methods(methods)
            route = Route(path, original, methods=sorted(chosen), name=endpoint)
        _anchor_at_end(route)
        automatic = "OPTIONS" not in {m.upper() for m in methods or ()}
        entry = Rule(rule, endpoint, chosen, automatic, view, route, builders)
        if websocket:
            self.websocket_rules.append(entry)
        elif last:
            self.rules.append(entry)
            self._last += 1
        else:
            # Before the rules kept last (the static files' catch-all), so
            # the app's own routes are tried first, as Flask's sorting does.
            self.rules.insert(len(self.rules) - self._last, entry)
        self._by_endpoint.setdefault(endpoint, []).append(entry)
        self._views[endpoint] = original
        return entry

    def match_into(self, ctx: RequestContext) -> None:
        """Match the request; record the rule, or the error to raise later.

        Each rule's path pattern and convertors are Starlette's, compiled by
        its ``Route``; the loop is here, to take the request path once
        rather than once per rule, and to know 405 from 404 as it goes.
        """
        scope = ctx.connection.scope
        route_path = _route_path(scope)
        if ctx.kind.websocket:
            self._match_websocket(ctx, route_path)
            return
        allowed: set[str] = set()
        method, path = scope["method"], scope["path"]
        for rule in self.rules:
            found = rule.route.path_regex.match(route_path)
            if found is None:
                continue
            if method in rule.methods and not (
                method == "OPTIONS" and rule.automatic_options
            ):
                _bind(ctx, rule, found)
                return
            allowed |= rule.methods
        if allowed:
            if method == "OPTIONS":  # answered by the pipeline with Allow
                ctx.allowed_methods = frozenset(allowed)
                return
            _fail(
                ctx,
                MethodNotAllowed(
                    sorted(allowed), f"The method {method} is not allowed for {path}."
                ),
            )
        elif not route_path.endswith("/") and self._matches_path(route_path + "/"):
            query = scope.get("query_string", b"").decode("latin-1")
            _fail(ctx, RequestRedirect(path + "/" + ("?" + query if query else "")))
        else:
            _fail(ctx, NotFound())

    def _match_websocket(self, ctx: RequestContext, route_path: str) -> None:
        for rule in self.websocket_rules:
            found = rule.route.path_regex.match(route_path)
            if found is not None:
                _bind(ctx, rule, found)
                return
        path = ctx.connection.scope["path"]
        _fail(ctx, NotFound(f"No websocket route for {path}."))

    def _matches_path(self, route_path: str) -> bool:
        return any(rule.route.path_regex.match(route_path) for rule in self.rules)

    def build(
        self, endpoint: str, values: dict[str, Any], method: str | None = None
    ) -> str:
        """The path (and query string, for extra values) of ``endpoint``.

        :raises BuildError: unknown endpoint, or no rule takes these values.
        """
        rules = self._by_endpoint.get(endpoint)
        if rules is None:
            raise BuildError(
                f"Could not build url for endpoint {endpoint!r}: no such endpoint."
            )
        for rule in rules:
            if method is not None and method.upper() not in rule.methods:
                continue
            if not all(name in values for name in rule.builders):
                continue
            try:
                path = rule.build(values)
            except (ValueError, TypeError) as exc:
                raise BuildError(
                    f"Could not build url for endpoint {endpoint!r}: {exc}"
                ) from None
            extra = {
                k: v
                for k, v in values.items()
                if k not in rule.builders and v is not None
            }
            return path + ("?" + urlencode(extra, doseq=True) if extra else "")
        needed = " or ".join(sorted(repr(sorted(r.builders)) for r in rules))
        raise BuildError(
            f"Could not build url for endpoint {endpoint!r} with values "
            f"{sorted(values)}: it needs {needed}."
        )

    def endpoints(self) -> list[Rule]:
        """Every rule, for ``python -m app_framework routes``."""
        return [*self.rules, *self.websocket_rules]
