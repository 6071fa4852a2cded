"""One asyncio timer driven by a core object's next_deadline(): a single loop.call_at, re-armed on change.

The core reports when it next needs to be woken; the adapter never posts timer events of its
own (STYLE #1). Arming with the deadline already armed is a no-op, so the daemon can call
`arm(inst.next_deadline())` after every input without churning the loop's heap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alived.linux.clock import to_loop_time
from alived.units import Ticks


class DeadlineTimer:
    """Calls `callback` once when the armed deadline passes; `arm(None)` disarms."""

    __slots__ = ("_callback", "_deadline", "_handle", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._deadline: Ticks | None = None
        self._handle: asyncio.TimerHandle | None = None

    @property
    def deadline(self) -> Ticks | None:
        """The deadline currently armed, or None."""
        return self._deadline

    def arm(self, deadline: Ticks | None) -> None:
        """Wake at `deadline` (a past deadline fires on the next loop iteration); None cancels."""
        if deadline == self._deadline:
            return
        self.cancel()
        if deadline is None:
            return
        self._deadline = deadline
        self._handle = self._loop.call_at(to_loop_time(deadline), self._fire)

    def cancel(self) -> None:
        """Disarm; safe to call when nothing is armed."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._deadline = None

    def _fire(self) -> None:
        # Cleared before the callback so that the callback may re-arm, even to the same deadline.
        self._handle = None
        self._deadline = None
        self._callback()
