"""A minimal observer signal for core objects, so the core can notify views without Qt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Callback = Callable[..., Any]


class EventSignal:
    """Callbacks connected to one kind of event; ``emit`` calls them in connection order."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        """Connect ``callback``; returns it so this can be used as a decorator."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        """Disconnect ``callback``; a callback that was never connected is an error."""
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args`` unless the signal is blocked."""
        if self._blocked:
            return
        for callback in list(self._callbacks):
            callback(*args)

    def block(self) -> None:
        """Suppress emissions until a matching :meth:`unblock` (nests)."""
        self._blocked += 1

    def unblock(self) -> None:
        """Undo one :meth:`block`."""
        self._blocked = max(0, self._blocked - 1)
