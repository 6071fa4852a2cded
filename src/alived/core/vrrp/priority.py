"""Effective priority from the base priority and tracker states (keepalived vrrp_track.c, facts §4.8).

Weighted trackers add their weight while OK (positive weight) or while failed (negative weight);
`reverse` flips the sign. The sum is clamped to [1, 254]. The owner (255) is never adjusted.
Weight-0 trackers do not change the priority: while failed they put the instance in FAULT.

File trackers (track_file, keepalived trackers/track_file.c) carry an integer: value x weight
(negated by reverse) clamped to [-254, 253] is added; -254 (a result of -254 or below) means
FAULT instead. With weight 0 a non-zero value means FAULT (reversed: a zero value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from alived.core.vrrp.params import PRIORITY_OWNER, TrackerSpec
from alived.core.vrrp.tracker import TrackerKey

FILE_FAULT = -254
FILE_STATUS_MAX = 253
_NO_VALUES: Mapping[TrackerKey, int] = MappingProxyType({})


def raw_file_status(spec: TrackerSpec, value: int) -> int:
    """A tracked file's status before clamping, as keepalived logs it (weight 0: FILE_FAULT or 0)."""
    if spec.weight == 0:
        return FILE_FAULT if (value != 0) != spec.reverse else 0
    return value * spec.weight * (-1 if spec.reverse else 1)


def file_status(spec: TrackerSpec, value: int) -> int:
    """keepalived's status of a tracked file for one instance: FILE_FAULT or what it adds."""
    return max(FILE_FAULT, min(FILE_STATUS_MAX, raw_file_status(spec, value)))


def contribution(spec: TrackerSpec, ok: bool, value: int = 0) -> int:
    """What one weighted tracker adds to the total priority in this state (value: file trackers)."""
    if spec.file:
        status = file_status(spec, value)
        return 0 if status == FILE_FAULT else status
    multiplier = -1 if spec.reverse else 1
    if (ok and spec.weight > 0) or (not ok and spec.weight < 0):
        return spec.weight * multiplier
    return 0


def is_faulting(spec: TrackerSpec, ok: bool, value: int = 0) -> bool:
    """A weight-0 tracker in its bad state (failed, or OK when reversed), or a file at FILE_FAULT."""
    if spec.file:
        return file_status(spec, value) == FILE_FAULT
    return spec.weight == 0 and ok == spec.reverse


def total_priority(
    base: int,
    specs: Iterable[TrackerSpec],
    status: Mapping[TrackerKey, bool],
    values: Mapping[TrackerKey, int] = _NO_VALUES,
) -> int:
    """base + sum of contributions, unclamped (keepalived's total_priority)."""
    return base + sum(
        contribution(s, status.get(s.key, s.initially_ok), values.get(s.key, s.initial_value)) for s in specs
    )


def effective_priority(base: int, total: int) -> int:
    """The priority advertised: the owner keeps 255, everyone else is clamped to [1, 254]."""
    if base == PRIORITY_OWNER:
        return PRIORITY_OWNER
    return max(1, min(PRIORITY_OWNER - 1, total))


def faulting_trackers(
    specs: Iterable[TrackerSpec],
    status: Mapping[TrackerKey, bool],
    values: Mapping[TrackerKey, int] = _NO_VALUES,
) -> frozenset[TrackerKey]:
    """The trackers currently forcing FAULT."""
    return frozenset(
        s.key
        for s in specs
        if is_faulting(s, status.get(s.key, s.initially_ok), values.get(s.key, s.initial_value))
    )
