"""nftables backend, real clients: a persistence_granularity netmask that is not solid.

keepalived 2.2.7 passes such a mask (here 255.0.255.254) to IPVS as written, and the kernel
keys persistence by the client address ANDed with it. On nftables the persistence map is keyed
by `ip saddr & MASK`: clients 203.0.113.2 and .3 differ only in a masked-out bit, so they
share one entry and one real server; .4 has an entry of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from alived.core.lb.granularity import Netmask
from alived.core.lb.model import LbState
from alived.core.lb.plan import plan
from alived.lb import nft_render
from alived.lb.nftables import NftablesBackend
from tests.helpers.lb_topology import CLIENTS, RS_ADDR, build, converge, nft_json, params, service
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns

MASK = Netmask(0xFF00FFFE)  # 255.0.255.254


def test_clients_differing_only_in_masked_out_bits_stick_to_one_server(lab: Lab) -> None:
    lb = build(lab)
    persistent = dataclasses.replace(params("rr", persistence=300), persistence_granularity=MASK)
    vs = service(persistent)
    with lb.in_director():
        assert converge(NftablesBackend(), [vs]) == ()
        # Read back from the kernel's table as the same service: nothing to re-apply.
        assert plan(LbState.of([vs]), NftablesBackend().read_actual()) == ()
    first, second, other = CLIENTS
    held = lb.requests(10, first)
    assert len(set(held)) == 1 and held[0] in RS_ADDR, held
    # rr alone would move each new connection on; the shared masked address holds them.
    assert lb.requests(10, second) == held
    others = lb.requests(5, other)
    assert len(set(others)) == 1, others
    name = nft_render.persist_name(vs)
    (found,) = [item["map"] for item in nft_json(lb.director, "map", "inet", "alived", name) if "map" in item]
    pairs: Any = found["elem"]  # type: ignore[index]
    entries = {key["elem"]["val"]: value["concat"][0] for key, value in pairs}
    # 203.0.113.3 & 255.0.255.254 = 203.0.113.2: one entry for both; .4 its own.
    assert entries == {"203.0.113.2": RS_ADDR[held[0]], "203.0.113.4": RS_ADDR[others[0]]}, found
