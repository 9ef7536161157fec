"""Named signals and the namespaces that hand them out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ._signal import Signal

if TYPE_CHECKING:
    from ._observe import ReceiverObserver


class NamedSignal(Signal):
    """A :class:`Signal` with a name, as kept in a :class:`Namespace`.

    :param name: The signal's name in its namespace.
    :param doc: The docstring of the signal.
    """

    def __init__(self, name: str, doc: str | None = None) -> None:
        super().__init__(doc)
        self.name: str = name
        """The signal's name."""

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self.name!r}>"


class Namespace(dict[str, NamedSignal]):
    """A dict of signals by name."""

    observers: tuple[ReceiverObserver, ...] = ()
    """What observes every signal of this namespace (see
    :func:`asignals.observe`; read-only here)."""

    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        """Return the signal called ``name``, creating it on first use.

        The same name always gives the same object, also when two threads
        ask at once.
        """
        try:
            return self[name]
        except KeyError:
            made = self.setdefault(name, NamedSignal(name, doc))
            # Its namespace's observers see it (see asignals.observe).
            made._registry.namespace = self
            return made


class _SignalFactory(Protocol):
    def __call__(self, name: str, doc: str | None = None) -> NamedSignal: ...


default_namespace: Namespace = Namespace()
"""The namespace :func:`signal` uses."""

signal: _SignalFactory = default_namespace.signal
"""Return the :class:`NamedSignal` called ``name`` in :data:`default_namespace`."""
