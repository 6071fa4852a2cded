"""Spacing of gratuitous ARPs and unsolicited NAs on one interface (vrrp_garp_interval, garp_group).

keepalived never sends two gratuitous ARPs on an interface closer together than its
garp_interval (unsolicited NAs: gna_interval), so that a switch or a host with ARP rate
limiting sees every one. With an interval of 0 (the default) all frames go out at once.
Frames wait in a FIFO; a pacer serves one interface and one kind of frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from alived.errors import BackendError

log = logging.getLogger("alived.vrrp")


class Pacer:
    """Sends frames through `send`, no two closer than `interval` seconds."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, send: Callable[[bytes], None], interval: float
    ) -> None:
        self.loop = loop
        self.send = send
        self.interval = interval
        self.queue: deque[bytes] = deque()
        self._next_at = 0.0
        self._handle: asyncio.TimerHandle | None = None

    @property
    def next_at(self) -> float:
        """Loop time before which the next frame may not go (0.0: none sent yet)."""
        return self._next_at

    def submit(self, frame: bytes) -> None:
        self.queue.append(frame)
        if self._handle is None:
            self._pump()

    def _pump(self) -> None:
        self._handle = None
        while self.queue:
            now = self.loop.time()
            if self.interval > 0 and now < self._next_at:
                self._handle = self.loop.call_at(self._next_at, self._pump)
                return
            frame = self.queue.popleft()
            try:
                self.send(frame)
            except BackendError as err:
                log.error("sending a gratuitous frame failed: %s", err)
            self._next_at = now + self.interval

    def cancel(self) -> None:
        """Drop what is queued (the instance left MASTER, or the daemon stops)."""
        self.queue.clear()
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
