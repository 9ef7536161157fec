"""The JSON provider behind ``app.json`` (Flask 2.2+'s interface).

``jsonify``, views returning a dict or list, ``request.get_json`` and the
test client's ``json=`` all go through ``app.json``, so a subclass that
teaches it a new type (override :meth:`DefaultJSONProvider.default`) is
used everywhere. Set ``app.json = MyProvider(app)`` or
``App.json_provider_class = MyProvider``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
import weakref
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from werkzeug.http import http_date

from .exceptions import BadRequest

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "flask_default", "loads_request_body"]


class JSONProvider:
    """The interface: ``dumps``/``loads`` (and their file forms) and
    ``response``. Subclass :class:`DefaultJSONProvider` rather than this."""

    def __init__(self, app: App) -> None:
        self._app: weakref.ref[App] = weakref.ref(app)

    @property
    def app(self) -> App:
        """The application this provider belongs to."""
        app = self._app()
        if app is None:  # only if the provider outlived its app
            raise RuntimeError("the application of this JSON provider is gone")
        return app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``obj`` to a JSON string."""
        return json.dumps(obj, **kwargs)

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialise ``obj`` into the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON string or bytes."""
        return json.loads(s, **kwargs)

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        """Parse the JSON in file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def _response_obj(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response: ``response(obj)``, ``response(a, b)`` (a list)
        or ``response(key=value)`` (an object)."""
        obj = self._response_obj(args, kwargs)
        return self.app.response_class(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """Flask's default behaviour: dates as HTTP dates, ``Decimal`` and
    ``UUID`` as strings, dataclasses as objects, ``__html__`` objects as
    their markup; keys sorted and output ASCII by default.
    """

    ensure_ascii = True
    """Escape non-ASCII characters (``"\\u00e9"``)."""
    sort_keys = True
    """Sort the keys of every object."""
    compact: bool | None = None
    """Compact output; ``None`` means compact unless ``app.debug``."""
    mimetype = "application/json"
    """The mimetype :meth:`response` sets."""

    def default(self, o: Any) -> Any:
        """How a value the ``json`` module does not know is serialised;
        override it (calling ``super().default(o)`` last) to add types.

        :raises TypeError: ``o`` has no JSON form.
        """
        return flask_default(o)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``json.dumps`` with :meth:`default`, ``ensure_ascii`` and ``sort_keys``."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response (with a trailing newline, as Flask's), indented
        when ``compact`` is False, or None in debug mode."""
        obj = self._response_obj(args, kwargs)
        app = self.app
        if (self.compact is None and app.debug) or self.compact is False:
            text = self.dumps(obj, indent=2, separators=(", ", ": "))
        else:
            text = self.dumps(obj, separators=(",", ":"))
        return app.response_class(text + "\n", mimetype=self.mimetype)


def flask_default(o: Any) -> Any:
    """Flask's conversions: dates as HTTP dates, ``Decimal`` and ``UUID`` as
    strings, dataclasses as objects, ``__html__`` objects as their markup.

    :raises TypeError: ``o`` has none of these types.
    """
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, uuid.UUID):
        return str(o)
    # Not imported here: an object can only be a Decimal once its module
    # is loaded, and most apps never load it.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(o, decimal.Decimal):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def loads_request_body(provider: JSONProvider | None, data: bytes) -> Any:
    """Parse a request body as JSON.

    :raises BadRequest: not JSON, or nested deeper than the parser can go
        (a client's mistake: a 400, never a 500 with a traceback).
    """
    try:
        if provider is None:
            return json.loads(data)
        return provider.loads(data)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply to parse.") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest(f"Failed to decode JSON object: {exc}") from None
