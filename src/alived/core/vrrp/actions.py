"""Actions a VRRP instance asks its adapter to perform, in order: one frozen class per imperative.

The adapter runs them in the order popped; the order is part of the contract (tested): becoming
MASTER is SendAdvert, InstallVips, InstallRoutes, SendGratuitous, RunNotify; a master stopping
sends its priority-0 SendAdvert before RemoveVips.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from alived.core.vrrp.wire import Advert, IPAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class SendAdvert:
    """Send this advertisement (multicast, or one copy per unicast peer).

    ah_seq is the AH sequence number to use when the instance authenticates with AH.
    """

    advert: Advert
    ah_seq: int | None = None

    @property
    def priority(self) -> int:
        return self.advert.priority


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallVips:
    """Add the virtual addresses (advertised and excluded); accept=False means install drop rules."""

    addresses: tuple[IPAddress, ...]
    excluded: tuple[IPAddress, ...] = ()
    accept: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveVips:
    """Remove the virtual addresses (and any accept-mode firewall rules)."""

    addresses: tuple[IPAddress, ...]
    excluded: tuple[IPAddress, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallRoutes:
    """Add virtual_routes then virtual_rules (opaque keys from InstanceParams)."""

    routes: tuple[Hashable, ...]
    rules: tuple[Hashable, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveRoutes:
    """Remove virtual_rules then virtual_routes."""

    routes: tuple[Hashable, ...]
    rules: tuple[Hashable, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SendGratuitous:
    """Send `repeat` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for each address.

    reason: "master" (on becoming MASTER), "delayed" (after garp_master_delay), "refresh"
    (garp_master_refresh), "extra_if" (garp_extra_if) or "lower_prio" (after a lower-priority advert).
    """

    addresses: tuple[IPAddress, ...]
    repeat: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunNotify:
    """Notify scripts, FIFO and mail for a state (or event) of an instance or a sync group.

    kind is INSTANCE or GROUP; state is MASTER, BACKUP, FAULT, STOP, or an event such as
    MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY. priority is the effective priority
    (always 0 for groups).
    """

    kind: str
    name: str
    state: str
    priority: int

    def notify_args(self) -> tuple[str, str, str, str]:
        """The four arguments appended to the generic `notify` script (facts §3.5)."""
        return (self.kind, self.name, self.state, str(self.priority))


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged:
    """The instance changed state; reason says why (e.g. "init", "master_down", "higher_priority")."""

    name: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Log:
    """A log line in keepalived's words; level is a syslog level name (info, debug, warning, error)."""

    level: str
    text: str


Action = (
    SendAdvert
    | InstallVips
    | RemoveVips
    | InstallRoutes
    | RemoveRoutes
    | SendGratuitous
    | RunNotify
    | StateChanged
    | Log
)
