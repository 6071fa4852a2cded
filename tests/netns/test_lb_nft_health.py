"""nftables backend steered by health, with real HTTP traffic (NAT).

A server going down (or to weight 0) gets no new connection while an established one keeps
being answered by it (DNAT is decided on a connection's first packet; conntrack keeps it);
all down -> the sorry server answers; back up -> back in the pool. Persistence keeps a client
on its server for the timeout and lets it go after.
"""

from __future__ import annotations

import http.client
import time

import pytest

from alived.core.lb.model import RealServerHealth, build_service
from alived.lb.nftables import NftablesBackend
from tests.helpers.inns import inside
from tests.helpers.lb_topology import CLIENTS, RS_ADDR, VIP, build, converge, health, params, service
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns


def _get(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", "/")
    return conn.getresponse().read().decode()


@pytest.mark.parametrize("how", ["down", "weight 0"])
def test_a_server_leaving_gets_no_new_connection_while_established_ones_finish(lab: Lab, how: str) -> None:
    lb = build(lab)
    p = params("rr")
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(p)]) == ()
    with inside(lb.client):
        held = http.client.HTTPConnection(VIP, 80, timeout=5, source_address=(CLIENTS[0], 0))
        held.connect()
    try:
        first = _get(held)
        assert first in RS_ADDR
        if how == "down":
            desired = service(p, first)
        else:
            h = health()
            h[(RS_ADDR[first], 80)] = RealServerHealth(alive=True, weight=0)
            desired = build_service(p, h)
        with lb.in_director():
            assert converge(backend, [desired]) == ()
        counts = lb.counts(60)
        assert first not in counts, counts
        assert sum(counts.values()) == 60 and set(counts) <= set(RS_ADDR), counts
        # The connection opened before the change is still answered by the same server.
        assert [_get(held) for _ in range(3)] == [first] * 3
    finally:
        held.close()


def test_all_down_sorry_server_answers_and_servers_come_back(lab: Lab) -> None:
    lb = build(lab, sorry=True)
    p = params("rr", sorry=True)
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(p, "rs1")]) == ()
    assert set(lb.counts(20)) == {"rs2", "rs3"}
    with lb.in_director():
        assert converge(backend, [service(p, *RS_ADDR)]) == ()
    assert lb.counts(10) == {"sorry": 10}
    with lb.in_director():
        assert converge(backend, [build_service(p, health(), had_quorum=False)]) == ()
    assert set(lb.counts(30)) == set(RS_ADDR)


def test_persistence_keeps_a_client_for_its_timeout_then_lets_it_go(lab: Lab) -> None:
    lb = build(lab)
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(params("rr", persistence=2))]) == ()
    first = lb.requests(10)
    assert len(set(first)) == 1, first
    # Another client is not held to it: rr goes on from where it was.
    assert lb.requests(1, CLIENTS[1]) != first[:1]
    time.sleep(3.5)  # past the 2 s timeout; no request refreshed it meanwhile
    later = lb.requests(3)
    assert later[0] != first[0], (first, later)
    assert len(set(later)) == 1, later
