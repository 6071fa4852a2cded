"""The desired load-balancer state: virtual services and their real servers, built from plain inputs.

Pure: the checker child passes each virtual server's configured parameters (`ServiceParams`,
translated from the config by daemon/lb_params.py) and the health of each real server
(`RealServerHealth`); `build_service` applies keepalived's rules (down real servers leave the
pool or, with inhibit_on_failure, stay at weight 0; quorum with hysteresis; the sorry server
replaces the pool when quorum is lost) and returns the frozen `VirtualService` a backend must
hold. Backends read their actual state back as the same types, so the planner compares like
with like.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from alived.core.lb.granularity import Granularity, Netmask
from alived.errors import LocalMisuse

PROTOCOLS = ("TCP", "UDP", "SCTP")
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
SCHEDULER_FLAGS = ("flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback", "ops")
# keepalived's weight when the sorry server carries the traffic (and 0 under sorry_server_inhibit).
SORRY_WEIGHT = 1


class Forwarding(StrEnum):
    """lb_kind / lvs_method: how the director hands a packet to a real server."""

    NAT = "NAT"
    DR = "DR"
    TUN = "TUN"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class ServiceKey:
    """A virtual service's identity: (protocol, address, port) or a firewall mark, per family."""

    family: int = 4
    fwmark: int = 0
    protocol: str = ""
    address: str = ""
    port: int = 0

    def __post_init__(self) -> None:
        if self.family not in (4, 6):
            raise LocalMisuse(f"service family must be 4 or 6, not {self.family}")
        if self.fwmark:
            if self.address or self.protocol or self.port:
                raise LocalMisuse("a fwmark service has no address, protocol or port")
        elif self.protocol not in PROTOCOLS or not self.address:
            raise LocalMisuse(f"a service needs a protocol in {PROTOCOLS} and an address")

    def __str__(self) -> str:
        """keepalived's name for a service in its logs: `[192.0.2.1]:tcp:80` or `FWM 1`."""
        if self.fwmark:
            return f"FWM {self.fwmark}"
        return f"[{self.address}]:{self.protocol.lower()}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tunnel:
    """TUN's encapsulation (`lvs_method TUN type ipip|gue|gre [port N] [nocsum|csum|remcsum]`)."""

    type: str = "ipip"
    port: int = 0
    csum: str = "nocsum"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class RealServer:
    """One destination as the kernel holds it; (address, port) is its key within a service."""

    address: str
    port: int = 0
    weight: int = 1
    forwarding: Forwarding = Forwarding.NAT
    tunnel: Tunnel | None = field(default=None, compare=False)
    uthreshold: int = 0
    lthreshold: int = 0
    # (address, port), the destination's identity in its service: a field, not a property,
    # because plans and renders of 10,000 destinations read it several times each.
    key: tuple[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.address, self.port))

    @property
    def family(self) -> int:
        # Addresses are validated where they enter (config, netlink): a colon is IPv6.
        return 6 if ":" in self.address else 4

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}"


_KEY = operator.attrgetter("key")
_WEIGHT = operator.attrgetter("weight")


# (added, (before, after) changed, removed), each in key order.
# Destinations tuples made sorted and unique by construction (`splice`), held here so an
# identity match cannot be a recycled id: a service built from one skips the O(n) check.
_SORTED: list[tuple[RealServer, ...]] = []

DestChanges = tuple[tuple[RealServer, ...], tuple[tuple[RealServer, RealServer], ...], tuple[RealServer, ...]]
_CHANGES: list[tuple[tuple[RealServer, ...], tuple[RealServer, ...], DestChanges]] = []


def mark_sorted(dests: tuple[RealServer, ...]) -> None:
    """Note destinations made sorted and unique by construction (see `_SORTED`); the last few."""
    _SORTED.insert(0, dests)
    del _SORTED[4:]


