"""The fake adapters keep the real adapters' public signatures, and behave like them where it matters."""

from __future__ import annotations

import inspect
from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from alived.errors import BackendError, LocalMisuse
from alived.linux.arp_watch import ArpWatch
from alived.linux.l2_socket import L2Socket
from alived.linux.monitor import Monitor
from alived.linux.na_watch import NaWatch
from alived.linux.netlink import AddressSpec, Netlink, RouteSpec, RuleSpec
from alived.linux.timer import DeadlineTimer
from alived.linux.vmac import VmacManager
from alived.linux.vrrp_socket import Vrrp4Socket, Vrrp6Socket
from alived.units import Ticks
from tests.helpers.fake_linux import (
    FakeArpWatch,
    FakeDeadlineTimer,
    FakeL2Socket,
    FakeMonitor,
    FakeNaWatch,
    FakeNetlink,
    FakeVmacManager,
    FakeVrrp4Socket,
    FakeVrrp6Socket,
)

PAIRS = [
    (DeadlineTimer, FakeDeadlineTimer, True),
    (Netlink, FakeNetlink, False),
    (Vrrp4Socket, FakeVrrp4Socket, False),
    (Vrrp6Socket, FakeVrrp6Socket, False),
    (L2Socket, FakeL2Socket, False),
    (ArpWatch, FakeArpWatch, False),
    (NaWatch, FakeNaWatch, False),
    (Monitor, FakeMonitor, True),
    (VmacManager, FakeVmacManager, True),
]


def shape(fn: object) -> list[tuple[str, object, object]]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


@pytest.mark.parametrize(("real", "fake", "same_init"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_fake_has_every_public_method_with_the_same_parameters(
    real: type, fake: type, same_init: bool
) -> None:
    names = [n for n in vars(real) if not n.startswith("_") or (same_init and n == "__init__")]
    assert names
    for name in names:
        attr = inspect.getattr_static(real, name)
        assert hasattr(fake, name), f"{fake.__name__} lacks {name}"
        if isinstance(attr, property):
            continue
        real_fn = getattr(real, name)
        fake_fn = getattr(fake, name)
        if callable(real_fn):
            assert shape(real_fn) == shape(fake_fn), f"{fake.__name__}.{name}"


def test_fake_netlink_is_idempotent_and_fails_on_request() -> None:
    nl = FakeNetlink()
    nl.add_link("eth0")
    nl.add_fake_address(AddressSpec(address=IPv4Address("192.0.2.1"), prefixlen=24, dev="eth0"))
    vip = AddressSpec(address=IPv4Address("192.0.2.100"), prefixlen=32, dev="eth0")
    nl.add_address(vip)
    nl.add_address(vip)
    assert nl.addresses("eth0") == [(IPv4Address("192.0.2.1"), 24), (IPv4Address("192.0.2.100"), 32)]
    assert nl.primary_ipv4("eth0", exclude={IPv4Address("192.0.2.1")}) == IPv4Address("192.0.2.100")
    nl.delete_address(vip)
    nl.delete_address(vip)
    assert nl.has_address("eth0", "192.0.2.1")
    assert not nl.has_address("eth0", "192.0.2.100")
    route = RouteSpec(dst=ip_network("198.51.100.0/24"), type="blackhole")
    rule = RuleSpec(src=ip_network("192.0.2.0/24"), table=100, priority=100)
    nl.add_route(route)
    nl.add_rule(rule)
    assert (nl.routes, nl.rules) == ([route], [rule])
    nl.delete_route(route)
    nl.delete_rule(rule)
    assert (nl.routes, nl.rules) == ([], [])
    nl.fail_next("addr_add", 1)
    with pytest.raises(BackendError) as info:
        nl.add_address(vip)
    assert (info.value.operation, info.value.errno) == ("addr_add", 1)
    nl.add_address(vip)
    with pytest.raises(BackendError):
        nl.link_index("nosuch")
    assert [op for op, _ in nl.ops].count("addr_add") == 4


def test_fake_sockets_timer_monitor_and_vmac() -> None:
    sock = FakeVrrp4Socket.open("eth0")
    got: list[bytes] = []
    sock.set_receiver(got.append)
    sock.deliver(b"pkt")
    sock.send(b"out", IPv4Address("224.0.0.18"))
    sock.close()
    sock.deliver(b"late")
    assert got == [b"pkt"]
    assert sock.sent == [(b"out", IPv4Address("224.0.0.18"))]
    with pytest.raises(LocalMisuse):
        sock.send(b"x", IPv4Address("224.0.0.18"))

    fired: list[int] = []
    timer = FakeDeadlineTimer(None, lambda: fired.append(1))
    timer.arm(Ticks(10))
    timer.arm(Ticks(10))
    assert timer.arms == 1
    assert not timer.fire_if_due(Ticks(9))
    assert timer.fire_if_due(Ticks(10))
    assert fired == [1]

    events: list[tuple[object, ...]] = []
    monitor = FakeMonitor(
        on_link=lambda n, u: events.append((n, u)), on_address=lambda n, a, x: events.append((n, a, x))
    )
    monitor.start()
    monitor.link("eth0", False)
    monitor.link("eth0", False)
    monitor.address("eth0", "2001:db8::1")
    assert events == [("eth0", False), ("eth0", IPv6Address("2001:db8::1"), True)]

    nl = FakeNetlink()
    nl.add_link("eth0")
    nl.add_fake_address(AddressSpec(address=IPv6Address("fe80::1"), prefixlen=64, dev="eth0", scope=253))
    vmacs = FakeVmacManager(nl)
    vmac = vmacs.create(parent="eth0", vrid=7, family=6)
    assert nl.link_mac("vrrp.7") == bytes.fromhex("00005e000207") == vmac.mac
    assert nl.link_local_ipv6("vrrp.7") == IPv6Address("fe80::1")
    assert vmacs.sysctls["net.ipv4.conf.eth0.arp_ignore"] == 1
    vmacs.delete_all()
    assert "vrrp.7" not in nl.interface_names()
    assert vmacs.sysctls == {}
