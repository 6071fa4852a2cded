"""nftables DR with real traffic: frames forwarded unchanged to the real servers at ingress.

The director hooks the client-facing link at ingress (netdev table `alived`), picks a real
server by a Maglev hash of the flow and forwards the frame to it on the servers' link
(`fwd ip to RS device lan0`: the kernel resolves the MAC). The real servers hold the VIP on lo
(arp_ignore/arp_announce as for any LVS-DR server) and answer the client directly, routed by
their gateway (here the director routes, so it must not hold the VIP: a packet from a local
address arriving from outside is a martian).
"""

from __future__ import annotations

import pytest

from alived.core.lb.model import Forwarding, RealServerParams
from alived.lb.nftables import NftablesBackend
from tests.helpers.lb_topology import (
    CHI2_1E6,
    KEY,
    RS_ADDR,
    VIP,
    build,
    chi_squared,
    converge,
    params,
    service,
)
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns


def dr_params(algo: str = "rr"):  # type: ignore[no-untyped-def]
    p = params(algo)
    rs = tuple(
        RealServerParams(address=r.address, port=80, weight=r.weight, forwarding=Forwarding.DR)
        for r in p.real_servers
    )
    return type(p)(key=p.key, lb_algo=algo, forwarding=Forwarding.DR, real_servers=rs)


def dr_lab(lab: Lab):  # type: ignore[no-untyped-def]
    lb = build(lab)
    lb.director.ip("addr", "del", f"{VIP}/32", "dev", "eth0")
    # The VIP is in the client's subnet: without the director answering ARP for it, the client
    # reaches it through the director as its router.
    lb.client.ip("route", "add", f"{VIP}/32", "via", "203.0.113.1")
    for ns in lb.servers.values():
        ns.ip("addr", "add", f"{VIP}/32", "dev", "lo")
        ns.sysctl("net.ipv4.conf.all.arp_ignore", "1")
        ns.sysctl("net.ipv4.conf.all.arp_announce", "2")
    return lb


def test_dr_carries_traffic_spread_evenly_and_follows_health(lab: Lab) -> None:
    lb = dr_lab(lab)
    p = dr_params("rr")
    with lb.in_director():
        backend = NftablesBackend(dr_device="lan0", dr_ingress=("eth0",))
        assert converge(backend, [service(p)]) == ()
    counts = lb.counts(300)
    observed = [counts[name] for name in RS_ADDR]
    assert sum(observed) == 300, counts
    assert chi_squared(observed, [1, 1, 1]) < CHI2_1E6[2], counts
    with lb.in_director():
        counters = backend.counters()[KEY]
        assert converge(backend, [service(p, "rs2")]) == ()
        again = NftablesBackend(dr_device="lan0", dr_ingress=("eth0",))
        assert again.read_actual() == backend.read_actual()
    assert counters.packets >= 300 * 5  # every packet of every flow passes the director (ingress)
    counts = lb.counts(60)
    assert "rs2" not in counts and sum(counts.values()) == 60, counts
    # The NAT table is not involved: nothing was DNATed.
    assert "dnat ip" not in lb.director.exec("nft", "list", "table", "inet", "alived").stdout


def test_a_new_ingress_link_re_hooks_the_dr_chain_and_carries_traffic(lab: Lab) -> None:
    # As on a reload whose DR links changed: a backend on the new links moves the ingress hook
    # to them in one transaction; the services' chains and maps stay as they are.
    lb = dr_lab(lab)
    p = dr_params("rr")
    with lb.in_director():
        first = NftablesBackend(dr_device="lan0", dr_ingress=("lan0",))  # not where clients arrive
        assert converge(first, [service(p)]) == ()
        moved = NftablesBackend(dr_device="lan0", dr_ingress=("eth0",))
        assert moved.read_actual() == first.read_actual()
    hook = lb.director.exec("nft", "list", "chain", "netdev", "alived", "ingress").stdout
    assert 'device "eth0"' in hook and "lan0" not in hook, hook
    counts = lb.counts(30)
    assert sum(counts.values()) == 30 and set(counts) <= set(RS_ADDR), counts
