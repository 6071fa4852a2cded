"""The VRRP child's link watch: what the netlink monitor reports, turned into instance inputs.

A link going down is a fault of every instance on it (unless dont_track_primary) and a tracker
change for those that track it; a source address appearing restarts an instance that had none.
The watch keeps the last state of each link so that a repeated event logs nothing new.
"""

from __future__ import annotations

import logging
from typing import Protocol

from alived.core.vrrp.inputs import FaultCleared, FaultRaised, TrackerChanged
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import IPAddress
from alived.daemon.vrrp.view import ChildView

log = logging.getLogger("alived.vrrp")


class LinkWorld(ChildView, Protocol):
    """What the watch reads of the child, and the three things it may ask of it."""

    @property
    def stopping(self) -> bool: ...

    def forget_mac(self, ifname: str) -> None: ...

    def restart_with_source(self, names: list[str]) -> None: ...


class LinkWatch:
    """Link and address events from the kernel, as faults, tracker changes and restarts."""

    def __init__(self, world: LinkWorld, *, address_monitoring: bool) -> None:
        self.world = world
        self.address_monitoring = address_monitoring
        self.link_state: dict[str, bool] = {}

    def on_link(self, ifname: str, up: bool) -> None:
        self.world.forget_mac(ifname)
        known = self.link_state.get(ifname)
        self.link_state[ifname] = up
        if known is not None and known != up and self._used(ifname):
            # keepalived reports only the links its instances use.
            log.info("Netlink reports %s %s", ifname, "up" if up else "down")
        for name, plan in list(self.world.plans.items()):
            watched = {plan.interface, plan.base_interface}
            if plan.dont_track_primary:
                watched = set()
            if ifname in watched:
                reason = f"interface {ifname} down"
                self.world.feed(name, FaultCleared(reason=reason) if up else FaultRaised(reason=reason))
            if ifname in plan.track_interfaces:
                self.world.feed(name, TrackerChanged(kind=TrackerKind.INTERFACE, name=ifname, ok=up))

    def _used(self, ifname: str) -> bool:
        return any(
            ifname in (plan.interface, plan.base_interface, plan.vip_interface)
            or ifname in plan.track_interfaces
            or any(spec.dev == ifname for spec in (*plan.vips, *plan.evips))
            for plan in self.world.plans.values()
        )

    def on_address(self, ifname: str, address: IPAddress, added: bool) -> None:
        if self.address_monitoring:
            log.info("Netlink reports %s %s %s", ifname, "added" if added else "removed", address)
        if not added or self.world.config is None or self.world.stopping:
            return
        waiting = [
            name
            for name, plan in self.world.plans.items()
            if not plan.has_source
            and plan.base_interface == ifname
            and plan.family == address.version
            and (plan.family == 4 or address.is_link_local)
            and plan.sync_group is None
        ]
        if waiting:
            self.world.restart_with_source(waiting)
