"""The load balancer's traffic figures for the checker child's status, read off its loop.

Reading the counters can take about a second at 1,000 nftables services (libnftables fetches
its cache for each listing), longer than the checker's scheduling can wait and close to the
supervisor's ping timeout. So the status document shows the last reading, and a request that
finds it older than `max_age` starts a new one in a worker thread (one at a time) with the
backend's own reader (daemon/check/lb_sink.py `traffic_reader`); a backend without one (IPVS,
whose netlink dump is quick) is read on the loop. Figures are thus at most `max_age` plus a
reading old; the first request after start shows none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from alived.lb.base import Counters

log = logging.getLogger("alived.check")

MAX_AGE = 5.0  # seconds; Prometheus scrapes every 15 s by default


class TrafficSource(Protocol):
    def traffic(self) -> dict[str, Counters]: ...

    def traffic_reader(self) -> Callable[[], dict[str, Counters]] | None: ...


class TrafficCache:
    """The last traffic reading per virtual server name, refreshed in the background."""

    def __init__(
        self, source: TrafficSource, max_age: float = MAX_AGE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = source
        self._max_age = max_age
        self._clock = clock
        self._last: dict[str, Counters] | None = None
        self._at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def snapshot(self) -> dict[str, Counters] | None:
        """The last reading (None before the first); starts a new one when it is stale."""
        stale = self._at is None or self._clock() - self._at >= self._max_age
        if stale and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.refresh(), name="lb traffic")
        return self._last

    async def refresh(self) -> None:
        try:
            reader = self._source.traffic_reader()
            if reader is None:
                self._last = self._source.traffic()
            else:
                self._last = await asyncio.to_thread(reader)
            self._at = self._clock()
        except Exception:  # the status must never take the child down
            log.exception("Reading the load balancer's counters failed")
        finally:
            self._task = None

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
