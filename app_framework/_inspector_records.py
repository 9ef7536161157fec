"""What the signal inspector keeps: one record per request, websocket or
signal sent outside both, with its signals, receivers and hooks in order.

Values are summarised when they are recorded, never kept: the inspector
must not hold a request's objects alive, show a secret, or grow with a
large body. A summary is at most ``MAX_TEXT`` characters; a record keeps at
most ``MAX_EVENTS`` events (then counts what it dropped).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "ReceiverCall", "Record", "describe", "mask", "summarise"]

MAX_TEXT = 80
MAX_EVENTS = 200
MAX_KEYS = 12

# Keys whose values are never shown, whatever they hold.
_SECRET = re.compile(
    r"pass|secret|token|key|auth|cookie|session|csrf|credential|signature",
    re.IGNORECASE,
)
MASK = "***"

_ids = itertools.count(1)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def mask(key: str, value: Any) -> str:
    """The summary of keyword argument ``key``, or ``***`` for a secret."""
    return MASK if _SECRET.search(key) else summarise(value)


def summarise(value: Any) -> str:
    """A short, safe description of ``value``: scalars and text (clipped) as
    their repr, exceptions as type and message, responses by status and
    type, templates by name, mappings by their keys; anything else by its
    type alone, since its repr could show anything."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str | bytes):
        return _clip(repr(value))
    if isinstance(value, BaseException):
        return _clip(f"{type(value).__name__}: {value}")
    status = getattr(value, "status_code", None)
    if isinstance(status, int):
        media = getattr(value, "media_type", None) or getattr(value, "mimetype", None)
        return _clip(
            f"<{type(value).__name__} {status} {media or ''}>".replace(" >", ">")
        )
    name = getattr(value, "name", None)
    if type(value).__name__ == "Template" and isinstance(name, str | None):
        return _clip(f"<Template {name!r}>")
    if isinstance(value, Mapping):
        keys = [str(key) for key in itertools.islice(value, MAX_KEYS)]
        more = ", ..." if len(value) > MAX_KEYS else ""
        return _clip("{" + ", ".join(keys) + more + "}")
    return f"<{type(value).__name__}>"


def describe(func: Any) -> str:
    """A receiver's or hook's name: its qualified name (through wrappers)."""
    func = getattr(func, "__wrapped__", func)
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__qualname__", None) or type(func).__name__
    return f"{module}.{name}" if module and module != "__main__" else name


@dataclass(slots=True)
class ReceiverCall:
    """One receiver called for a signal."""

    name: str
    is_async: bool
    ms: float = 0.0
    outcome: str = "running"

    def as_json(self) -> dict[str, Any]:
        """The JSON the inspector page reads."""
        return {
            "name": self.name,
            "async": self.is_async,
            "ms": self.ms,
            "outcome": self.outcome,
        }


@dataclass(slots=True)
class Event:
    """A signal sent (with its receivers) or a hook run, at ``at`` ms
    after its record began."""

    kind: str  # "signal" or "hook"
    name: str
    at: float
    detail: str = ""
    args: dict[str, str] = field(default_factory=dict)
    receivers: list[ReceiverCall] = field(default_factory=list)
    ms: float = 0.0
    outcome: str = "ok"

    def as_json(self) -> dict[str, Any]:
        """The JSON the inspector page reads."""
        return {
            "kind": self.kind,
            "name": self.name,
            "at": self.at,
            "detail": self.detail,
            "args": self.args,
            "receivers": [call.as_json() for call in self.receivers],
            "ms": self.ms,
            "outcome": self.outcome,
        }


@dataclass(slots=True)
class Record:
    """One request, websocket, or signal sent outside both (``kind`` is
    ``"http"``, ``"websocket"`` or ``"app"``)."""

    kind: str
    method: str
    path: str
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.time)
    clock: float = field(default_factory=time.perf_counter)
    status: int | None = None
    ms: float | None = None
    events: list[Event] = field(default_factory=list)
    dropped: int = 0
    # The latest event of each signal, for its receivers to report to.
    open: dict[str, Event] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The signals sent, in order."""
        return [event.name for event in self.events if event.kind == "signal"]

    def since(self) -> float:
        """Milliseconds since the record began."""
        return round((time.perf_counter() - self.clock) * 1000, 3)

    def add(self, event: Event) -> None:
        """Keep ``event``, or count it once the record is full."""
        if len(self.events) < MAX_EVENTS:
            self.events.append(event)
        else:
            self.dropped += 1

    def finish(self) -> None:
        """Stop the clock."""
        self.ms = self.since()
        self.open.clear()

    def as_json(self) -> dict[str, Any]:
        """The JSON the inspector page reads."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "started": self.started,
            "status": self.status,
            "ms": self.ms,
            "dropped": self.dropped,
            "events": [event.as_json() for event in self.events],
        }
