"""A per-process tally of the requests this process made that change kernel state.

Counted where the request leaves for the kernel, one adapter each: rtnetlink writes (links,
addresses, routes, rules: linux/netlink.py), nftables transactions (lb/nftables.py), IPVS
commands (linux/ipvs_netlink.py) and sysctl writes (linux/sysctl.py). Reads are not counted.
A request is counted when it is made, whatever the kernel answers (an "already there" EEXIST
counts too): a reload that changes nothing must make none at all.

The children expose `snapshot()` on their status sockets (`process-json`), so a test or an
operator can see that a no-op reload left the kernel alone. One tally per process: the
children are separate processes, and counting in the adapters needs no plumbing through the
objects that own them (a rebuilt backend keeps counting into the same tally).
"""

from __future__ import annotations

from collections import Counter

SUBSYSTEMS = ("netlink", "nftables", "ipvs", "sysctl")


class KernelOps:
    """Counts of kernel-changing requests by subsystem and operation."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, subsystem: str, operation: str, n: int = 1) -> None:
        self._counts[subsystem, operation] += n

    def total(self) -> int:
        return sum(self._counts.values())

    def snapshot(self) -> dict[str, object]:
        """{"total": N, "netlink": {"addr_add": n, ...}, "nftables": {...}, ...} (JSON-ready)."""
        doc: dict[str, object] = {"total": self.total()}
        for subsystem in SUBSYSTEMS:
            doc[subsystem] = {op: n for (sub, op), n in sorted(self._counts.items()) if sub == subsystem}
        return doc


TALLY = KernelOps()


def count(subsystem: str, operation: str, n: int = 1) -> None:
    """Record `n` requests of `operation` made to the kernel's `subsystem` by this process."""
    TALLY.count(subsystem, operation, n)


def snapshot() -> dict[str, object]:
    return TALLY.snapshot()
