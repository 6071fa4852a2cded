"""The director's links for LVS-DR, derived from the configuration and the routing table.

keepalived's lb_kind DR needs no link keyword: IPVS sends the frame out of whatever link the
route to the real server uses, and sees client packets wherever they arrive. The nftables
backend forwards at ingress (a netdev hook), so it must name both. They are derived as an
operator expects:

- the real servers' link: the link of the route to each DR real server's address (what
  `ip route get RS` says). The backend forwards on one link: when DR real servers sit behind
  several, the first is used and the others are logged.
- the ingress links: the interfaces of the vrrp_instances whose virtual_ipaddress holds a DR
  virtual address (the address's own `dev` if it has one). When no instance holds it (the VIP
  is managed elsewhere), every non-loopback link, minus nothing: a packet to the VIP is
  matched by address, so hooking more links than needed only costs a lookup per packet.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from alived.config import model
from alived.core.lb.model import Forwarding, ServiceParams

log = logging.getLogger("alived.check.lb")


@dataclass(frozen=True, slots=True)
class DrLinks:
    device: str | None = None
    ingress: tuple[str, ...] = ()


NO_LINKS = DrLinks()


def _vip_links(config: model.Config, address: str) -> list[str]:
    wanted = ipaddress.ip_address(address)
    links: list[str] = []
    for inst in config.instances:
        for entry in (*inst.virtual_ipaddress, *inst.virtual_ipaddress_excluded):
            if entry.address.ip == wanted:
                dev = entry.dev or inst.interface
                if dev is not None and dev not in links:
                    links.append(dev)
    for entry in config.static_ipaddress:
        if entry.address.ip == wanted and entry.dev is not None and entry.dev not in links:
            links.append(entry.dev)
    return links


def derive(
    config: model.Config,
    services: Iterable[ServiceParams],
    route_device: Callable[[str], str | None],
    all_links: Callable[[], Iterable[str]],
) -> DrLinks:
    """The DR links for `services` (none: no DR service). Lookups happen only when DR is used."""
    dr = [p for p in services if p.forwarding == Forwarding.DR and p.key.address is not None]
    if not dr:
        return DrLinks()
    devices: list[str] = []
    for p in dr:
        for rs in p.real_servers:
            if rs.forwarding != Forwarding.DR:
                continue
            dev = route_device(rs.address)
            if dev is None:
                log.error("LB: no route to DR real server %s: it cannot be forwarded to", rs.address)
            elif dev not in devices:
                devices.append(dev)
    if len(devices) > 1:
        log.warning(
            "LB: DR real servers are behind %s: forwarding on %s only", ", ".join(devices), devices[0]
        )
    ingress: list[str] = []
    unknown = False
    for p in dr:
        assert p.key.address is not None
        links = _vip_links(config, p.key.address)
        if not links:
            unknown = True
        ingress += [dev for dev in links if dev not in ingress]
    if unknown:
        ingress += [dev for dev in all_links() if dev != "lo" and dev not in ingress]
    return DrLinks(device=devices[0] if devices else None, ingress=tuple(ingress))


def kernel_links(config: model.Config, services: Iterable[ServiceParams]) -> DrLinks:
    """`derive` against this namespace's routing table and links (netlink)."""
    dr = [p for p in services if p.forwarding == Forwarding.DR]
    if not dr:
        return DrLinks()
    from alived.linux.netlink import Netlink  # noqa: PLC0415  (only when DR is configured)

    with Netlink() as nl:
        return derive(config, dr, nl.route_device, lambda: sorted(link.name for link in nl.all_links()))
