"""The faults an instance starts with, in keepalived's words: no source address, a link down,
a tracked file or process already failing. keepalived names these only at start-up."""

from __future__ import annotations

from collections.abc import Callable

from alived.core.vrrp.priority import faulting_trackers
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.translate import InstancePlan
from alived.errors import BackendError
from alived.linux.netlink import Netlink

IsUp = Callable[[str], bool]


def link_checker(netlink: Netlink) -> IsUp:
    """Whether a link is up; one that cannot be asked about counts as down."""

    def is_up(ifname: str) -> bool:
        try:
            return netlink.link_is_up(ifname)
        except BackendError:
            return False

    return is_up


def start_faults(plan: InstancePlan, is_up: IsUp) -> list[tuple[str, str]]:
    """(log line, reason) for each fault an instance starts with: no source address, link down."""
    faults: list[tuple[str, str]] = []
    if not plan.has_source:
        what = "IPv4 address" if plan.family == 4 else "IPv6 link-local address"
        line = f"({plan.name}) entering FAULT state (no {what} for interface)"
        faults.append((line, "no source address"))
    watched = () if plan.dont_track_primary else {plan.interface, plan.base_interface}
    for ifname in watched:
        if not is_up(ifname):
            line = f"({plan.name}): entering FAULT state (interface {ifname} down)"
            faults.append((line, f"interface {ifname} down"))
    return faults


def starts_in_fault(plan: InstancePlan, is_up: IsUp) -> bool:
    """A fault found at start, by the adapter or a tracked file or process (keepalived names
    those, then the instance, then removes its VIPs)."""
    trackers = faulting_trackers(plan.params.trackers, {})
    return bool(start_faults(plan, is_up)) or any(
        k.kind in (TrackerKind.FILE, TrackerKind.PROCESS) for k in trackers
    )
