"""The one clock the VRRP daemon reads: monotonic time as integer microseconds (Ticks)."""

from __future__ import annotations

import time

from alived.units import Ticks


def now() -> Ticks:
    """Monotonic time in microseconds; the same base as asyncio's default loop.time()."""
    return Ticks(time.monotonic_ns() // 1000)


def to_loop_time(deadline: Ticks) -> float:
    """A Ticks deadline as asyncio loop time (seconds on the monotonic clock)."""
    return deadline / 1_000_000
