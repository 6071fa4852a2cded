"""What the supervisor tells systemd (Type=notify): READY, RELOADING, STOPPING and the watchdog.

READY=1 goes out once every child has answered a liveness ping (not merely been started);
RELOADING=1 / READY=1 bracket a reload; STOPPING=1 starts a stop. WATCHDOG=1 is sent only while
every child answered a ping recently, so a hung child that the supervisor cannot cure also
reaches systemd, which keepalived's watchdog (the parent's own loop only) does not see.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence

from alived.linux.sd_notify import Notifier


class Readiness:
    """The supervisor's sd_notify state; `children` names the children it currently runs."""

    def __init__(
        self,
        notifier: Notifier,
        children: Callable[[], Sequence[str]],
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self._children = children
        self._window = window
        self._clock = clock
        self._last_pong: dict[str, float] = {}
        self.ready = False

    def pong(self, child: str) -> None:
        """A child answered its liveness ping."""
        self._last_pong[child] = self._clock()
        if not self.ready and all(name in self._last_pong for name in self._children()):
            self.ready = True
            self.notifier.send("READY=1", f"MAINPID={os.getpid()}", "STATUS=all children answer")

    def reloading(self) -> None:
        if self.ready:
            usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            self.notifier.send("RELOADING=1", f"MONOTONIC_USEC={usec}", "STATUS=reloading")

    def reloaded(self) -> None:
        if self.ready:
            self.notifier.send("READY=1", "STATUS=all children answer")

    def stopping(self) -> None:
        self.notifier.send("STOPPING=1", "STATUS=stopping")

    def healthy(self) -> bool:
        """Every child answered within the window (before READY: still starting, not judged)."""
        if not self.ready:
            return True
        now = self._clock()
        return all(
            now - self._last_pong.get(name, float("-inf")) <= self._window for name in self._children()
        )

    async def watchdog(self) -> None:
        """WATCHDOG=1 every half WATCHDOG_USEC while healthy; returns at once when systemd did not ask."""
        interval = self.notifier.watchdog_interval()
        if interval is None:
            return
        while True:
            if self.healthy():
                self.notifier.send("WATCHDOG=1")
            await asyncio.sleep(interval)
