"""core/lb/model.py: health, inhibit_on_failure, quorum with hysteresis and the sorry server."""

from __future__ import annotations

import pytest

from alived.core.lb.model import (
    Forwarding,
    LbState,
    RealServer,
    RealServerHealth,
    RealServerParams,
    ServiceKey,
    ServiceParams,
    VirtualService,
    build_service,
    has_quorum,
)
from alived.errors import LocalMisuse

KEY = ServiceKey(protocol="TCP", address="203.0.113.10", port=80)
A = RealServerParams(address="198.51.100.11", port=80, weight=2)
B = RealServerParams(address="198.51.100.12", port=80, weight=3)
SORRY = RealServerParams(address="198.51.100.99", port=80)


def params(**kw: object) -> ServiceParams:
    base: dict[str, object] = {"key": KEY, "lb_algo": "wrr", "real_servers": (A, B)}
    base.update(kw)
    return ServiceParams(**base)  # type: ignore[arg-type]


UP = RealServerHealth(alive=True)
DOWN = RealServerHealth(alive=False)


def test_live_servers_at_their_weight_down_ones_leave() -> None:
    vs = build_service(params(), {A.key: UP, B.key: DOWN})
    assert vs.real_servers == (RealServer(address="198.51.100.11", port=80, weight=2),)
    assert vs.persistence_granularity == 32


def test_missing_health_is_down_and_dynamic_weight_wins() -> None:
    vs = build_service(params(), {B.key: RealServerHealth(alive=True, weight=7)})
    assert [(rs.address, rs.weight) for rs in vs.real_servers] == [("198.51.100.12", 7)]


def test_inhibit_on_failure_keeps_a_down_server_at_weight_zero() -> None:
    a = RealServerParams(address=A.address, port=80, weight=2, inhibit_on_failure=True)
    vs = build_service(params(real_servers=(a, B)), {B.key: UP})
    assert [(rs.address, rs.weight) for rs in vs.real_servers] == [(A.address, 0), (B.address, 3)]
    assert vs.pool == (vs.real_servers[1],)


def test_sorry_server_replaces_the_pool_when_quorum_is_lost_and_leaves_when_back() -> None:
    p = params(sorry_server=SORRY, quorum=3)
    down = build_service(p, {A.key: UP})  # weight_sum 2 < 3
    assert [(rs.address, rs.weight) for rs in down.real_servers] == [(SORRY.address, 1)]
    back = build_service(p, {A.key: UP, B.key: UP}, had_quorum=False)
    assert SORRY.key not in [rs.key for rs in back.real_servers]
    assert len(back.real_servers) == 2


def test_sorry_server_inhibit_keeps_it_at_weight_zero_while_unused() -> None:
    vs = build_service(params(sorry_server=SORRY, sorry_server_inhibit=True), {A.key: UP})
    assert vs.real_server(SORRY.key) == RealServer(address=SORRY.address, port=80, weight=0)


def test_no_sorry_server_keeps_the_live_servers_without_quorum() -> None:
    vs = build_service(params(quorum=10), {A.key: UP})
    assert [rs.address for rs in vs.real_servers] == [A.address]


@pytest.mark.parametrize(
    ("had", "total_up", "expected"),
    [(True, (A,), True), (False, (A,), False), (False, (A, B), True), (True, (), False)],
)
def test_quorum_hysteresis(had: bool, total_up: tuple[RealServerParams, ...], expected: bool) -> None:
    # quorum 3, hysteresis 1: gained at >= 4, kept while >= 2.
    p = params(quorum=3, hysteresis=1)
    health = {rs.key: UP for rs in total_up}
    assert has_quorum(p, health, had_quorum=had) is expected


def test_ipv6_granularity_default_and_key_names() -> None:
    key6 = ServiceKey(family=6, protocol="UDP", address="2001:db8::10", port=53)
    vs = build_service(ServiceParams(key=key6), {})
    assert vs.persistence_granularity == 128
    assert str(key6) == "[2001:db8::10]:udp:53"
    assert str(ServiceKey(fwmark=5)) == "FWM 5"


@pytest.mark.parametrize(
    "bad",
    [
        {"fwmark": 1, "protocol": "TCP"},
        {"protocol": "ICMP", "address": "192.0.2.1"},
        {"family": 5, "fwmark": 1},
        {"protocol": "TCP"},
    ],
)
def test_bad_keys_are_our_bug(bad: dict[str, object]) -> None:
    with pytest.raises(LocalMisuse):
        ServiceKey(**bad)  # type: ignore[arg-type]


def test_services_and_dests_must_be_sorted_and_unique() -> None:
    rs = RealServer(address="198.51.100.11", port=80)
    with pytest.raises(LocalMisuse):
        VirtualService(key=KEY, real_servers=(rs, rs))
    with pytest.raises(LocalMisuse):
        VirtualService(key=KEY, lb_algo="nope")
    with pytest.raises(LocalMisuse):
        VirtualService(key=KEY, flags=frozenset({"sh-nope"}))
    vs = VirtualService(key=KEY)
    with pytest.raises(LocalMisuse):
        LbState.of([vs, vs])
    assert LbState.of([vs]).by_key() == {KEY: vs}
    assert Forwarding("DR") is Forwarding.DR
