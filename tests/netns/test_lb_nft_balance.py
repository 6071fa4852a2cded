"""nftables backend with real HTTP traffic (NAT): rr and wrr proportions, sh stickiness, counters."""

from __future__ import annotations

import pytest

from alived.lb.nftables import NftablesBackend
from tests.helpers.lb_topology import (
    CHI2_1E6,
    CLIENTS,
    KEY,
    RS_ADDR,
    build,
    chi_squared,
    converge,
    params,
    service,
)
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns


def test_rr_spreads_evenly_and_counters_read_back(lab: Lab) -> None:
    lb = build(lab)
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(params("rr"))]) == ()
    counts = lb.counts(300)
    observed = [counts[name] for name in RS_ADDR]
    assert sum(observed) == 300, counts
    assert chi_squared(observed, [1, 1, 1]) < CHI2_1E6[2], counts
    with lb.in_director():
        counters = backend.counters()[KEY]
    # Every new connection passes the service chain once (its first packet: DNAT is per connection).
    assert counters.packets == 300
    assert sorted(p for p, _ in counters.real_servers.values()) == sorted(observed)


def test_wrr_follows_weights_and_a_weight_change_is_followed(lab: Lab) -> None:
    lb = build(lab)
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(params("wrr", (1, 2, 3)))]) == ()
    counts = lb.counts(600)
    observed = [counts[name] for name in RS_ADDR]
    assert chi_squared(observed, [1, 2, 3]) < CHI2_1E6[2], counts
    # The same counts are far from an even split: the test can tell weights from no weights.
    assert chi_squared(observed, [1, 1, 1]) > CHI2_1E6[2], counts
    with lb.in_director():
        assert converge(backend, [service(params("wrr", (3, 0, 1)))]) == ()
    counts = lb.counts(400)
    assert counts["rs2"] == 0, counts
    assert chi_squared([counts["rs1"], counts["rs3"]], [3, 1]) < CHI2_1E6[1], counts


@pytest.mark.parametrize("algo", ["sh", "mh"])
def test_source_hashing_keeps_each_client_on_one_server(lab: Lab, algo: str) -> None:
    lb = build(lab)
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(params(algo))]) == ()
    for source in CLIENTS:
        counts = lb.counts(20, source)
        assert len(counts) == 1, (source, counts)
        assert next(iter(counts)) in RS_ADDR, counts
