"""Flask-style URL rules (``/users/<int:user_id>``) on Starlette's patterns.

Starlette compiles each rule's path (and host or subdomain) pattern; this
module translates Flask's rule syntax, keeps the rules, and matches a
request against them, returning a :class:`Match` (the rule and its values,
or the 404, 405 or redirect to raise at dispatch, so hooks and signals
still run). Building URLs back is in :mod:`._urls`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import BuildError as _WerkzeugBuildError
from werkzeug.routing import Rule as WerkzeugRule
from werkzeug.routing import RuleFactory

from .._concurrency import as_async_view
from ..exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    SetupConflictError,
)
from ._matcher import RuleIndex
from .converters import (
    CONVERTERS,
    DEFAULT_CONVERTERS,
    PLACEHOLDER,
    BaseConverter,
    Pattern,
    ValidationError,
    host_specificity,
    specificity,
    string_to_url,
    translate,
)

View = Callable[..., Awaitable[Any]]

__all__ = [
    "CONVERTERS",
    "BuildError",
    "EndpointConflict",
    "Match",
    "QuartMap",
    "QuartRule",
    "RequestRedirect",
    "Router",
    "Rule",
    "RuleOptions",
    "SlashRedirect",
    "UrlMap",
    "ViewFunctions",
    "blueprint_names",
    "check_static_host",
    "each",
    "translate",
]


class EndpointConflict(ValueError, AssertionError):
    """A rule gives an endpoint a view function other than the one it
    already has. Also an ``AssertionError``, the type Flask raises here."""


class BuildError(_WerkzeugBuildError):
    """``url_for`` could not build a URL: unknown endpoint or wrong values.
    A werkzeug ``BuildError`` (Flask apps catch that one) with a message
    saying what the rule needs."""

    def __init__(self, message: str, endpoint: str = "", values: Any = None) -> None:
        LookupError.__init__(self, message)
        self.message = message
        self.endpoint = endpoint
        self.values = dict(values or {})
        self.method = None
        self.adapter = None

    def __str__(self) -> str:
        return self.message


class RequestRedirect(HTTPException):
    """A redirect the router decides (``/path`` to ``/path/``, a rule's
    ``redirect_to``, or a value equal to another rule's defaults), answered
    with 308 and never passed to error handlers (as in Flask)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(f"Redirecting to {new_url}")
        self.new_url = new_url

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        """The page a redirect has in Flask."""
        target = html.escape(self.new_url)
        return (
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n<p>You should be redirected automatically "
            f'to the target URL: <a href="{target}">{target}</a>. If not, click '
            "the link.\n"
        )

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """werkzeug's headers plus ``Location``."""
        return [*super().get_headers(*args, **kwargs), ("Location", self.new_url)]


class RuleOptions:
    """What a rule may say besides its path, endpoint and view (Flask's
    ``route()`` options).

    :param required_methods: The view's ``required_methods`` (not a
        ``route()`` option): always among the rule's methods, as in Flask.
    """

    # A plain class, not a frozen dataclass: that costs the import of
    # app_framework ~1 ms. ``vars()`` of one gives the options by name.

    def __init__(
        self,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        host: str | None = None,
        strict_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        provide_automatic_options: bool | None = None,
        websocket: bool = False,
        required_methods: Iterable[str] = (),
    ) -> None:
        self.methods = methods
        self.defaults = defaults
        self.subdomain = subdomain
        self.host = host
        self.strict_slashes = strict_slashes
        self.redirect_to = redirect_to
        self.provide_automatic_options = provide_automatic_options
        self.websocket = websocket
        self.required_methods = required_methods


@dataclass(eq=False)
class Rule:
    """One URL rule: where it matches, which methods, which view."""

    rule: str
    endpoint: str
    methods: frozenset[str]
    automatic_options: bool
    view: View | None
    path: Pattern = field(repr=False)
    websocket: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    subdomain: str | None = None
    host: str | None = None
    place: Pattern | None = field(default=None, repr=False)
    """The host (or subdomain) pattern, when the rule has one."""
    strict_slashes: bool = True
    redirect_to: str | Callable[..., str] | None = None

    @property
    def provide_automatic_options(self) -> bool:
        """:attr:`automatic_options`, by the name Flask sets on werkzeug's
        rules (OpenAPI generators read it to leave OPTIONS out)."""
        return self.automatic_options

    @property
    def _converters(self) -> dict[str, BaseConverter]:
        """werkzeug's name on its rules: a converter instance for each part,
        the host's (or subdomain's) first, as werkzeug parses them.
        quart-schema reads it to type OpenAPI path parameters."""
        place = self.place.converters if self.place is not None else {}
        return {**place, **self.path.converters}

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Where this rule goes in matching order (see ``specificity``)."""
        place = self.host if self.host is not None else self.subdomain
        place_key = host_specificity(place) if place else ()
        return (place_key, specificity(self.rule, "/"))

    @property
    def arguments(self) -> frozenset[str]:
        """Every value the rule takes: its path and host parts and defaults."""
        place = self.place.builders if self.place is not None else {}
        return (
            frozenset(self.path.builders) | frozenset(place) | frozenset(self.defaults)
        )

    def suitable_for(self, values: Mapping[str, Any], method: str | None) -> bool:
        """Whether this rule can build a URL from ``values`` (werkzeug's
        rule: every part given, and given defaults equal to the rule's)."""
        if method is not None and method.upper() not in self.methods:
            return False
        defaults = self.defaults
        for name in self.arguments:
            if name not in values and name not in defaults:
                return False
        return all(values.get(key, value) == value for key, value in defaults.items())


def check_static_host(static_host: str | None, host_matching: bool) -> None:
    """With host matching every rule needs a host, the static files' too;
    without it a host means nothing.

    :raises SetupConflictError: ``static_host`` given without
        ``host_matching``, or ``host_matching`` without ``static_host``.
    """
    if bool(static_host) == host_matching:
        return
    if host_matching:
        raise SetupConflictError(
            "host_matching=True needs static_host='<the host of static files>' "
            "for the static route (or static_folder=None for none)."
        )
    raise SetupConflictError(
        f"static_host={static_host!r} needs host_matching=True; without "
        "it, static files are served on every host: drop static_host."
    )


class Match:
    """What routing decided for one request: the rule and its values, or
    the error to raise. ``allowed`` is set (every matching rule's methods)
    when the rule is matched only to answer OPTIONS automatically."""

    __slots__ = ("allowed", "error", "rule", "view_args")

    def __init__(
        self,
        rule: Rule | None = None,
        view_args: dict[str, Any] | None = None,
        error: HTTPException | None = None,
    ) -> None:
        self.rule = rule
        self.view_args = view_args if view_args is not None else {}
        self.error = error
        self.allowed: frozenset[str] = frozenset()


class SlashRedirect(RequestRedirect):
    """The redirect to the path with a trailing slash; its URL is the path
    below the mount point, completed by the request context."""


def _host(scope: Mapping[str, Any]) -> str:
    for key, value in scope["headers"]:
        if key == b"host":
            host: str = value.decode("latin-1")
            return host
    return ""


def allowed_methods(
    methods: Iterable[str] | None, required: Iterable[str] = ()
) -> frozenset[str]:
    """Upper-cased methods (GET by default) with the required ones; HEAD
    with GET, as werkzeug's rules have it."""
    chosen = {method.upper() for method in (methods or ("GET",))}
    chosen.update(method.upper() for method in required)
    if "GET" in chosen:
        chosen.add("HEAD")
    return frozenset(chosen)


_NO_OPTIONS = RuleOptions()
"""A rule's options when it gives none (only ever read)."""


class RouterSettings:
    """The app settings that change matching."""

    __slots__ = (
        "host_matching",
        "provide_automatic_options",
        "strict_slashes",
        "subdomain_matching",
    )

    def __init__(self) -> None:
        self.host_matching = False
        self.subdomain_matching = False
        self.strict_slashes = True
        self.provide_automatic_options = True


class Router:
    """The application's rules, in registration order.

    :param config: The app's config, read for ``SERVER_NAME`` (subdomain
        matching) when a request is matched.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config: Mapping[str, Any] = config if config is not None else {}
        self.rules: list[Rule] = []
        self.websocket_rules: list[Rule] = []
        self.settings = RouterSettings()
        self._last = 0  # how many rules at the end of self.rules stay last
        self._indexes: dict[bool, RuleIndex] = {}  # by websocket; made on demand
        self.by_endpoint: dict[str, list[Rule]] = {}
        self.views: dict[str, Callable[..., Any]] = {}
        self._places = False  # whether any rule has a host or subdomain
        self._endpoint_views: dict[str, View] = {}  # by endpoint, as views
        self.converters: dict[str, type[BaseConverter]] = dict(DEFAULT_CONVERTERS)
        """Converter classes by the name rules use (``app.url_map.converters``)."""
        self.url_map = UrlMap(self)

    # -- adding --------------------------------------------------------------

    def add(
        self,
        rule: str,
        endpoint: str,
        view: View | None,
        original: Callable[..., Any] | None,
        options: RuleOptions = _NO_OPTIONS,
        last: bool = False,
    ) -> Rule:
        """Add an HTTP or websocket rule; with ``last``, the rule is tried
        after all others (the static files').

        :raises ValueError: a bad rule.
        :raises EndpointConflict: ``endpoint`` already names another view.
        """
        known = self.views.get(endpoint)
        # Equality, not identity: each ``obj.method`` access makes a new
        # bound method, equal to the others of the same object.
        if original is not None and known is not None and known != original:
            raise EndpointConflict(
                f"View function mapping is overwriting an existing endpoint "
                f"function: {endpoint!r} belongs to {known!r}; the new rule "
                f"{rule!r} gives {original!r}. Give it another endpoint name."
            )
        entry = self._make(rule, endpoint, view, options)
        self._indexes.clear()
        if options.websocket:
            self.websocket_rules.append(entry)
            self.websocket_rules.sort(key=lambda rule: rule.sort_key)
        elif last:
            self.rules.append(entry)
            self._last += 1
        else:
            # Before the rules kept last (the static files' catch-all), and
            # after every rule at least as specific (werkzeug's order: a
            # literal '/users/new' wins over '/users/<name>' whatever the
            # registration order; equals keep registration order).
            key = entry.sort_key
            end = len(self.rules) - self._last
            index = end
            while index > 0 and self.rules[index - 1].sort_key > key:
                index -= 1
            self.rules.insert(index, entry)
        self.by_endpoint.setdefault(endpoint, []).append(entry)
        if original is not None and view is not None:
            self.views[endpoint] = original
            self._endpoint_views[endpoint] = view
        return entry

    def _make(
        self, rule: str, endpoint: str, view: View | None, options: RuleOptions
    ) -> Rule:
        settings = self.settings
        explicit = {m.upper() for m in options.methods or ()}
        methods = (
            frozenset()
            if options.websocket
            else allowed_methods(options.methods, options.required_methods)
        )
        automatic = options.provide_automatic_options
        if automatic is None:
            # The route's own methods decide, before the required ones join
            # (Flask's order): a view requiring OPTIONS keeps the automatic
            # answer unless it turns it off. Only then does OPTIONS join the
            # rule's methods; asked for explicitly, the answer is given but
            # the methods stay as written (Flask's and Quart's rules).
            automatic = "OPTIONS" not in explicit and settings.provide_automatic_options
            if automatic and not options.websocket:
                methods |= {"OPTIONS"}
        place_text = options.host if settings.host_matching else options.subdomain
        converters, url_map = self.converters, self.url_map
        place = (
            Pattern.compile(place_text, True, converters, url_map)
            if place_text
            else None
        )
        self._places = self._places or place is not None
        strict = options.strict_slashes
        return Rule(
            rule=rule,
            endpoint=endpoint,
            methods=methods,
            automatic_options=bool(automatic),
            view=view,
            path=Pattern.compile(rule, False, converters, url_map),
            websocket=options.websocket,
            defaults=dict(options.defaults or {}),
            subdomain=options.subdomain,
            host=options.host,
            place=place,
            strict_slashes=settings.strict_slashes if strict is None else strict,
            redirect_to=options.redirect_to,
        )

    def set_view(self, endpoint: str, view: View, original: Callable[..., Any]) -> None:
        """Give ``endpoint`` its view (``@app.endpoint(name)``).

        :raises ValueError: no rule has that endpoint, or it has a view.
        """
        if not self.by_endpoint.get(endpoint):
            raise ValueError(f"no URL rule has the endpoint {endpoint!r}")
        known = self.views.get(endpoint)
        if known is not None and known != original:
            raise ValueError(f"endpoint {endpoint!r} already belongs to {known!r}")
        self.replace_view(endpoint, view, original)

    def replace_view(
        self, endpoint: str, view: View, original: Callable[..., Any]
    ) -> None:
        """Make ``view`` the view of ``endpoint``'s rules, now and of those
        added later without one (``app.view_functions[name] = func``)."""
        self.views[endpoint] = original
        self._endpoint_views[endpoint] = view
        for rule in self.by_endpoint.get(endpoint, ()):
            rule.view = view

    def add_werkzeug_rule(self, rule: WerkzeugRule) -> None:
        """Add a rule made by werkzeug (``app.url_map.add(Rule(...))``); its
        endpoint's view is the one given to that endpoint, if any yet."""
        if not isinstance(rule.endpoint, str):
            raise TypeError(
                f"The rule {rule.rule!r} needs an endpoint name (a str), "
                f"got {rule.endpoint!r}."
            )
        options = RuleOptions(
            methods=rule.methods,
            defaults=rule.defaults,
            subdomain=rule.subdomain,
            host=rule.host,
            strict_slashes=rule.strict_slashes,
            redirect_to=rule.redirect_to,
            websocket=rule.websocket,
        )
        view = self._endpoint_views.get(rule.endpoint)
        self.add(rule.rule, rule.endpoint, view, None, options)

    # -- matching ------------------------------------------------------------

    def _place_of(self, host: str) -> str | None:
        """What rules' host or subdomain patterns are matched against: the
        host (without port) when host matching, else the subdomain below
        ``SERVER_NAME`` ("" without subdomain matching; None when the
        request is not for this server)."""
        settings = self.settings
        hostname = host.lower()
        if not hostname.endswith("]"):  # an IPv6 literal has colons of its own
            hostname = hostname.rsplit(":", 1)[0]
        if settings.host_matching:
            return hostname
        server = (self.config.get("SERVER_NAME") or "").lower().rsplit(":", 1)[0]
        if not self.matches_subdomains or not server:
            return ""
        if hostname == server:
            return ""
        if hostname.endswith("." + server):
            return hostname[: -len(server) - 1]
        # Another host: no rule matches it with subdomain_matching (Flask
        # 3.1); when only a rule's subdomain turned matching on, the rules
        # without one still do (Flask 3.1 without subdomain_matching).
        return None if settings.subdomain_matching else ""

    @property
    def matches_subdomains(self) -> bool:
        """Whether the subdomain below ``SERVER_NAME`` is matched against
        rules' ``subdomain=``: with ``subdomain_matching``, or (Quart's rule,
        which Flask before 1.0 had too) as soon as a rule names a subdomain."""
        settings = self.settings
        return settings.subdomain_matching or (
            self._places and not settings.host_matching
        )

    def _place_matches(
        self, rule: Rule, place: str | None, values: dict[str, Any]
    ) -> bool:
        if rule.place is None:
            # No host: any host; no subdomain: the server's own name only.
            return self.settings.host_matching or place == ""
        if place is None:
            return False
        found = rule.place.regex.match(place)
        if found is None:
            return False
        values.update(rule.place.values(found))
        return True

    def allowed_methods(self, path: str, scope: Mapping[str, Any]) -> frozenset[str]:
        """The methods of every HTTP rule matching ``path``: what an OPTIONS
        answer lists (empty when none matches)."""
        # No rule has the empty method, so matching with it goes through
        # every rule for the path and reports their methods in the 405.
        error = self.match("", path, scope).error
        if isinstance(error, MethodNotAllowed):
            return frozenset(error.valid_methods or ())
        return frozenset()

    def match(
        self,
        method: str,
        path: str,
        scope: Mapping[str, Any],
        websocket: bool = False,
    ) -> Match:
        """Match a request for ``path`` (below the mount point); the result
        names the rule and its values, or the routing error to raise later.

        Each rule's pattern and convertors are Starlette's, compiled once;
        an index narrows the rules to try (see :mod:`._matcher`), and the
        loop knows 405 from 404 as it goes. The Host header is read from
        ``scope`` only when host or subdomain matching needs it.
        """
        settings = self.settings
        places = self._places or settings.host_matching or settings.subdomain_matching
        place = self._place_of(_host(scope)) if places else ""
        allowed: set[str] = set()
        # The first rule answering OPTIONS automatically, kept so that answer
        # runs as a request to it (its blueprint's hooks, its view args), as
        # werkzeug's match and Flask's dispatch do.
        automatic: tuple[Rule, re.Match[str], dict[str, Any]] | None = None
        index = self._indexes.get(websocket) or self._index(websocket)
        if not places:
            plain = index.static.get(path)
            if plain is not None and (
                websocket
                or (
                    method in plain.methods
                    and not (method == "OPTIONS" and plain.automatic_options)
                )
            ):
                return Match(plain, {})
        for rule in index.candidates(path):
            found = rule.path.regex.match(path)
            if found is None and not rule.strict_slashes and rule.rule.endswith("/"):
                found = rule.path.regex.match(path + "/")
            if found is None:
                continue
            values: dict[str, Any] = {}
            try:
                if places and not self._place_matches(rule, place, values):
                    continue
                if websocket or (
                    method in rule.methods
                    and not (method == "OPTIONS" and rule.automatic_options)
                ):
                    return self._matched(rule, found, values, method)
            except ValidationError:
                # A converter refused its part: werkzeug's matcher answers
                # 404 then, without trying later rules.
                return Match(error=NotFound())
            allowed |= rule.methods
            if rule.automatic_options:
                allowed.add("OPTIONS")
                if automatic is None:
                    automatic = (rule, found, values)
        if websocket:
            return Match(error=NotFound(f"No websocket route for {path}."))
        if allowed:
            if method == "OPTIONS" and automatic is not None:
                return self._automatic_options(automatic, frozenset(allowed))
            return Match(
                error=MethodNotAllowed(
                    sorted(allowed), f"The method {method} is not allowed for {path}."
                )
            )
        if not path.endswith("/") and any(
            rule.path.regex.match(path + "/") for rule in index.candidates(path + "/")
        ):
            return Match(error=SlashRedirect(path + "/"))
        return Match(error=NotFound())

    def _automatic_options(
        self,
        matched: tuple[Rule, re.Match[str], dict[str, Any]],
        allowed: frozenset[str],
    ) -> Match:
        """OPTIONS answered for a rule with no OPTIONS view: the request is
        to that rule, and ``allowed`` (every matching rule's methods) tells
        the pipeline to answer with ``Allow`` instead of calling the view."""
        rule, found, values = matched
        try:
            match = self._matched(rule, found, values, "OPTIONS")
        except ValidationError:
            return Match(error=NotFound())
        if match.rule is not None:
            match.allowed = allowed
        return match

    def _matched(
        self, rule: Rule, found: re.Match[str], values: dict[str, Any], method: str
    ) -> Match:
        if rule.path.builders:
            values.update(rule.path.values(found))
        if rule.defaults:
            # werkzeug's order: a default wins over a value matched for the
            # same name (host="<name>" with defaults={"name": ...}).
            values.update(rule.defaults)
        if rule.redirect_to is not None:
            target = rule.redirect_to
            if callable(target):
                url = target(None, **values)  # werkzeug passes its adapter first
            else:
                url = _fill(target, values, rule.path.builders)
            return Match(error=RequestRedirect(url))
        if len(self.by_endpoint[rule.endpoint]) > 1:
            canonical = self._canonical(rule, values, method)
            if canonical is not None:
                return Match(error=RequestRedirect(canonical))
        return Match(rule, values)

    def _canonical(self, rule: Rule, values: dict[str, Any], method: str) -> str | None:
        """werkzeug's ``redirect_defaults``: ``/page/1`` goes to ``/page/``
        when a rule of the same endpoint has ``defaults={"num": 1}``."""
        for other in self.by_endpoint[rule.endpoint]:
            if (
                other is not rule
                and other.defaults
                and not rule.defaults
                and other.arguments == rule.arguments
                and other.suitable_for(values, method)
            ):
                return other.path.build({**values, **other.defaults})
        return None

    def _plain(self, rule: Rule) -> bool:
        """Whether matching ``rule`` computes nothing: no placeholder, host,
        default, redirect, or other rule of its endpoint to redirect to."""
        return (
            rule.place is None
            and not rule.path.builders
            and not rule.defaults
            and rule.redirect_to is None
            and rule.strict_slashes
            and len(self.by_endpoint[rule.endpoint]) == 1
        )

    def _index(self, websocket: bool) -> RuleIndex:
        index = self._indexes.get(websocket)
        if index is None:
            rules = self.websocket_rules if websocket else self.rules
            index = self._indexes[websocket] = RuleIndex(rules, self._plain)
        return index

    def endpoints(self) -> list[Rule]:
        """Every rule, for the ``routes`` command."""
        return [*self.rules, *self.websocket_rules]


class UrlMap:
    """``app.url_map``: the app's rules seen as werkzeug's ``Map`` (the
    part Flask apps and extensions use); the rules are the router's."""

    def __init__(self, router: Router) -> None:
        self._router = router

    @property
    def converters(self) -> dict[str, type[BaseConverter]]:
        """Converter classes by name; add one before the rules using it:
        ``app.url_map.converters["list"] = ListConverter`` (a subclass of
        ``werkzeug.routing.BaseConverter``)."""
        return self._router.converters

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Whether a rule of ``endpoint`` takes every one of ``arguments``
        (for ``url_defaults`` functions that add a value only where it fits).

        :raises KeyError: no rule has that endpoint (as werkzeug).
        """
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._rules_of(endpoint))

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """The rules (of ``endpoint``), grouped by endpoint in the order the
        endpoints were first added, as werkzeug's.

        :raises KeyError: no rule has that endpoint.
        """
        if endpoint is not None:
            return iter(self._rules_of(endpoint))
        return (rule for rules in self._router.by_endpoint.values() for rule in rules)

    @property
    def _rules_by_endpoint(self) -> Mapping[str, list[Rule]]:
        # werkzeug Map's attribute of this name: code written for Flask and
        # Quart reads it (app.url_map._rules_by_endpoint["index"][0]).
        return self._router.by_endpoint

    def _rules_of(self, endpoint: str) -> list[Rule]:
        rules = self._router.by_endpoint.get(endpoint)
        if rules is None:
            raise KeyError(endpoint)
        return rules

    def add(self, factory: RuleFactory) -> None:
        """Add werkzeug rules: a ``Rule``, or a factory of them
        (``Submount``, ``Subdomain``, ``EndpointPrefix``...). Their
        endpoints get views with ``@app.endpoint(name)`` or
        ``app.view_functions[name] = func``."""
        for rule in factory.get_rules(self):  # type: ignore[arg-type]
            self._router.add_werkzeug_rule(rule)

    def __iter__(self) -> Iterator[Rule]:
        return self.iter_rules()

    def __repr__(self) -> str:
        return f"UrlMap({list(self.iter_rules())!r})"


QuartRule = Rule
"""Quart's name for the class of ``app.url_map``'s rules (``request.url_rule``)."""

QuartMap = UrlMap
"""Quart's name for the class of ``app.url_map``."""


class ViewFunctions(dict[str, Callable[..., Any]]):
    """``app.view_functions``: as in Flask, where the dict is read at each
    dispatch, ``app.view_functions[endpoint] = func`` makes ``func`` the
    view of that endpoint's rules (sync functions run in a worker thread)."""

    def __init__(self, router: Router) -> None:
        super().__init__()
        self._router = router

    def __setitem__(self, endpoint: str, func: Callable[..., Any]) -> None:
        super().__setitem__(endpoint, func)
        # The router already has the views given through add_url_rule.
        if self._router.views.get(endpoint) is not func:
            self._router.replace_view(endpoint, as_async_view(func), func)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Assign each item, as ``view_functions[endpoint] = func`` does."""
        for endpoint, func in dict(*args, **kwargs).items():
            self[endpoint] = func


def _fill(
    target: str, values: Mapping[str, Any], builders: Mapping[str, Callable[[Any], str]]
) -> str:
    """A ``redirect_to`` rule string with the matched values filled in."""

    def part(found: re.Match[str]) -> str:
        name = found["name"]
        return builders.get(name, string_to_url)(values[name])

    return PLACEHOLDER.sub(part, target)


def blueprint_names(blueprint: str | None) -> tuple[str | None, ...]:
    """``(None, "a", "a.b")`` for blueprint ``"a.b"``: the hook dict keys a
    request of that blueprint uses, the app's first, innermost last."""
    if not blueprint:
        return (None,)
    parts = blueprint.split(".")
    return (None, *(".".join(parts[: i + 1]) for i in range(len(parts))))


def each(
    funcs: Mapping[str | None, list[Callable[..., Any]]], names: Iterable[str | None]
) -> list[Callable[..., Any]]:
    """The functions registered under ``names``, in that order."""
    return [func for name in names for func in funcs.get(name, ())]
