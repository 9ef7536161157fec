"""Identity of receivers and senders, weak references, and async detection.

Keys must never confuse two objects. blinker keys ints and strings by value
and everything else by ``id()``, so ``0`` collides with its ANY id and a dead
object's id can be inherited by a newcomer. Here the key spaces are disjoint:

* weakly referenceable objects: ``id(obj)`` (an ``int``); a weak reference
  with a death callback retires the key before the id can be reused;
* bound methods: ``(id(self), id(func))`` (the method object is ephemeral);
* other hashable objects (``str``, ``int``, ``None``, tuples...): ``(type,
  value)``, which keeps the object itself alive inside the key;
* anything else: ``id(obj)`` with a strong reference held by the caller.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import types
import weakref
from collections.abc import Callable, Hashable
from typing import Any

Getter = Callable[[], Any]
"""Returns the referent, or None once a weakly held referent has died."""

_MethodType = types.MethodType


def is_async_callable(obj: object) -> bool:
    """True when calling ``obj`` returns an awaitable coroutine.

    Unlike ``inspect.iscoroutinefunction`` alone, this sees through
    ``functools.partial`` and checks an object's ``async def __call__``.
    """
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(type(obj), "__call__", None)  # noqa: B004 - the method itself
    return not inspect.isfunction(obj) and inspect.iscoroutinefunction(call)


def resolve_sender(sender: object) -> object:
    """The object behind a context-local proxy (anything whose class has
    ``_get_current_object``, as werkzeug's ``LocalProxy`` and Flask-style
    ``current_app`` do); any other sender as it is.

    A proxy is never the sender a framework sends with, so a connection to
    the proxy itself could never fire.

    :raises TypeError: the proxy has nothing behind it here, saying to pass
        the object itself.
    """
    get = getattr(type(sender), "_get_current_object", None)
    if get is None:
        return sender
    try:
        return get(sender)
    except Exception as exc:
        raise TypeError(
            f"the sender is a context-local proxy ({type(sender).__name__}) with "
            "no object behind it here; connect to the object itself (for "
            "example the app, not current_app)"
        ) from exc


def is_weakrefable(obj: object) -> bool:
    """True when ``weakref.ref(obj)`` would succeed."""
    return type(obj).__weakrefoffset__ != 0


def object_key(obj: object) -> Hashable:
    """The identity key of a receiver or sender (see the module docstring)."""
    if type(obj) is _MethodType:
        return (id(obj.__self__), id(obj.__func__))
    if is_weakrefable(obj):
        return id(obj)
    try:
        hash(obj)
    except TypeError:
        return id(obj)
    return (type(obj), obj)


def constant(value: object) -> Getter:
    """A getter that always returns ``value`` (for strongly held objects).

    ``itertools.repeat(...).__next__`` is a C call, about as cheap as
    dereferencing a weak reference, so weak and strong receivers share one
    call shape on the dispatch path.
    """
    return itertools.repeat(value).__next__


class KeyedRef(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that carries its table key, so one shared callback
    serves every reference (no closure per receiver)."""

    __slots__ = ("key",)
    key: Hashable

    def __new__(
        cls, obj: object, callback: Callable[[Any], None], key: Hashable
    ) -> KeyedRef:
        self = super().__new__(cls, obj, callback)
        self.key = key
        return self

    def __init__(
        self, obj: object, callback: Callable[[Any], None], key: Hashable
    ) -> None:
        # The reference is made in __new__; ref.__init__ would refuse ``key``.
        pass


class KeyedMethodRef(weakref.WeakMethod):  # type: ignore[type-arg]
    """:class:`KeyedRef` for a bound method (alive while its object is)."""

    __slots__ = ("key",)
    key: Hashable

    def __new__(
        cls, meth: Any, callback: Callable[[Any], None], key: Hashable
    ) -> KeyedMethodRef:
        self = super().__new__(cls, meth, callback)
        self.key = key
        return self

    def __init__(
        self, meth: Any, callback: Callable[[Any], None], key: Hashable
    ) -> None:
        # WeakMethod does all its work in __new__; nothing is left to do.
        pass


def weak_getter(obj: object, on_death: Callable[[Any], None], key: Hashable) -> Getter:
    """A weak reference to ``obj`` carrying ``key`` (a weak method for bound
    methods); ``on_death`` gets the reference when ``obj`` dies.

    Raises ``TypeError`` naming the object when it cannot be weakly
    referenced, telling the caller to connect it with ``weak=False``.
    """
    if type(obj) is _MethodType:
        return KeyedMethodRef(obj, on_death, key)
    try:
        return KeyedRef(obj, on_death, key)
    except TypeError:
        raise TypeError(
            f"cannot weakly reference {obj!r}; connect it with weak=False"
        ) from None


def sender_anchor(
    sender: object, on_death: Callable[[Any], None], key: Hashable
) -> Getter:
    """What keeps a sender's key honest: a weak reference when possible.

    A bound-method sender is tracked through its ``__self__``. A sender that
    cannot be weakly referenced is held strongly, so its id cannot be reused
    while receivers are connected to it.
    """
    target = sender.__self__ if type(sender) is _MethodType else sender
    if is_weakrefable(target):
        return KeyedRef(target, on_death, key)
    return constant(target)
