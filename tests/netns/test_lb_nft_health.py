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
from alived.lb import nft_render
from alived.lb.nftables import NftablesBackend
from tests.helpers.inns import inside
from tests.helpers.lb_topology import (
    CLIENTS,
    RS_ADDR,
    VIP,
    build,
    converge,
    health,
    nft_json,
    params,
    service,
)
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


def _slot_names(vs: object) -> list[str]:
    """The server names in the order rr hands them out (the service's Maglev slots)."""
    by_value = {nft_render.dest_value(vs, rs): rs.address for rs in vs.real_servers}  # type: ignore[arg-type, attr-defined]
    name_of = {addr: name for name, addr in RS_ADDR.items()}
    _, elements = nft_render.dispatch_elements(vs)  # type: ignore[arg-type]
    return [name_of[by_value[value]] for value in elements]


def _persisted_clients(lb: object) -> int:
    """Clients in the persistence maps (`vp_...`: client -> real server)."""
    maps = nft_json(lb.director, "table", "inet", "alived")  # type: ignore[attr-defined]
    return sum(
        len(item["map"].get("elem", []))  # type: ignore[union-attr]
        for item in maps
        if "map" in item and str(item["map"]["name"]).startswith("vp_")  # type: ignore[index]
    )


def test_persistence_keeps_a_client_for_its_timeout_then_lets_it_go(lab: Lab) -> None:
    lb = build(lab)
    vs = service(params("rr", persistence=2))
    order = _slot_names(vs)
    # Without persistence these 10 requests would be spread: the test can tell the difference.
    assert len(set(order[:10])) > 1
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [vs]) == ()
    assert lb.requests(10) == [order[0]] * 10
    # Another client is scheduled on its own (the next slot), and held in turn.
    assert lb.requests(3, CLIENTS[1]) == [order[1]] * 3
    assert _persisted_clients(lb) == 2
    time.sleep(3.5)  # past the 2 s timeout; no request refreshed it meanwhile
    assert _persisted_clients(lb) == 0
    # Let go: the first client is scheduled afresh (slot 2), and held there again.
    assert lb.requests(3) == [order[2]] * 3


def test_a_persisted_client_whose_server_leaves_is_scheduled_afresh_and_the_others_stay(lab: Lab) -> None:
    lb = build(lab)
    p = params("rr", persistence=60)
    order = _slot_names(service(p))
    assert order[0] != order[1]
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(p)]) == ()
    assert lb.requests(3) == [order[0]] * 3
    assert lb.requests(3, CLIENTS[1]) == [order[1]] * 3
    with lb.in_director():
        assert converge(backend, [service(p, order[0])]) == ()
    # Only the persisted client of the server that left was forgotten.
    assert _persisted_clients(lb) == 1
    moved = lb.requests(3)
    assert len(set(moved)) == 1 and order[0] not in moved, moved
    assert lb.requests(3, CLIENTS[1]) == [order[1]] * 3
    assert _persisted_clients(lb) == 2
