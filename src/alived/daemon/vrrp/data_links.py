"""What the VRRP child knows of the namespace's interfaces, for the `.data` dump's `Gratuitous ARP
delays` and `Interfaces` sections (daemon/vrrp/data_sections.py writes them).

Every interface netlink reports now, with the addresses that are its own (not the VIPs or static
addresses alived set), the VMAC sysctls alived saved, its GARP/NA spacing and the instances
tracking it; and each GARP/NA spacing with the time its next frame may go.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Protocol

from alived.config import model
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.data_sections import NOT_TRACKED_WEIGHT, GarpDelayReport, InterfaceReport, Tracking
from alived.daemon.vrrp.garp_pacer import Pacer
from alived.daemon.vrrp.translate import InstancePlan, static_addresses
from alived.errors import BackendError
from alived.linux.netlink import RT_SCOPE_LINK, LinkInfo, Netlink
from alived.linux.vmac import Vmac, VmacManager

log = logging.getLogger("alived.vrrp")


class LinksView(Protocol):
    """What the interface sections read of the VRRP child."""

    @property
    def config(self) -> model.Config | None: ...

    @property
    def plans(self) -> dict[str, InstancePlan]: ...

    @property
    def netlink(self) -> Netlink | None: ...

    @property
    def vmacs(self) -> VmacManager | None: ...

    def garp_pacers(self) -> Mapping[tuple[str, bool], Pacer]: ...


def _wall(pacer: Pacer | None) -> float:
    """When the pacer lets its next frame go, as Unix time; 0.0 before its first frame."""
    if pacer is None or not pacer.next_at:
        return 0.0
    return time.time() + (pacer.next_at - pacer.loop.time())


def garp_delay_reports(world: LinksView) -> tuple[GarpDelayReport, ...]:
    """The GARP/NA spacings: each garp_group, then each interface the instances use, when the
    global vrrp_garp_interval or vrrp_gna_interval is set (keepalived's set_default_garp_delay)."""
    config = world.config
    if config is None:
        return ()
    pacers = world.garp_pacers()
    names = _link_names(world)

    def latest(ifnames: Sequence[str], na: bool) -> float:
        return max((_wall(pacers.get((n, na))) for n in ifnames), default=0.0)

    out = []
    grouped: set[str] = set()
    for group in config.garp_groups:
        members = [n for n in names if n in group.interfaces] if names else list(group.interfaces)
        grouped.update(group.interfaces)
        out.append(
            GarpDelayReport(
                group=group.aggregation_group,
                garp_interval_us=group.garp_interval,
                gna_interval_us=group.gna_interval,
                garp_next=latest(members, False),
                gna_next=latest(members, True),
                interfaces=tuple(members),
            )
        )
    g = config.global_defs
    if g.vrrp_garp_interval or g.vrrp_gna_interval:
        used = dict.fromkeys(
            n
            for plan in world.plans.values()
            for n in (plan.base_interface, *(s.dev for s in (*plan.vips, *plan.evips)))
            if n not in grouped
        )
        out += [
            GarpDelayReport(
                group=0,
                garp_interval_us=g.vrrp_garp_interval or None,
                gna_interval_us=g.vrrp_gna_interval or None,
                garp_next=_wall(pacers.get((n, False))),
                gna_next=_wall(pacers.get((n, True))),
                interfaces=(n,),
            )
            for n in used
        ]
    return tuple(out)


def _link_names(world: LinksView) -> list[str]:
    """The namespace's interfaces by index ([] when netlink cannot say)."""
    if world.netlink is None:
        return []
    try:
        return [link.name for link in sorted(world.netlink.all_links(), key=lambda link: link.index)]
    except BackendError:
        return []


def _tracking(plans: Mapping[str, InstancePlan]) -> dict[str, list[Tracking]]:
    """Per interface, the instances it is tracked by, in keepalived's order: each instance's
    track_interface entries, then its own interface (weight 255 with dont_track_primary)."""
    out: dict[str, list[Tracking]] = {}
    for name, plan in plans.items():
        for t in plan.params.trackers:
            if t.kind is TrackerKind.INTERFACE:
                out.setdefault(t.name, []).append(Tracking(iname=name, weight=t.weight, reverse=t.reverse))
        weight = NOT_TRACKED_WEIGHT if plan.dont_track_primary else 0
        for ifname in dict.fromkeys((plan.base_interface, plan.interface)):
            listed = out.setdefault(ifname, [])
            if all(t.iname != name for t in listed):
                listed.append(Tracking(iname=name, weight=weight))
    return out


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _garp(
    config: model.Config | None, plans: Mapping[str, InstancePlan]
) -> dict[str, tuple[int | None, int | None, int]]:
    """Per interface with GARP pacing: (GARP interval, NA interval, garp_group number) in Ticks."""
    if config is None:
        return {}
    g = config.global_defs
    out: dict[str, tuple[int | None, int | None, int]] = {}
    default = (g.vrrp_garp_interval or None, g.vrrp_gna_interval or None, 0)
    for plan in plans.values():
        for ifname in (plan.base_interface, *(s.dev for s in (*plan.vips, *plan.evips))):
            out.setdefault(ifname, default)
    for group in config.garp_groups:
        for ifname in group.interfaces:
            out[ifname] = (group.garp_interval, group.gna_interval, group.aggregation_group)
    return out


def interface_reports(world: LinksView) -> tuple[InterfaceReport, ...]:
    """Every interface of the namespace, as keepalived lists them (by index)."""
    netlink = world.netlink
    if netlink is None:
        return ()
    plans = world.plans
    # Addresses alived sets (VIPs, eVIPs, static ones) are not the interface's own, as keepalived's.
    ours = {s.address for plan in plans.values() for s in (*plan.vips, *plan.evips)}
    if world.config is not None:
        ours.update(a.address for a in static_addresses(world.config))
    vmacs = world.vmacs.vmacs if world.vmacs is not None else {}
    saved = world.vmacs.saved_sysctls if world.vmacs is not None else {}
    tracking = _tracking(plans)
    garp = _garp(world.config, plans)
    try:
        links = sorted(netlink.all_links(), key=lambda link: link.index)
        by_name = {link.name: link for link in links}
        out = []
        with netlink.address_snapshot():
            for link in links:
                out.append(
                    _interface(
                        netlink,
                        link,
                        ours=ours,
                        by_name=by_name,
                        vmacs=vmacs,
                        saved=saved,
                        tracking=tracking,
                        garp=garp,
                    )
                )
    except BackendError as err:
        log.error("Unable to list the interfaces for the data dump: %s", err)
        return ()
    return tuple(out)


def _interface(
    netlink: Netlink,
    link: LinkInfo,
    *,
    ours: set[IPv4Address | IPv6Address],
    by_name: Mapping[str, LinkInfo],
    vmacs: Mapping[str, Vmac],
    saved: Mapping[str, str],
    tracking: Mapping[str, list[Tracking]],
    garp: Mapping[str, tuple[int | None, int | None, int]],
) -> InterfaceReport:
    v4: list[str] = []
    v6: list[str] = []
    for entry in netlink.address_entries(link.name):
        if entry.address in ours:
            continue
        if isinstance(entry.address, IPv4Address):
            v4.append(str(entry.address))
        elif entry.scope == RT_SCOPE_LINK:  # keepalived keeps IPv6 link-locals only
            v6.append(str(entry.address))
    vmac = vmacs.get(link.name)
    parent = vmac.parent if vmac is not None else ""
    parent_flags = by_name[parent].flags if parent in by_name else 0
    garp_us, gna_us, group = garp.get(link.name, (None, None, 0))

    def original(setting: str) -> int | None:
        value = saved.get(f"net.ipv4.conf.{link.name}.{setting}")
        return int(value) if value is not None and value.strip().lstrip("-").isdigit() else None

    return InterfaceReport(
        name=link.name,
        index=link.index,
        ipv4=v4[0] if v4 else "",
        ipv4_more=tuple(v4[1:]),
        ipv6=v6[0] if v6 else "",
        ipv6_more=tuple(v6[1:]),
        mac=_mac(link.mac) if any(link.mac) else "",
        mac_broadcast=_mac(link.broadcast),
        flags=link.flags,
        seen_up=link.is_up,
        mtu=link.mtu,
        hw_type=link.hw_type,
        vmac_parent=parent,
        vmac_parent_flags=parent_flags,
        garp_interval_us=garp_us,
        gna_interval_us=gna_us,
        garp_group=group,
        arp_resets=sum(1 for v in vmacs.values() if v.parent == link.name),
        arp_ignore=original("arp_ignore") or 0,
        arp_filter=original("arp_filter") or 0,
        rp_filter=original("rp_filter"),
        tracking=tuple(tracking.get(link.name, ())),
    )
