"""A load-balancing lab: client, director, three real servers (and a sorry server) in namespaces.

    client 203.0.113.2-4 ── eth0 ── director 203.0.113.1 (VIP 203.0.113.10) ── lan0 ── rs1..rs3, sorry
                                               198.51.100.1                       198.51.100.11-13, .99

The real servers route back through the director (their default gateway), as NAT needs. Each
runs a small HTTP server answering its own name. `requests()` makes N fresh connections from
the client (one HTTP request each) and returns the names that answered.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from alived.core.lb.model import (
    Forwarding,
    LbState,
    RealServerHealth,
    RealServerParams,
    ServiceKey,
    ServiceParams,
    VirtualService,
    build_service,
)
from alived.core.lb.plan import plan
from alived.demo_lb import WEB_SERVER as HTTP_SERVER
from alived.lb.base import OpFailure
from tests.helpers.inns import inside, run_python
from tests.helpers.netns import Lab, Namespace, wait_for

VIP = "203.0.113.10"
CLIENTS = ("203.0.113.2", "203.0.113.3", "203.0.113.4")
RS_ADDR = {"rs1": "198.51.100.11", "rs2": "198.51.100.12", "rs3": "198.51.100.13"}
SORRY_ADDR = "198.51.100.99"
KEY = ServiceKey(protocol="TCP", address=VIP, port=80)


CLIENT = """
import http.client, json, socket, sys
vip, n, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = []
for _ in range(n):
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=3, source_address=(source, 0))
        c.request("GET", "/", headers={"Connection": "close"})
        names.append(c.getresponse().read().decode())
        c.close()
    except OSError as e:
        names.append("error:" + type(e).__name__)
print(json.dumps(names))
"""


def client_requests(client: Namespace, vip: str, n: int, source: str) -> list[str]:
    """`n` requests to `vip` from `source`, each on a fresh connection: the names that answered."""
    code = CLIENT.replace("sys.argv[1], int(sys.argv[2]), sys.argv[3]", f"{vip!r}, {n}, {source!r}")
    names: list[str] = run_python(client, code, timeout=120)
    return names


# Chi-squared critical values at p = 1e-6 by degrees of freedom: a fair balancer exceeds them
# once in a million runs, a broken one (e.g. all to one server) exceeds them by far.
CHI2_1E6 = {1: 23.93, 2: 27.63, 3: 30.66}


def chi_squared(observed: Sequence[int], weights: Sequence[int]) -> float:
    total = sum(observed)
    expected = [total * w / sum(weights) for w in weights]
    return math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


@dataclass
class LbLab:
    """The namespaces, and a backend driven from inside the director."""

    lab: Lab
    client: Namespace
    director: Namespace
    servers: dict[str, Namespace] = field(default_factory=dict)

    @contextmanager
    def in_director(self) -> Iterator[None]:
        with inside(self.director):
            yield

    def requests(self, n: int, source: str = CLIENTS[0]) -> list[str]:
        return client_requests(self.client, VIP, n, source)

    def counts(self, n: int, source: str = CLIENTS[0]) -> Counter[str]:
        return Counter(self.requests(n, source))


def build(lab: Lab, *, sorry: bool = False) -> LbLab:
    client = lab.netns("lbc")
    director = lab.netns("lbd")
    lab.veth(client, "eth0", director, "eth0")
    client.ip("addr", "add", f"{CLIENTS[0]}/24", "dev", "eth0")
    for extra in CLIENTS[1:]:
        client.ip("addr", "add", f"{extra}/32", "dev", "eth0")
    client.ip("route", "add", "default", "via", "203.0.113.1")
    director.ip("addr", "add", "203.0.113.1/24", "dev", "eth0")
    director.ip("addr", "add", f"{VIP}/32", "dev", "eth0")
    director.sysctl("net.ipv4.ip_forward", "1")
    names = [*RS_ADDR, *(("sorry",) if sorry else ())]
    hosts = {name: lab.netns(name) for name in names}
    lab.lan([director, *hosts.values()], dev="lan0")
    director.ip("addr", "add", "198.51.100.1/24", "dev", "lan0")
    for name, ns in hosts.items():
        addr = RS_ADDR.get(name, SORRY_ADDR)
        ns.ip("addr", "add", f"{addr}/24", "dev", "lan0")
        ns.ip("route", "add", "default", "via", "198.51.100.1")
        ns.popen(sys.executable, "-c", HTTP_SERVER, name)
    for name, ns in hosts.items():
        wait_for(lambda ns=ns: ":80 " in ns.exec("ss", "-ltnH").stdout, what=f"{name} listening")
    return LbLab(lab=lab, client=client, director=director, servers=hosts)


def params(
    algo: str = "rr",
    weights: Sequence[int] = (1, 1, 1),
    *,
    persistence: int = 0,
    sorry: bool = False,
    key: ServiceKey = KEY,
) -> ServiceParams:
    rs = tuple(
        RealServerParams(address=addr, port=80, weight=w)
        for addr, w in zip(RS_ADDR.values(), weights, strict=True)
    )
    return ServiceParams(
        key=key,
        lb_algo=algo,
        forwarding=Forwarding.NAT,
        persistence_timeout=persistence,
        real_servers=rs,
        sorry_server=RealServerParams(address=SORRY_ADDR, port=80) if sorry else None,
    )


def health(*down: str) -> dict[tuple[str, int], RealServerHealth]:
    return {(addr, 80): RealServerHealth(alive=name not in down) for name, addr in RS_ADDR.items()}


def converge(backend: object, services: Sequence[VirtualService]) -> tuple[OpFailure, ...]:
    """Plan against the backend's actual state and apply (what the checker child will do)."""
    desired = LbState.of(services)
    actual = backend.read_actual()  # type: ignore[attr-defined]
    failures: tuple[OpFailure, ...] = backend.apply(plan(desired, actual))  # type: ignore[attr-defined]
    return failures


def service(p: ServiceParams, *down: str) -> VirtualService:
    return build_service(p, health(*down))


def nft_json(ns: Namespace, *what: str) -> list[dict[str, object]]:
    out = ns.exec("nft", "-j", "list", *what).stdout
    items: list[dict[str, object]] = json.loads(out)["nftables"]
    return items
