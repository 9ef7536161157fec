"""Converters in URL rules (``<int:id>``) and the compiled patterns of a
rule's path and host, on Starlette's pattern compiler."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from starlette.convertors import Convertor, PathConvertor, register_url_convertor
from starlette.routing import compile_path
from werkzeug.routing import BaseConverter, Map, ValidationError, parse_converter_args

__all__ = [
    "CONVERTERS",
    "DEFAULT_CONVERTERS",
    "PLACEHOLDER",
    "BaseConverter",
    "Pattern",
    "ValidationError",
    "host_specificity",
    "specificity",
    "string_to_url",
    "translate",
]

PLACEHOLDER = re.compile(
    r"<(?:(?P<converter>[A-Za-z_]\w*)(?:\((?P<args>.*?)\))?:)?(?P<name>[A-Za-z_]\w*)>"
)
_FORMAT_PARAM = re.compile(r"{(\w+)}")


# The characters a URL path segment may carry unquoted (WHATWG's
# path-segment set, as werkzeug uses): Flask's URLs keep them readable.
_SEGMENT_SAFE = "!$&'()*+,:;=@"


def string_to_url(value: Any) -> str:
    text = str(value)
    if not text or "/" in text:
        raise ValueError(f"{text!r} cannot fill a <string:...> part (empty or has '/')")
    return quote(text, safe=_SEGMENT_SAFE)


def _path_to_url(value: Any) -> str:
    text = str(value)
    if not text:
        raise ValueError("an empty value cannot fill a <path:...> part")
    return quote(text, safe=_SEGMENT_SAFE + "/")


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

# How specific a converter is, as werkzeug weighs them: where a rule could
# take a part as a number or as any text, the number is tried first.
_WEIGHTS = {"int": 50, "float": 50, "path": 200}

# converter name in rules -> (Starlette convertor, how to put a value in a URL)
CONVERTERS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "string": ("str", string_to_url),
    "default": ("str", string_to_url),
    "int": ("int", _int_to_url),
    "float": ("float", _float_to_url),
    "path": ("app_framework_path", _path_to_url),
    "uuid": ("uuid", _uuid_to_url),
}


DEFAULT_CONVERTERS: Mapping[str, type[BaseConverter]] = Map.default_converters
"""werkzeug's converter classes by name: what ``app.url_map.converters``
starts with. A rule naming one of these without arguments uses the
matching built-in above; any other class (a user's, or one given
arguments, ``<string(length=2):code>``) is used as werkzeug uses it."""


class _Converted(Convertor[Any]):
    """A werkzeug converter instance used where Starlette wants a convertor."""

    def __init__(self, converter: BaseConverter) -> None:
        self.converter = converter

    def convert(self, value: str) -> Any:
        return self.converter.to_python(value)

    def to_string(self, value: Any) -> str:
        return self.converter.to_url(value)


def translate(
    rule: str,
    *,
    is_host: bool = False,
    converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS,
    url_map: Any = None,
) -> tuple[str, dict[str, Callable[[Any], str]]]:
    """The Starlette pattern of a Flask rule, and each part's URL builder.

    :raises ValueError: the rule does not start with '/' (a path), names an
        unknown converter, repeats a name, or has a stray '{', '}', '<' or '>'.
    """
    text, builders, _, _ = _translate(rule, is_host, converters, url_map)
    return text, builders


def _translate(
    rule: str,
    is_host: bool,
    converters: Mapping[str, type[BaseConverter]],
    url_map: Any,
) -> tuple[
    str,
    dict[str, Callable[[Any], str]],
    dict[str, _Converted],
    dict[str, BaseConverter],
]:
    """:func:`translate`; the werkzeug converters of the parts that use one
    (compiled as strings, then given the converter's regex); and a werkzeug
    converter instance for every part, in the rule's order."""
    if not is_host and not rule.startswith("/"):
        raise ValueError(f"URL rule {rule!r} must start with '/'")
    builders: dict[str, Callable[[Any], str]] = {}
    custom: dict[str, _Converted] = {}
    instances: dict[str, BaseConverter] = {}

    def replace(found: re.Match[str]) -> str:
        converter, name = found["converter"] or "default", found["name"]
        cls = converters.get(converter)
        if cls is None:
            known = ", ".join(sorted(converters))
            raise ValueError(
                f"unknown converter {converter!r} in {rule!r}; known: {known} "
                f"(add one with app.url_map.converters[{converter!r}] = "
                "YourConverter before the routes that use it)"
            )
        if name in builders:
            raise ValueError(f"URL rule {rule!r} uses <{name}> twice")
        args = found["args"]
        positional, keywords = parse_converter_args(args) if args else ((), {})
        instances[name] = cls(url_map, *positional, **keywords)
        if args is None and cls is DEFAULT_CONVERTERS.get(converter):
            starlette_type, builders[name] = CONVERTERS[converter]
            return "{" + name + ":" + starlette_type + "}"
        custom[name] = _Converted(instances[name])
        builders[name] = custom[name].to_string
        return "{" + name + ":str}"

    literal = PLACEHOLDER.sub("", rule)
    if any(char in literal for char in "{}<>"):
        raise ValueError(f"URL rule {rule!r} has a malformed <converter:name> part")
    return PLACEHOLDER.sub(replace, rule), builders, custom, instances


class Pattern:
    """A compiled path or host pattern: match, convert, format.

    :param converters: A werkzeug converter for each part (what werkzeug's
        rules keep and OpenAPI generators read to type a path parameter).
    """

    # A plain class, not a dataclass: a frozen dataclass costs the import
    # of app_framework ~1 ms (its methods are compiled at class creation).
    __slots__ = ("builders", "converters", "convertors", "format", "regex")

    def __init__(
        self,
        regex: re.Pattern[str],
        format: str,
        convertors: dict[str, Convertor[Any]],
        builders: dict[str, Callable[[Any], str]],
        converters: dict[str, BaseConverter],
    ) -> None:
        self.regex = regex
        self.format = format
        self.convertors = convertors
        self.builders = builders
        self.converters = converters

    def __repr__(self) -> str:
        return f"Pattern({self.regex.pattern!r}, {self.format!r})"

    @classmethod
    def compile(
        cls,
        rule: str,
        is_host: bool = False,
        converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS,
        url_map: Any = None,
    ) -> Pattern:
        """Compile ``rule`` with ``converters`` (by name; ``url_map`` is
        what a werkzeug converter is made with)."""
        text, builders, custom, instances = _translate(
            rule, is_host, converters, url_map
        )
        regex, path_format, convertors = compile_path(text)
        pattern = regex.pattern
        # Starlette knows only its registered convertors: a werkzeug
        # converter's part was compiled as a string; give it its own regex.
        for name, converted in custom.items():
            string_part = f"(?P<{name}>{convertors[name].regex})"
            own_part = f"(?P<{name}>{converted.converter.regex})"
            pattern = pattern.replace(string_part, own_part, 1)
            convertors[name] = converted
        # Starlette ends patterns with '$', which also matches before a
        # trailing newline ('/users/5' plus a newline matched); '\Z' does not.
        if pattern.endswith("$"):
            pattern = pattern[:-1] + r"\Z"
        if pattern != regex.pattern:
            regex = re.compile(pattern, regex.flags)
        return cls(regex, path_format, convertors, builders, instances)

    def values(self, found: re.Match[str]) -> dict[str, Any]:
        """The converted values of a match.

        :raises ValidationError: a werkzeug converter refused its part (the
            rule does not match).
        """
        convertors = self.convertors
        return {
            name: convertors[name].convert(text)
            for name, text in found.groupdict().items()
        }

    def build(self, values: Mapping[str, Any]) -> str:
        """The text with ``values`` filled in (all parts must be given)."""
        return _FORMAT_PARAM.sub(
            lambda found: self.builders[found[1]](values[found[1]]), self.format
        )


def specificity(text: str, separator: str) -> tuple[tuple[int, int, int], ...]:
    """A sort key putting more specific rules first, part by part, as
    werkzeug's matcher does: a literal part before a placeholder, a number
    before any text, text before a path; longer literals first."""
    return tuple(_part_specificity(part) for part in text.split(separator))


def host_specificity(host: str) -> tuple[tuple[int, int, int], ...]:
    """The sort key of a host (or subdomain) pattern: one part, as werkzeug
    matches it whole (``<name>`` may span dots), so ``<t>.shop.test`` goes
    before ``<t>``: more literal text first."""
    return (_part_specificity(host),)


def _part_specificity(part: str) -> tuple[int, int, int]:
    placeholders = PLACEHOLDER.findall(part)
    literal = len(PLACEHOLDER.sub("", part))
    if not placeholders:
        return (0, 0, -literal)
    weight = max(_WEIGHTS.get(conv or "default", 100) for conv, _, _ in placeholders)
    return (1, weight, -literal)
