"""Converters in URL rules (``<int:id>``) and the compiled patterns of a
rule's path and host, on Starlette's pattern compiler."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.convertors import Convertor, PathConvertor, register_url_convertor
from starlette.routing import compile_path

__all__ = [
    "CONVERTERS",
    "PLACEHOLDER",
    "Pattern",
    "specificity",
    "string_to_url",
    "translate",
]

PLACEHOLDER = re.compile(r"<(?:(?P<converter>[A-Za-z_]\w*):)?(?P<name>[A-Za-z_]\w*)>")
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


def translate(
    rule: str, *, is_host: bool = False
) -> tuple[str, dict[str, Callable[[Any], str]]]:
    """The Starlette pattern of a Flask rule, and each part's URL builder.

    :raises ValueError: the rule does not start with '/' (a path), names an
        unknown converter, repeats a name, or has a stray '{', '}', '<' or '>'.
    """
    if not is_host and not rule.startswith("/"):
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

    literal = PLACEHOLDER.sub("", rule)
    if any(char in literal for char in "{}<>"):
        raise ValueError(f"URL rule {rule!r} has a malformed <converter:name> part")
    return PLACEHOLDER.sub(replace, rule), builders


@dataclass(frozen=True)
class Pattern:
    """A compiled path or host pattern: match, convert, format."""

    regex: re.Pattern[str]
    format: str
    convertors: dict[str, Convertor[Any]]
    builders: dict[str, Callable[[Any], str]]

    @classmethod
    def compile(cls, rule: str, is_host: bool = False) -> Pattern:
        text, builders = translate(rule, is_host=is_host)
        regex, path_format, convertors = compile_path(text)
        # Starlette ends patterns with '$', which also matches before a
        # trailing newline ('/users/5' plus a newline matched); '\Z' does not.
        if regex.pattern.endswith("$"):
            regex = re.compile(regex.pattern[:-1] + r"\Z", regex.flags)
        return cls(regex, path_format, convertors, builders)

    def values(self, found: re.Match[str]) -> dict[str, Any]:
        """The converted values of a match."""
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
    key = []
    for part in text.split(separator):
        placeholders = PLACEHOLDER.findall(part)
        literal = len(PLACEHOLDER.sub("", part))
        if not placeholders:
            key.append((0, 0, -literal))
        else:
            weight = max(
                _WEIGHTS.get(conv or "default", 100) for conv, _ in placeholders
            )
            key.append((1, weight, -literal))
    return tuple(key)
