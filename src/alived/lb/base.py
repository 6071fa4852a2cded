"""The load-balancer backend contract: read the actual state, apply planned operations.

A backend owns one kernel resource (the nftables table `inet alived`, or IPVS through generic
netlink). It never decides anything: the checker child builds the desired state
(core/lb/model.py), plans against `read_actual()` (core/lb/plan.py) and hands the operations to
`apply()`. A failed operation never raises out of `apply`: it is logged with the operation and
returned, and the operations that did not depend on it are still applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from alived.core.lb.model import LbState, ServiceKey
from alived.core.lb.plan import Op


@dataclass(frozen=True, slots=True, kw_only=True)
class OpFailure:
    """One operation the kernel (or the backend) refused, and why."""

    op: Op
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Counters:
    """Packets and bytes for one virtual service and each of its real servers (address, port).

    `first_packets_only`: the counters sit where only a connection's first packet passes
    (nftables NAT: DNAT is decided once per connection), so `packets` are new connections.
    `new_connections` and `rs_new_connections` are connections scheduled where the backend
    counts them apart (IPVS); `connections` holds (active, inactive) per real server (IPVS);
    `out` and `rs_out` are the replies' (packets, bytes) where they pass the backend (IPVS).
    """

    packets: int = 0
    bytes: int = 0
    real_servers: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    connections: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    first_packets_only: bool = False
    new_connections: int | None = None
    rs_new_connections: dict[tuple[str, int], int] = field(default_factory=dict)
    out: tuple[int, int] | None = None
    rs_out: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


class LbBackend(Protocol):
    """What the checker child needs from a backend (nftables, IPVS, or the recording fake)."""

    name: str

    def read_actual(self) -> LbState:
        """The services and destinations this backend owns, as they are in the kernel now."""
        ...

    def apply(self, ops: tuple[Op, ...]) -> tuple[OpFailure, ...]:
        """Perform the operations; return the ones that failed (each already logged)."""
        ...

    def counters(self) -> dict[ServiceKey, Counters]:
        """Traffic counters per owned service."""
        ...