def dest_changes(old: tuple[RealServer, ...], new: tuple[RealServer, ...]) -> DestChanges:
    """(destinations added, (before, after) of those changed, destinations removed) from the
    sorted destinations `old` to `new`, each in key order.

    RealServer is immutable, so an object found in both is unchanged: only the objects not in
    both are compared, found by identity with C-level set operations. A change to one real
    server of 10,000, whose other objects are carried over, costs a few set operations and
    not a Python walk of the pool; with no object shared it is a full comparison by key.
    """
    if old is new:
        return (), (), ()
    for before, after, found in _CHANGES:
        if before is old and after is new:
            return found
    old_ids = dict(zip(map(id, old), old, strict=True))
    new_ids = dict(zip(map(id, new), new, strict=True))
    gone = {rs.key: rs for rs in map(old_ids.__getitem__, old_ids.keys() - new_ids.keys())}
    added: list[RealServer] = []
    edited: list[tuple[RealServer, RealServer]] = []
    for rs in map(new_ids.__getitem__, new_ids.keys() - old_ids.keys()):
        prev = gone.pop(rs.key, None)
        if prev is None:
            added.append(rs)
        elif prev != rs or prev.tunnel != rs.tunnel:
            edited.append((prev, rs))
    added.sort(key=_KEY)
    edited.sort(key=lambda pair: pair[0].key)
    found = (tuple(added), tuple(edited), tuple(sorted(gone.values(), key=_KEY)))
    # The planner and the renderer ask for the same pair in turn; the cache holds the tuples
    # themselves, so an identity match cannot be a recycled id.
    _CHANGES.insert(0, (old, new, found))
    del _CHANGES[4:]
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualService:
    """One virtual service with the destinations it must have now (sorted by key)."""

    key: ServiceKey
    lb_algo: str = "wlc"
    forwarding: Forwarding = Forwarding.NAT
    persistence_timeout: int = 0  # seconds; 0 = no persistence
    # prefix length of the client address (128 for IPv6), or a non-solid IPv4 netmask
    persistence_granularity: Granularity = 32
    flags: frozenset[str] = frozenset()
    real_servers: tuple[RealServer, ...] = ()
    # IPVS persistence engine (keepalived's persistence_engine, e.g. "sip"); "" for none.
    persistence_engine: str = ""
    # Every destination has a weight above 0 (`pool` is then `real_servers`): found once here.
    all_live: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.lb_algo not in SCHEDULERS:
            raise LocalMisuse(f"unknown scheduler {self.lb_algo!r}")
        unknown = self.flags - set(SCHEDULER_FLAGS)
        if unknown:
            raise LocalMisuse(f"unknown scheduler flags {sorted(unknown)}")
        if isinstance(self.persistence_granularity, Netmask) and self.key.family != 4:
            raise LocalMisuse("a netmask persistence_granularity is IPv4 only")
        dests = self.real_servers
        object.__setattr__(self, "all_live", not dests or min(map(_WEIGHT, dests)) > 0)
        if any(dests is done for done in _SORTED):
            return  # made sorted by `splice`
        # Strictly increasing keys (sorted and unique), checked by C-level iteration: a
        # service of 10,000 real servers is built on every change.
        keys = list(map(_KEY, dests))
        if not all(map(operator.lt, keys, itertools.islice(keys, 1, None))):
            raise LocalMisuse(f"real servers of {self.key} must be unique and sorted by key")

    @property
    def attributes(self) -> VirtualService:
        """The service without its destinations: what a service-level operation carries."""
        return replace(self, real_servers=())

    def real_server(self, key: tuple[str, int]) -> RealServer | None:
        """The destination with this key (by bisection: they are sorted by key)."""
        dests = self.real_servers
        i = bisect.bisect_left(dests, key, key=_KEY)
        return dests[i] if i < len(dests) and dests[i].key == key else None

    @property
    def pool(self) -> tuple[RealServer, ...]:
        """The destinations that may get new connections (weight above 0); the same tuple as
        `real_servers` when every weight is above 0 (found without a Python-level loop)."""
        dests = self.real_servers
        if self.all_live:
            return dests
        return tuple(rs for rs in dests if rs.weight > 0)


@dataclass(frozen=True, slots=True)
class LbState:
    """A whole load-balancer state (desired or actual): services keyed and sorted by ServiceKey."""

    services: tuple[VirtualService, ...] = ()

    def __post_init__(self) -> None:
        keys = [vs.key for vs in self.services]
        if keys != sorted(set(keys)):
            raise LocalMisuse("services must be unique and sorted by key")

    @classmethod
    def of(cls, services: Iterable[VirtualService]) -> LbState:
        """Build from services in any order; a duplicated key is our bug."""
        by_key: dict[ServiceKey, VirtualService] = {}
        for vs in services:
            if vs.key in by_key:
                raise LocalMisuse(f"service {vs.key} given twice")
            by_key[vs.key] = vs
        return cls(tuple(by_key[k] for k in sorted(by_key)))

    def by_key(self) -> dict[ServiceKey, VirtualService]:
        return {vs.key: vs for vs in self.services}


