"""nftables backend on IPv6 (keepalived.conf.IPv6's NAT virtual server): real IPv6 HTTP traffic
balanced over two real servers; a persistent IPv6 service by port is refused, never handed to
libnftables (1.0.6 aborts the process on its persistence map)."""

from __future__ import annotations

import sys
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
from alived.lb.nftables import NftablesBackend
from tests.helpers.inns import inside, run_python
from tests.helpers.lb_topology import CHI2_1E6, HTTP_SERVER, chi_squared, converge
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

VIP6 = "2001:db8::10"
CLIENT6 = "2001:db8::2"
RS6 = {"rs1": "2001:db8:1::11", "rs2": "2001:db8:1::12"}
KEY6 = ServiceKey(family=6, protocol="TCP", address=VIP6, port=80)

SERVER6 = HTTP_SERVER.replace(
    "class S(socketserver.ThreadingMixIn, http.server.HTTPServer):",
    "import socket\nclass S(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
    "    address_family = socket.AF_INET6",
).replace('S(("0.0.0.0", 80), H)', 'S(("::", 80), H)')

CLIENT = """
import http.client, json
names = []
for _ in range(N):
    try:
        c = http.client.HTTPConnection(VIP, 80, timeout=3)
        c.request("GET", "/", headers={"Connection": "close"})
        names.append(c.getresponse().read().decode())
        c.close()
    except OSError as e:
        names.append("error:" + type(e).__name__)
print(json.dumps(names))
"""


def _build(lab: Lab) -> tuple[Namespace, Namespace]:
    client = lab.netns("lb6c")
    director = lab.netns("lb6d")
    lab.veth(client, "eth0", director, "eth0")
    client.ip("-6", "addr", "add", f"{CLIENT6}/64", "dev", "eth0", "nodad")
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


def _service(persistence: int = 0) -> VirtualService:
    return build_service(_params(persistence), {(a, 80): RealServerHealth(alive=True) for a in RS6.values()})


def test_ipv6_nat_service_balances_real_ipv6_traffic(lab: Lab) -> None:
    client, director = _build(lab)
    code = CLIENT.replace("N)", "200)").replace("VIP,", f"{VIP6!r},")
    with inside(director):
        backend = NftablesBackend()
        # Persistent by port on IPv6: refused in Python (the process is still here to say so).
        refused = converge(backend, [_service(50)])
        assert refused and all("IPv6" in f.error for f in refused), refused
        assert converge(backend, [_service()]) == ()
    counts = Counter(run_python(client, code, timeout=120))
    observed = [counts[name] for name in RS6]
    assert sum(observed) == 200, counts
    assert chi_squared(observed, [1, 1]) < CHI2_1E6[1], counts
    with inside(director):
        counters = backend.counters()[KEY6]
    assert counters.packets == 200
    assert sorted(p for p, _ in counters.real_servers.values()) == sorted(observed)
