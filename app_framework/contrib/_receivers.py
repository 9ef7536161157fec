"""Receivers an integration connects to one app's signals, and undoes."""

from __future__ import annotations

from typing import Any

__all__ = ["AppReceivers"]


class AppReceivers:
    """Connects receivers to signals for ``app`` only, held strongly (an
    integration's bound methods would otherwise die with the call that made
    them), and disconnects every one of them on :meth:`close`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.connected: list[tuple[Any, Any]] = []

    def connect(self, signal: Any, receiver: Any) -> None:
        """Connect ``receiver`` to ``signal`` for the app's sends."""
        signal.connect(receiver, self.app, weak=False)
        self.connected.append((signal, receiver))

    def close(self) -> None:
        """Disconnect everything :meth:`connect` connected."""
        for signal, receiver in self.connected:
            signal.disconnect(receiver, self.app)
        self.connected.clear()
