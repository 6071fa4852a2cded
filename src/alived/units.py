"""Time as integers: Ticks are microseconds. Conversions only; nothing here reads a clock."""

from __future__ import annotations

from typing import NewType

Ticks = NewType("Ticks", int)

MICROSECOND = Ticks(1)
MILLISECOND = Ticks(1_000)
CENTISECOND = Ticks(10_000)
SECOND = Ticks(1_000_000)


def ticks(value: int) -> Ticks:
    """Mark a microsecond count as Ticks."""
    return Ticks(value)


def from_seconds(seconds: float) -> Ticks:
    """Seconds (as keepalived's decimal timers) to Ticks, rounded to the microsecond."""
    return Ticks(round(seconds * 1_000_000))


def from_centiseconds(cs: int) -> Ticks:
    return Ticks(cs * 10_000)


def to_seconds(t: int) -> float:
    return t / 1_000_000


def to_centiseconds(t: int) -> int:
    """Ticks to centiseconds, rounded to nearest (VRRPv3 Max Adver Int)."""
    return (t + 5_000) // 10_000
