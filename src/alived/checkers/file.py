"""FILE_CHECK: a tracked file's number, times the weight, moves the real server's weight or fails it.

As keepalived's check_file.c / track_file.c: the file's value (linux/track_value.py: strtol of
its first 127 bytes, 0 when missing) times `weight` (times -1 with `reverse`) is added to the
real server's weight; with weight 0 a non-zero value (a zero one, reversed) means down; a
product at or below INT32_MIN (keepalived's IPVS_WEIGHT_FAULT) means down too. A number outside
the 32-bit range is ignored and the previous value kept. keepalived reacts to inotify events;
here each attempt reads the file (the checker child may also trigger attempts on a change).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from alived.checkers.base import ProbeBase, Target
from alived.core.check.result import ProbeResult
from alived.linux.track_value import InvalidNumber, read_value

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FileParams:
    name: str
    path: str
    weight: int = 1
    reverse: bool = False


def judge(value: int, weight: int, reverse: bool) -> ProbeResult:
    """The verdict keepalived's update_track_file_status reaches for `value`."""
    multiplier = -1 if reverse else 1
    if weight == 0:
        failed = (value != 0) == (multiplier == 1)
        if failed:
            return ProbeResult(success=False, reason=f"file value {value}")
        return ProbeResult(success=True, reason=f"file value {value}", weight_offset=0)
    status = max(INT_MIN, min(INT_MAX, value * weight * multiplier))
    if status <= INT_MIN:
        return ProbeResult(success=False, reason=f"file value {value}")
    return ProbeResult(success=True, reason=f"file value {value}", weight_offset=status)


class FileProbe(ProbeBase[FileParams], keyword="FILE_CHECK"):
    def __init__(self, params: FileParams, target: Target) -> None:
        super().__init__(params, target)
        self._last = 0

    async def _attempt(self) -> ProbeResult:
        # keepalived: "Invalid number ... - ignoring", the previous value stays
        with contextlib.suppress(InvalidNumber):
            self._last = read_value(self.params.path)
        return judge(self._last, self.params.weight, self.params.reverse)
