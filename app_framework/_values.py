"""Values that read the Quart way and the Flask way.

Quart reads request data with ``await request.form``; Flask with plain
``request.form``. Both spellings work here once the data is loaded:

* :class:`Pending` stands for data that still needs I/O. ``await`` loads it;
  any other use raises :class:`NotLoadedError`, saying what to write.
* Loaded data is given as the asking code will use it (:func:`answer`):
  plain for Flask's spelling, awaitable for Quart's. Where that cannot be
  told, it is a real ``dict``, ``bytes``, ``str``, multi-dict... that can
  also be awaited (giving itself) and called (giving itself, so Starlette's
  ``await request.json()`` spelling works too). See :func:`ready`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, NoReturn, TypeVar

from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict

from ._awaiting import AWAITED, PLAIN, use_of_result

T = TypeVar("T")


class NotLoadedError(RuntimeError):
    """Request or response data was used before it was loaded (awaited)."""


class _Ready:
    """Mixin for loaded values: ``await value`` and ``value()`` give the value."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, Any]:
        return self
        yield  # a generator, never suspending

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self


class ReadyBytes(_Ready, bytes):
    """Loaded ``bytes``."""

    __slots__ = ()


class ReadyStr(_Ready, str):
    """Loaded ``str``."""

    __slots__ = ()


class ReadyDict(_Ready, dict[Any, Any]):
    """A loaded JSON object."""

    __slots__ = ()


class ReadyList(_Ready, list[Any]):
    """A loaded JSON array."""

    __slots__ = ()


class ReadyInt(_Ready, int):
    """A loaded JSON integer."""

    __slots__ = ()


class ReadyFloat(_Ready, float):
    """A loaded JSON number."""

    __slots__ = ()


class ReadyMultiDict(ImmutableMultiDict[str, Any]):
    """Loaded form fields or files (werkzeug's ``ImmutableMultiDict``)."""

    def __await__(self) -> Generator[Any, None, ReadyMultiDict]:
        return self
        yield  # a generator, never suspending

    def __call__(self, *args: Any, **kwargs: Any) -> ReadyMultiDict:
        return self


class ReadyCombined(CombinedMultiDict[str, Any]):
    """Loaded ``request.values`` (query string and form)."""

    def __await__(self) -> Generator[Any, None, ReadyCombined]:
        return self
        yield  # a generator, never suspending

    def __call__(self, *args: Any, **kwargs: Any) -> ReadyCombined:
        return self


class ReadyConstant(_Ready):
    """A loaded ``None``, ``True`` or ``False``, which Python cannot subclass.
    Compares, hashes and tests like the value; ``.value`` is the value."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # a generator, never suspending

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReadyConstant):
            other = other.value
        return bool(self.value == other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


_READY: dict[type, type] = {
    bytes: ReadyBytes,
    str: ReadyStr,
    dict: ReadyDict,
    list: ReadyList,
    int: ReadyInt,
    float: ReadyFloat,
}


def ready(value: Any) -> Any:
    """``value`` as an awaitable, callable value of the same kind."""
    if isinstance(value, _Ready):
        return value
    cls = _READY.get(type(value))
    if cls is not None:
        return cls(value)
    if value is None or isinstance(value, bool):
        return ReadyConstant(value)
    return value


class _Given:
    """``await`` gives ``value`` itself, not a stand-in: what Quart's
    ``await request.get_json()`` gives is the parsed ``list``, ``None``..."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # a generator, never suspending


def answer(value: Any) -> Any:
    """``value`` as the code that asked the accessor calling this will use
    it (see :mod:`._awaiting`): the plain value for Flask's spelling
    (``request.get_json() is None``), an awaitable giving the plain value
    for Quart's (``await request.get_json()``), a value that works every
    way for Starlette's ``await request.json()`` and when it cannot tell.
    """
    use = use_of_result(2)
    if use == PLAIN:
        return value
    if use == AWAITED:
        return _Given(value)
    return ready(value)


def unready(value: Any) -> Any:
    """The plain value behind :func:`ready` (for serialising, comparing)."""
    if isinstance(value, ReadyConstant):
        return value.value
    return value


class Pending:
    """Data that is not loaded yet: ``await pending`` loads and returns it.

    Anything else (indexing, iterating, attributes, truth) raises
    :class:`NotLoadedError` with ``hint``, which says what to write.
    Calling it returns itself, so ``await request.form()`` works as well.
    """

    __slots__ = ("_hint", "_load")

    def __init__(self, load: Callable[[], Awaitable[Any]], hint: str) -> None:
        self._load = load
        self._hint = hint

    def __await__(self) -> Generator[Any, None, Any]:
        value = yield from self._load().__await__()
        return unready(value)

    def __call__(self, *args: Any, **kwargs: Any) -> Pending:
        return self

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotLoadedError(self._hint)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # protocol probes (copy, pickle...)
            raise AttributeError(name)
        self._refuse()

    __getitem__ = __iter__ = __len__ = __contains__ = __bool__ = _refuse
    __str__ = __bytes__ = __int__ = __float__ = _refuse

    def __eq__(self, other: object) -> bool:
        self._refuse()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<not loaded yet: {self._hint}>"
