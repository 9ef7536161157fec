"""Whether the value being produced is about to be awaited.

Quart reads request data with ``await request.form`` and
``await request.get_json()``; Flask with plain ``request.form`` and
``request.get_json()``. Both must give what that framework gives: Flask's
``request.get_json(silent=True) is None`` is True when nothing parsed, and
Quart's ``type(await request.get_json())`` is ``list`` for a list. No single
object can be both a plain ``None``/``list`` and awaitable, so the accessor
asks how its result is going to be used, and answers accordingly.

How it knows (CPython 3.11 to 3.13, checked by the tests on each): the
compiler turns ``await EXPR`` into EXPR's instructions followed at once by
``GET_AWAITABLE``. While an accessor runs, the frame that asked for the
value is stopped on the instruction producing it (``LOAD_ATTR`` or
``LOAD_METHOD`` for ``request.form``, ``CALL`` for ``request.get_json()``),
and ``frame.f_lasti`` is that instruction's offset, the offset ``dis``
gives (it skips the inline caches). So the question is whether the
instruction after ``f_lasti`` is ``GET_AWAITABLE`` (awaited), or a call
whose result is awaited (Starlette's ``await request.form()``). Each code
object is read once and the answer kept per offset.

Anything else (a value kept in a variable and awaited later, an
interpreter without frames) is reported as :data:`UNKNOWN`: the caller then
gives a value that works both ways (``_values.ready``), as before.
"""

from __future__ import annotations

import dis
import sys
import weakref
from types import CodeType, FrameType

__all__ = ["AWAITED", "CALLED", "PLAIN", "UNKNOWN", "passes_through", "use_of_result"]

PLAIN = 0
"""The value is used as it is (Flask's spelling)."""
AWAITED = 1
"""``await <the value>`` (Quart's spelling)."""
CALLED = 2
"""``await <the value>()`` (Starlette's spelling)."""
UNKNOWN = 3
"""Cannot tell: give a value that works every way."""

_CALLS = frozenset({"CALL", "PRECALL", "CALL_FUNCTION", "CALL_METHOD"})
_uses: weakref.WeakKeyDictionary[CodeType, dict[int, int]] = weakref.WeakKeyDictionary()
_transparent: set[CodeType] = set()


def passes_through(code: CodeType) -> None:
    """Declare ``code`` a pass-through (a proxy's ``__getattr__``, a property
    that returns another accessor's result): the question is asked of the
    frame that called it."""
    _transparent.add(code)


def _read(code: CodeType) -> dict[int, int]:
    """For each instruction whose result is awaited (or called, then
    awaited), how, under every offset it spans: ``f_lasti`` may point at
    one of its inline caches (CPython 3.11 and 3.12 do, during a call)."""
    instructions = list(dis.get_instructions(code))
    uses: dict[int, int] = {}
    for index, instruction in enumerate(instructions[:-1]):
        following = instructions[index + 1 : index + 4]
        names = [each.opname for each in following]
        if names[0] == "GET_AWAITABLE":
            use = AWAITED
        else:
            while names and names[0] in _CALLS:
                names.pop(0)
            if len(names) == len(following) or not names:
                continue
            if names[0] != "GET_AWAITABLE":
                continue
            use = CALLED
        for offset in range(instruction.offset, following[0].offset, 2):
            uses[offset] = use
    return uses


def use_of_result(depth: int = 1) -> int:
    """How the frame ``depth`` levels above the caller (pass-throughs
    skipped) uses the value it is asking for: :data:`PLAIN`,
    :data:`AWAITED`, :data:`CALLED` or :data:`UNKNOWN`."""
    try:
        frame: FrameType | None = sys._getframe(depth + 1)
    except ValueError:
        return UNKNOWN
    while frame is not None and frame.f_code in _transparent:
        frame = frame.f_back
    if frame is None:
        return UNKNOWN
    code = frame.f_code
    uses = _uses.get(code)
    if uses is None:
        try:
            uses = _uses[code] = _read(code)
        except Exception:  # a code object dis cannot read: stay safe
            return UNKNOWN
    return uses.get(frame.f_lasti, PLAIN)
