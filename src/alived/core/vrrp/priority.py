"""Effective priority from the base priority and tracker states (keepalived vrrp_track.c, facts §4.8).

Weighted trackers add their weight while OK (positive weight) or while failed (negative weight);
`reverse` flips the sign. The sum is clamped to [1, 254]. The owner (255) is never adjusted.
Weight-0 trackers do not change the priority: while failed they put the instance in FAULT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from alived.core.vrrp.params import PRIORITY_OWNER, TrackerSpec


def contribution(spec: TrackerSpec, ok: bool) -> int:
    """What one weighted tracker adds to the total priority in this state."""
    multiplier = -1 if spec.reverse else 1
    if (ok and spec.weight > 0) or (not ok and spec.weight < 0):
        return spec.weight * multiplier
    return 0


def is_faulting(spec: TrackerSpec, ok: bool) -> bool:
    """A weight-0 tracker in its bad state (failed, or OK when reversed)."""
    return spec.weight == 0 and ok == spec.reverse


def total_priority(base: int, specs: Iterable[TrackerSpec], status: Mapping[str, bool]) -> int:
    """base + sum of contributions, unclamped (keepalived's total_priority)."""
    return base + sum(contribution(s, status.get(s.name, s.initially_ok)) for s in specs)


def effective_priority(base: int, total: int) -> int:
    """The priority advertised: the owner keeps 255, everyone else is clamped to [1, 254]."""
    if base == PRIORITY_OWNER:
        return PRIORITY_OWNER
    return max(1, min(PRIORITY_OWNER - 1, total))


def faulting_trackers(specs: Iterable[TrackerSpec], status: Mapping[str, bool]) -> frozenset[str]:
    """Names of weight-0 trackers currently forcing FAULT."""
    return frozenset(s.name for s in specs if is_faulting(s, status.get(s.name, s.initially_ok)))
