"""nftables backend on IPv6 (keepalived.conf.IPv6's NAT virtual server): real IPv6 HTTP traffic
balanced over two real servers; a persistent IPv6 service by port keeps a client on one real
server for its timeout (two persistence maps, address and port: libnftables 1.0.6 aborts the
process on one map with `address . port` data), forgets the clients of a server that leaves."""

from __future__ import annotations

import sys
import time
from collections import Counter

import pytest

from alived.core.lb.model import (
    Forwarding,
    RealServerHealth,
    RealServerParams,
    ServiceKey,
    ServiceParams,
    VirtualService,
    build_service,
)
from alived.lb import nft_render
from alived.lb.nftables import NftablesBackend
from tests.helpers.inns import inside
from tests.helpers.lb_topology import CHI2_1E6, HTTP_SERVER, chi_squared, client_requests, converge, nft_json
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

VIP6 = "2001:db8::10"
CLIENT6 = "2001:db8::2"
CLIENT6B = "2001:db8::3"
RS6 = {"rs1": "2001:db8:1::11", "rs2": "2001:db8:1::12"}
KEY6 = ServiceKey(family=6, protocol="TCP", address=VIP6, port=80)

SERVER6 = HTTP_SERVER.replace(
    "class S(socketserver.ThreadingMixIn, http.server.HTTPServer):",
    "import socket\nclass S(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
    "    address_family = socket.AF_INET6",
).replace('S(("0.0.0.0", 80), H)', 'S(("::", 80), H)')


def _build(lab: Lab) -> tuple[Namespace, Namespace]:
    client = lab.netns("lb6c")
    director = lab.netns("lb6d")
    lab.veth(client, "eth0", director, "eth0")
    client.ip("-6", "addr", "add", f"{CLIENT6}/64", "dev", "eth0", "nodad")
    client.ip("-6", "addr", "add", f"{CLIENT6B}/64", "dev", "eth0", "nodad")
    client.ip("-6", "route", "add", "default", "via", "2001:db8::1")
    director.ip("-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
    director.ip("-6", "addr", "add", f"{VIP6}/128", "dev", "eth0", "nodad")
    director.sysctl("net.ipv6.conf.all.forwarding", "1")
    hosts = {name: lab.netns(name) for name in RS6}
    lab.lan([director, *hosts.values()], dev="lan0")
    director.ip("-6", "addr", "add", "2001:db8:1::1/64", "dev", "lan0", "nodad")
    for name, ns in hosts.items():
        ns.ip("-6", "addr", "add", f"{RS6[name]}/64", "dev", "lan0", "nodad")
        ns.ip("-6", "route", "add", "default", "via", "2001:db8:1::1")
        ns.popen(sys.executable, "-c", SERVER6, name)
    for name, ns in hosts.items():
        wait_for(lambda ns=ns: ":80 " in ns.exec("ss", "-ltnH").stdout, what=f"{name} listening")
    return client, director


def _params(persistence: int = 0) -> ServiceParams:
    return ServiceParams(
        key=KEY6,
        lb_algo="rr",
        forwarding=Forwarding.NAT,
        persistence_timeout=persistence,
        real_servers=tuple(RealServerParams(address=a, port=80) for a in RS6.values()),
    )


def _service(persistence: int = 0, *down: str) -> VirtualService:
    health = {(a, 80): RealServerHealth(alive=name not in down) for name, a in RS6.items()}
    return build_service(_params(persistence), health)


def _requests(client: Namespace, n: int, source: str = CLIENT6) -> list[str]:
    return client_requests(client, VIP6, n, source)


def _persisted(director: Namespace) -> dict[str, str]:
    """Client -> real server name, from the service's two persistence maps as listed."""
    maps = {
        str(item["map"]["name"]): {  # type: ignore[index]
            nft_render.element_key(client)[0]: nft_render.value_text(data)
            for client, data in item["map"].get("elem", [])  # type: ignore[union-attr]
        }
        for item in nft_json(director, "table", "inet", "alived")
        if "map" in item and str(item["map"]["name"]).startswith("vp_")  # type: ignore[index]
    }
    name_of = {f"{a} . 80": name for name, a in RS6.items()}
    return {c: name_of[v] for c, v in nft_render.persisted(_service(2), maps).items()}


def test_ipv6_nat_service_balances_real_ipv6_traffic(lab: Lab) -> None:
    client, director = _build(lab)
    with inside(director):
        backend = NftablesBackend()
        assert converge(backend, [_service()]) == ()
    counts = Counter(_requests(client, 200))
    observed = [counts[name] for name in RS6]
    assert sum(observed) == 200, counts
    assert chi_squared(observed, [1, 1]) < CHI2_1E6[1], counts
    with inside(director):
        counters = backend.counters()[KEY6]
    assert counters.packets == 200
    assert sorted(p for p, _ in counters.real_servers.values()) == sorted(observed)


def test_ipv6_persistence_by_port_keeps_a_client_for_its_timeout(lab: Lab) -> None:
    client, director = _build(lab)
    vs = _service(2)
    name_of = {f"{a} . 80": name for name, a in RS6.items()}
    _, slots = nft_render.dispatch_elements(vs)
    order = [name_of[value] for value in slots]  # the servers in the order rr hands them out
    assert len(set(order[:10])) > 1  # without persistence 10 requests would be spread
    with inside(director):
        backend = NftablesBackend()  # this process: libnftables must not abort it
        assert converge(backend, [vs]) == ()
    assert _requests(client, 10) == [order[0]] * 10
    assert _requests(client, 3, CLIENT6B) == [order[1]] * 3  # another client, held in turn
    assert _persisted(director) == {CLIENT6: order[0], CLIENT6B: order[1]}
    time.sleep(3.5)  # past the 2 s timeout; no request refreshed it meanwhile
    assert _persisted(director) == {}
    # Let go: the first client is scheduled afresh (the next slot) and held there.
    assert _requests(client, 3) == [order[2]] * 3
    assert _requests(client, 3, CLIENT6B) == [order[3]] * 3
    held = {CLIENT6: order[2], CLIENT6B: order[3]}
    assert _persisted(director) == held
    # The first client's server leaves: its clients are forgotten, the others kept.
    with inside(director):
        assert converge(backend, [_service(2, order[2])]) == ()
    assert _persisted(director) == {c: name for c, name in held.items() if name != order[2]}
    (other,) = set(RS6) - {order[2]}
    assert _requests(client, 3) == [other] * 3