# ---- inputs: the configured parameters and the health the checkers report ----


@dataclass(frozen=True, slots=True, kw_only=True)
class RealServerParams:
    """A real server as configured (port already inherited from the service where keepalived does)."""

    address: str
    port: int = 0
    weight: int = 1
    forwarding: Forwarding = Forwarding.NAT
    tunnel: Tunnel | None = None
    inhibit_on_failure: bool = False
    uthreshold: int = 0
    lthreshold: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.address, self.port)

    def at_weight(self, weight: int) -> RealServer:
        return RealServer(
            address=self.address,
            port=self.port,
            weight=weight,
            forwarding=self.forwarding,
            tunnel=self.tunnel,
            uthreshold=self.uthreshold,
            lthreshold=self.lthreshold,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceParams:
    """A virtual server as configured, ready for `build_service`."""

    key: ServiceKey
    lb_algo: str = "wlc"
    forwarding: Forwarding = Forwarding.NAT
    persistence_timeout: int = 0
    persistence_granularity: Granularity | None = None  # None: the whole address (32 or 128)
    persistence_engine: str = ""
    flags: frozenset[str] = frozenset()
    real_servers: tuple[RealServerParams, ...] = ()
    sorry_server: RealServerParams | None = None
    sorry_server_inhibit: bool = False
    quorum: int = 1
    hysteresis: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RealServerHealth:
    """What the checkers say about one real server: alive or not, and a dynamic weight if any."""

    alive: bool
    weight: int | None = None  # misc_dynamic / FILE_CHECK result replacing the configured weight


def live_weight_sum(params: ServiceParams, health: Mapping[tuple[str, int], RealServerHealth]) -> int:
    """keepalived's weight_sum: the weights of the live real servers."""
    total = 0
    for rs in params.real_servers:
        h = health.get(rs.key)
        if h is not None and h.alive:
            total += rs.weight if h.weight is None else h.weight
    return total


def has_quorum(
    params: ServiceParams, health: Mapping[tuple[str, int], RealServerHealth], *, had_quorum: bool
) -> bool:
    """Quorum with hysteresis: gained at quorum + hysteresis, lost below quorum - hysteresis or at 0."""
    total = live_weight_sum(params, health)
    if had_quorum:
        return total > 0 and total >= params.quorum - params.hysteresis
    return total >= params.quorum + params.hysteresis and total > 0


def build_service(
    params: ServiceParams,
    health: Mapping[tuple[str, int], RealServerHealth],
    *,
    had_quorum: bool = True,
) -> VirtualService:
    """The service a backend must hold for this health (a real server missing from `health` is down)."""
    quorum = has_quorum(params, health, had_quorum=had_quorum)
    sorry_active = not quorum and params.sorry_server is not None
    dests: dict[tuple[str, int], RealServer] = {}
    for rs in params.real_servers:
        h = health.get(rs.key)
        alive = h is not None and h.alive
        weight = rs.weight if h is None or h.weight is None else h.weight
        if alive and not sorry_active:
            dests[rs.key] = rs.at_weight(max(weight, 0))
        elif rs.inhibit_on_failure:
            dests[rs.key] = rs.at_weight(0)
    sorry = params.sorry_server
    # A sorry server that is also a real server takes the sorry role only while quorum is lost.
    if sorry is not None and (sorry_active or (params.sorry_server_inhibit and sorry.key not in dests)):
        dests[sorry.key] = sorry.at_weight(SORRY_WEIGHT if sorry_active else 0)
    return service_with(params, dests)


def persistence_granularity(params: ServiceParams) -> Granularity:
    """The configured persistence_granularity, else the whole client address (/32 or /128)."""
    if params.persistence_granularity is not None:
        return params.persistence_granularity
    return 32 if params.key.family == 4 else 128


def service_with(params: ServiceParams, dests: Mapping[tuple[str, int], RealServer]) -> VirtualService:
    """The kernel service of `params` holding `dests` (sorted by key), with keepalived's defaults."""
    return VirtualService(
        key=params.key,
        lb_algo=params.lb_algo,
        forwarding=params.forwarding,
        persistence_timeout=params.persistence_timeout,
        persistence_granularity=persistence_granularity(params),
        flags=params.flags,
        real_servers=tuple(dests[k] for k in sorted(dests)),
        persistence_engine=params.persistence_engine,
    )
