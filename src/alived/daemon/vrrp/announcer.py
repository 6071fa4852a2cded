"""The VRRP child's L2 announcer: gratuitous ARPs, unsolicited NAs and split-brain probes.

It owns the interfaces' L2 sockets, their MACs (read once through netlink, forgotten when a
link changes) and one pacer per interface and frame kind, so `vrrp_garp_interval` /
`vrrp_gna_interval` (or the interface's garp_group) space the frames as keepalived does.
The action runner hands it SendGratuitous actions; the split-brain monitor its probes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Protocol

from alived.config import model
from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import unsolicited_na
from alived.core.vrrp.actions import SendGratuitous
from alived.core.vrrp.wire import IPAddress
from alived.daemon.vrrp.garp_pacer import Pacer
from alived.daemon.vrrp.translate import InstancePlan
from alived.linux.l2_socket import L2Socket
from alived.linux.netlink import Netlink
from alived.units import Ticks, to_seconds

log = logging.getLogger("alived.vrrp")


class World(Protocol):
    """What the announcer reads of the child; it never writes any of it."""

    @property
    def plans(self) -> dict[str, InstancePlan]: ...

    @property
    def config(self) -> model.Config | None: ...

    @property
    def netlink(self) -> Netlink | None: ...


class Announcer:
    """Paced L2 frames per interface; counts, per instance, the frames it was handed."""

    def __init__(self, world: World, open_l2: Callable[[str], L2Socket]) -> None:
        self.world = world
        self._open_l2 = open_l2
        self.l2: dict[str, L2Socket] = {}
        self.macs: dict[str, bytes] = {}
        self.pacers: dict[tuple[str, bool], Pacer] = {}  # (interface, NA?) -> its GARP/NA pacer
        self.garps_sent: Counter[str] = Counter()
        self.nas_sent: Counter[str] = Counter()

    def send_gratuitous(self, name: str, action: SendGratuitous) -> None:
        plan = self.world.plans.get(name)
        if plan is None:
            return
        by_dev: dict[str, list[IPAddress]] = {}
        for spec in plan.vip_specs(action.addresses):
            by_dev.setdefault(spec.dev, []).append(spec.address)
        for dev, addresses in by_dev.items():
            mac = self._mac(dev)
            for address in addresses:
                if isinstance(address, IPv4Address):
                    log.debug("(%s) Sending/queueing gratuitous ARPs on %s for %s", name, dev, address)
                    frame = gratuitous_arp(mac, address)
                    what = "gratuitous ARP"
                else:
                    log.debug(
                        "(%s) Sending/queueing Unsolicited Neighbour Adverts on %s for %s", name, dev, address
                    )
                    frame = unsolicited_na(mac, address, router=True)
                    what = "unsolicited Neighbour Advert"
                pacer = self._pacer(dev, na=not isinstance(address, IPv4Address))
                sent = self.garps_sent if isinstance(address, IPv4Address) else self.nas_sent
                sent[name] += action.repeat
                for _ in range(action.repeat):
                    log.debug("Sending %s on %s for %s", what, dev, address)
                    pacer.submit(frame)

    def send_probe(self, ifname: str, frame: bytes, *, na: bool = False) -> None:
        """A split-brain probe (split_brain.py), spaced like the GARPs (NS: like the NAs); skipped
        while frames of that kind wait."""
        pacer = self._pacer(ifname, na=na)
        if not pacer.queue:
            pacer.submit(frame)

    def forget_mac(self, ifname: str) -> None:
        self.macs.pop(ifname, None)

    def close(self) -> None:
        for pacer in self.pacers.values():
            pacer.cancel()
        self.pacers.clear()
        for l2 in self.l2.values():
            l2.close()
        self.l2.clear()

    def _l2(self, ifname: str) -> L2Socket:
        sock = self.l2.get(ifname)
        if sock is None:
            sock = self._open_l2(ifname)
            self.l2[ifname] = sock
        return sock

    def _mac(self, ifname: str) -> bytes:
        mac = self.macs.get(ifname)
        if mac is None:
            assert self.world.netlink is not None
            mac = self.world.netlink.link_mac(ifname)
            self.macs[ifname] = mac
        return mac

    def _pacer(self, ifname: str, *, na: bool) -> Pacer:
        """The interface's GARP (or NA) pacer, with the interval the current config gives it."""
        interval = Ticks(0)
        if self.world.config is not None:
            g = self.world.config.global_defs
            interval = g.vrrp_gna_interval if na else g.vrrp_garp_interval
            for group in self.world.config.garp_groups:
                if ifname in group.interfaces:
                    chosen = group.gna_interval if na else group.garp_interval
                    if chosen is not None:
                        interval = chosen
        pacer = self.pacers.get((ifname, na))
        if pacer is None:
            loop = asyncio.get_running_loop()
            pacer = Pacer(loop, lambda frame: self._l2(ifname).send(frame), to_seconds(interval))
            self.pacers[(ifname, na)] = pacer
        pacer.interval = to_seconds(interval)
        return pacer
