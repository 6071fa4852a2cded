"""InstanceParams: everything a VRRP instance needs from its configuration, as one frozen value.

The daemon translates keepalived's config model into this; the core never imports config.
Defaults are keepalived's (facts §4.1, §2.12).
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.core.vrrp.wire import AUTH_AH, AUTH_NONE, AUTH_PASS, IPAddress
from alived.defaults import (
    DOWN_TIMER_ADVERTS,
    GARP_LOWER_PRIO_DELAY,
    GARP_LOWER_PRIO_REPEAT,
    GARP_MASTER_DELAY,
    GARP_MASTER_REFRESH,
    GARP_MASTER_REFRESH_REPEAT,
    GARP_MASTER_REPEAT,
)
from alived.errors import LocalMisuse
from alived.units import SECOND, Ticks

PRIORITY_OWNER = 255
PRIORITY_STOP = 0
DEFAULT_PRIORITY = 100
NO_TIME = Ticks(0)


class InitialState(enum.Enum):
    """The `state` keyword: only a wish; keepalived's startup rules decide (facts §4.4)."""

    MASTER = "MASTER"
    BACKUP = "BACKUP"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerSpec:
    """One tracked object as the instance sees it: its kind and name, a weight and its sense.

    weight 0 means FAULT while failed; otherwise the weight is added while OK (positive weight)
    or while failed (negative weight); reverse flips the sign (keepalived's weight_multiplier -1).

    A `file` tracker (track_file) carries an integer instead of OK/failed: value x weight is
    added (see priority.file_status). initial_value is the value read when the instance was
    built; it is left out of comparisons so a reload does not see a changed plan when only the
    file's content moved since the last start.
    """

    kind: TrackerKind
    name: str
    weight: int = 0
    reverse: bool = False
    initially_ok: bool = True
    initial_value: int = field(default=0, compare=False)
    # A weight-0 script without init_fail: a starting daemon waits in INIT for its first result.
    awaited: bool = False

    @property
    def key(self) -> TrackerKey:
        return TrackerKey(self.kind, self.name)

    @property
    def file(self) -> bool:
        """A track_file: it carries an integer, not just OK/failed."""
        return self.kind is TrackerKind.FILE


@dataclass(frozen=True, slots=True, kw_only=True)
class GarpParams:
    """Gratuitous ARP / unsolicited NA settings (keepalived's garp_* keywords)."""

    master_delay: Ticks = GARP_MASTER_DELAY
    master_repeat: int = GARP_MASTER_REPEAT
    master_refresh: Ticks = GARP_MASTER_REFRESH
    refresh_repeat: int = GARP_MASTER_REFRESH_REPEAT
    lower_prio_delay: Ticks = GARP_LOWER_PRIO_DELAY
    lower_prio_repeat: int = GARP_LOWER_PRIO_REPEAT
    # garp_extra_if: while MASTER, one GARP/NA every extra_interval for the addresses on interfaces
    # other than the instance's (VMACs only, or all of them with `all`); NO_TIME: none.
    extra_interval: Ticks = NO_TIME
    extra_addresses: tuple[IPAddress, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceParams:
    """A vrrp_instance block, resolved: what the state machine needs and nothing it can't use.

    unicast_peer_ttl holds (peer, min_ttl, max_ttl) for peers given a TTL range; any range turns on
    the unicast source check, as in keepalived.
    primary_address is our own source address (mcast_src_ip/unicast_src_ip or the interface's
    primary address): it goes in the IP header and breaks equal-priority ties.
    virtual_routes / virtual_rules are opaque keys handed back in InstallRoutes/RemoveRoutes.
    """

    name: str
    vrid: int
    version: int = 2
    priority: int = DEFAULT_PRIORITY
    advert_int: Ticks = SECOND
    initial_state: InitialState = InitialState.BACKUP
    nopreempt: bool = False
    preempt_delay: Ticks = NO_TIME
    accept: bool = True
    addresses: tuple[IPAddress, ...] = ()
    excluded_addresses: tuple[IPAddress, ...] = ()
    primary_address: IPAddress
    unicast_peers: tuple[IPAddress, ...] = ()
    check_unicast_src: bool = False
    unicast_peer_ttl: tuple[tuple[IPAddress, int, int], ...] = ()
    auth_type: int = AUTH_NONE
    auth_key: bytes = b""
    down_timer_adverts: int = DOWN_TIMER_ADVERTS
    garp: GarpParams = field(default_factory=GarpParams)
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    strict_mode: bool = False
    skip_check_adv_addr: bool = False
    owner_ignore_adverts: bool = False
    notify_priority_changes: bool = False
    trackers: tuple[TrackerSpec, ...] = ()
    virtual_routes: tuple[Hashable, ...] = ()
    virtual_rules: tuple[Hashable, ...] = ()

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 1 <= self.vrid <= 255:
            problems.append(f"vrid {self.vrid} outside 1..255")
        if self.version not in (2, 3):
            problems.append(f"version {self.version} is not 2 or 3")
        if not 1 <= self.priority <= PRIORITY_OWNER:
            problems.append(f"priority {self.priority} outside 1..255")
        if self.advert_int <= 0:
            problems.append("advert_int must be positive")
        if self.version == 2 and self.advert_int % SECOND:
            problems.append("VRRPv2 advert_int must be whole seconds")
        if self.version == 3 and not 10_000 <= self.advert_int <= 40_950_000:
            problems.append("VRRPv3 advert_int must be 0.01..40.95 s")
        if not 1 <= self.down_timer_adverts <= 100:
            problems.append("down_timer_adverts outside 1..100")
        if self.auth_type not in (AUTH_NONE, AUTH_PASS, AUTH_AH):
            problems.append(f"auth_type {self.auth_type} unknown")
        if self.auth_type != AUTH_NONE and (self.version != 2 or self.family != 4):
            problems.append("authentication needs VRRPv2 over IPv4")
        if any(a.version != self.family for a in self.addresses):
            problems.append("advertised addresses must all be of the instance's family")
        if problems:
            # The daemon validates the config first; reaching here is our bug, not the user's.
            raise LocalMisuse(f"({self.name}) invalid InstanceParams: " + "; ".join(problems))

    @property
    def family(self) -> int:
        """4 or 6, from the primary address."""
        return self.primary_address.version

    @property
    def owner(self) -> bool:
        """Priority 255: the address owner."""
        return self.priority == PRIORITY_OWNER

    @property
    def unicast(self) -> bool:
        return bool(self.unicast_peers)

    def enforced(self) -> InstanceParams:
        """The params with strict mode's forced settings applied (facts §4.9)."""
        if not self.strict_mode:
            return self
        return replace(
            self,
            lower_prio_no_advert=True,
            higher_prio_send_advert=False,
            down_timer_adverts=3,
            owner_ignore_adverts=self.owner or self.owner_ignore_adverts,
            garp=replace(self.garp, lower_prio_repeat=0),
        )
