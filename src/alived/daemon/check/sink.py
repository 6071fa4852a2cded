"""Where the checker child's desired load-balancer state goes: a narrow LbSink protocol.

The core derives, per virtual server, which destinations are in the pool and with which weight;
an LbSink receives each change. The load-balancer backends (IPVS, nftables) will implement it;
until they are wired, RecordingLbSink keeps the latest state per virtual server and logs changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from alived.core.check.desired import DesiredVirtualServer

log = logging.getLogger("alived.check.lb")


class LbSink(Protocol):
    def apply(self, desired: DesiredVirtualServer, *, removed: bool = False) -> None:
        """Make the kernel's pool for `desired.name` match `desired` (removed: delete the service)."""
        ...

    def apply_many(self, changes: Sequence[tuple[DesiredVirtualServer, bool]]) -> None:
        """Several `apply(desired, removed=removed)` at once, in order (a later change to a name
        wins): a backend makes them one transaction, not one each."""
        ...


class RecordingLbSink:
    """Keeps the desired state per virtual server (for status and tests) and logs it at debug."""

    def __init__(self) -> None:
        self.state: dict[str, DesiredVirtualServer] = {}
        self.applied = 0

    def apply(self, desired: DesiredVirtualServer, *, removed: bool = False) -> None:
        self.applied += 1
        if removed:
            self.state.pop(desired.name, None)
        else:
            self.state[desired.name] = desired
        pool = ", ".join(
            f"[{d.address}]:{d.port or 0} w{d.weight}{' sorry' if d.sorry else ''}"
            for d in desired.destinations
        )
        log.debug("LB %s %s: %s", "remove" if removed else "set", desired.name, pool or "(empty)")

    def apply_many(self, changes: Sequence[tuple[DesiredVirtualServer, bool]]) -> None:
        for desired, removed in changes:
            self.apply(desired, removed=removed)
