"""asignals: signals with sync and async receivers, a drop-in for blinker.

``import asignals as blinker`` runs code written for blinker 1.9 unchanged;
on top of it: receivers run in connection order, sync receivers work under
``send_async``, opt-in concurrent dispatch, robust sends and thread safety.
"""

from __future__ import annotations

from ._dispatch import AsyncWrapper, Outcome, SyncWrapper
from ._namespace import NamedSignal, Namespace, default_namespace, signal
from ._observe import Observation, ReceiverCall, ReceiverObserver, observe
from ._refs import is_async_callable
from ._registry import Channel
from ._signal import ANY, Signal

__all__ = [
    "ANY",
    "AsyncWrapper",
    "Channel",
    "NamedSignal",
    "Namespace",
    "Observation",
    "Outcome",
    "ReceiverCall",
    "ReceiverObserver",
    "Signal",
    "SyncWrapper",
    "default_namespace",
    "is_async_callable",
    "observe",
    "signal",
]
