"""Netlink adapter on a real kernel: addresses, routes, rules and links, checked with iproute2."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from alived.errors import BackendError, LocalMisuse
from alived.linux import kernel_ops
from alived.linux.netlink import (
    RT_SCOPE_LINK,
    RTPROT_KEEPALIVED,
    AddressSpec,
    Netlink,
    NextHop,
    RouteSpec,
    RuleSpec,
)
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, Namespace, run, wait_for

pytestmark = pytest.mark.netns


@pytest.fixture
def host(lab: Lab) -> Iterator[tuple[Namespace, Netlink]]:
    ns = lab.netns("nl")
    peer = lab.netns("peer")
    lab.veth(ns, "eth0", peer, "eth0")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    with inside(ns):
        nl = Netlink()
    try:
        yield ns, nl
    finally:
        nl.close()


def addr_lines(ns: Namespace, dev: str = "eth0") -> list[str]:
    return [" ".join(line.split()) for line in ns.addresses(dev).splitlines()]


def test_link_facts(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    shown = ns.ip("-o", "link", "show", "dev", "eth0").stdout
    assert nl.link_index("eth0") == int(shown.split(":")[0])
    mac = shown.split("link/ether ")[1].split()[0]
    assert nl.link_mac("eth0") == bytes.fromhex(mac.replace(":", ""))
    assert nl.link_is_up("eth0")
    assert nl.interface_names() == {"lo", "eth0"}
    assert nl.primary_ipv4("eth0") == IPv4Address("192.0.2.1")
    assert nl.primary_ipv4("lo") == IPv4Address("127.0.0.1")
    ns.ip("link", "set", "eth0", "down")
    assert not nl.link_is_up("eth0")
    with pytest.raises(BackendError) as info:
        nl.link_index("nosuch0")
    assert info.value.errno == errno.ENODEV


def test_ipv4_address_with_label_scope_brd_exactly(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    before = addr_lines(ns)
    host_before = run(["ip", "-o", "addr"]).stdout
    spec = AddressSpec(
        address=IPv4Address("192.0.2.100"),
        prefixlen=32,
        dev="eth0",
        broadcast=IPv4Address("192.0.2.255"),
        scope=RT_SCOPE_LINK,
        label="eth0:vip",
    )
    nl.add_address(spec)
    nl.add_address(spec)  # idempotent
    added = [line.split(" ", 1)[1] for line in addr_lines(ns) if "192.0.2.100" in line]
    assert added == [
        "eth0 inet 192.0.2.100/32 brd 192.0.2.255 scope link eth0:vip\\ "
        "valid_lft forever preferred_lft forever"
    ]
    assert {(IPv4Address("192.0.2.1"), 24), (IPv4Address("192.0.2.100"), 32)} <= set(nl.addresses("eth0"))
    assert nl.primary_ipv4("eth0") == IPv4Address("192.0.2.1")
    nl.delete_address(spec)
    nl.delete_address(spec)  # already gone: fine
    assert addr_lines(ns) == before
    assert run(["ip", "-o", "addr"]).stdout == host_before


def test_every_request_that_changes_state_is_counted_and_reads_are_not(
    host: tuple[Namespace, Netlink],
) -> None:
    _ns, nl = host
    spec = AddressSpec(address=IPv4Address("192.0.2.77"), prefixlen=32, dev="eth0")
    route = RouteSpec(dst=ip_network("203.0.113.0/24"), via=IPv4Address("192.0.2.254"), dev="eth0")
    rule = RuleSpec(src=ip_network("198.51.100.0/24"), table=100, priority=1000)
    before = kernel_ops.snapshot()
    nl.address_entries("eth0")
    nl.link_is_up("eth0")
    nl.route_device("192.0.2.9")
    assert kernel_ops.snapshot() == before  # reads are free
    nl.add_address(spec)
    nl.add_address(spec)  # already there (EEXIST): still a request made
    nl.add_route(route)
    nl.add_rule(rule)
    nl.delete_rule(rule)
    nl.delete_route(route)
    nl.delete_address(spec)
    nl.set_link_up("eth0")
    after = kernel_ops.snapshot()
    assert after["total"] == before["total"] + 8  # type: ignore[operator]
    moved = {
        op: n - before["netlink"].get(op, 0)  # type: ignore[attr-defined]
        for op, n in after["netlink"].items()  # type: ignore[attr-defined]
        if n != before["netlink"].get(op, 0)  # type: ignore[attr-defined]
    }
    assert moved == {
        "addr_add": 2,
        "route_add": 1,
        "rule_add": 1,
        "rule_del": 1,
        "route_del": 1,
        "addr_del": 1,
        "link_set": 1,
    }


def test_an_address_snapshot_answers_every_lookup_from_one_dump(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    ns.ip("addr", "add", "192.0.2.50/32", "dev", "eth0")
    ns.ip("addr", "add", "198.51.100.1/32", "dev", "lo")
    plain = {name: nl.address_entries(name) for name in ("eth0", "lo")}
    with nl.address_snapshot():
        assert {name: nl.address_entries(name) for name in ("eth0", "lo")} == plain
        assert nl.primary_ipv4("eth0") == IPv4Address("192.0.2.1")
        ns.ip("addr", "add", "192.0.2.51/32", "dev", "eth0")  # not seen: the dump was taken
        assert IPv4Address("192.0.2.51") not in [e.address for e in nl.address_entries("eth0")]
        with pytest.raises(BackendError):
            nl.address_entries("nosuch0")
    assert IPv4Address("192.0.2.51") in [e.address for e in nl.address_entries("eth0")]


def test_broadcast_plus_and_minus(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    plus = AddressSpec(address=IPv4Address("198.51.100.7"), prefixlen=24, dev="eth0", broadcast="+")
    minus = AddressSpec(address=IPv4Address("203.0.113.7"), prefixlen=24, dev="eth0", broadcast="-")
    none = AddressSpec(address=IPv4Address("192.0.2.50"), prefixlen=24, dev="eth0", noprefixroute=True)
    for spec in (plus, minus, none):
        nl.add_address(spec)
    text = "\n".join(addr_lines(ns))
    assert "inet 198.51.100.7/24 brd 198.51.100.255 scope global secondary eth0" not in text
    assert "inet 198.51.100.7/24 brd 198.51.100.255 scope global eth0" in text
    assert "inet 203.0.113.7/24 brd 203.0.113.0 scope global eth0" in text
    assert "inet 192.0.2.50/24 scope global secondary noprefixroute eth0" in text
    for spec in (plus, minus, none):
        nl.delete_address(spec)
    assert "198.51.100.7" not in "\n".join(addr_lines(ns))


def test_ipv6_address_preferred_lft_and_nodad(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    vip = AddressSpec(
        address=IPv6Address("2001:db8::64"), prefixlen=128, dev="eth0", preferred_lft=0, nodad=True
    )
    nl.add_address(vip)
    nl.add_address(vip)
    line = next(x for x in addr_lines(ns) if "2001:db8::64" in x)
    assert line.endswith(
        "inet6 2001:db8::64/128 scope global nodad deprecated \\ valid_lft forever preferred_lft 0sec"
    )
    plain = AddressSpec(address=IPv6Address("2001:db8::65"), prefixlen=64, dev="eth0")
    nl.add_address(plain)

    def plain_line() -> str:
        return next(x for x in addr_lines(ns) if "2001:db8::65" in x)

    # Without nodad the kernel runs duplicate address detection: "tentative" for about a second.
    wait_for(lambda: "tentative" not in plain_line(), timeout=40, what="DAD to finish")
    line = plain_line()
    assert line.endswith("inet6 2001:db8::65/64 scope global \\ valid_lft forever preferred_lft forever")
    nl.delete_address(vip)
    nl.delete_address(plain)
    assert not any("2001:db8::6" in x for x in addr_lines(ns))


def test_peer_address(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    spec = AddressSpec(
        address=IPv4Address("203.0.113.1"), prefixlen=32, dev="eth0", peer=IPv4Address("203.0.113.2")
    )
    nl.add_address(spec)
    assert any("inet 203.0.113.1 peer 203.0.113.2/32 scope global eth0" in x for x in addr_lines(ns))
    nl.delete_address(spec)
    assert not any("203.0.113.1" in x for x in addr_lines(ns))


def test_routes_appear_and_disappear(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    via = RouteSpec(
        dst=ip_network("198.51.100.0/24"),
        via=IPv4Address("192.0.2.254"),
        dev="eth0",
        table=100,
        metric=7,
        protocol=RTPROT_KEEPALIVED,
    )
    blackhole = RouteSpec(dst=ip_network("203.0.113.0/24"), type="blackhole", table=100)
    unreachable = RouteSpec(dst=ip_network("203.0.113.128/25"), type="unreachable", table=100, metric=5)
    onlink_src = RouteSpec(dst=ip_network("198.51.100.64/26"), dev="eth0", src=IPv4Address("192.0.2.1"))
    v6 = RouteSpec(dst=ip_network("2001:db8:1::/48"), type="prohibit", table=100, metric=1)
    specs = (via, blackhole, unreachable, onlink_src, v6)
    for spec in specs:
        nl.add_route(spec)
        nl.add_route(spec)
    table = ns.ip("route", "show", "table", "100").stdout.splitlines()
    assert [" ".join(x.split()) for x in table] == [
        "198.51.100.0/24 via 192.0.2.254 dev eth0 proto keepalived metric 7",
        "blackhole 203.0.113.0/24",
        "unreachable 203.0.113.128/25 metric 5",
    ]
    main = ns.ip("route", "show").stdout
    assert "198.51.100.64/26 dev eth0 scope link src 192.0.2.1" in " ".join(main.split())
    six = " ".join(ns.ip("-6", "route", "show", "table", "100").stdout.split())
    assert six.startswith("prohibit 2001:db8:1::/48 dev lo metric 1")
    for spec in specs:
        nl.delete_route(spec)
        nl.delete_route(spec)
    assert ns.ip("route", "show", "table", "100").stdout.strip() == ""
    assert ns.ip("-6", "route", "show", "table", "100").stdout.strip() == ""
    assert "198.51.100.64" not in ns.ip("route", "show").stdout
    assert "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.1" in ns.ip("route", "show").stdout


def test_rules_appear_and_disappear(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    before4 = ns.ip("rule").stdout
    before6 = ns.ip("-6", "rule").stdout
    from_rule = RuleSpec(src=ip_network("192.0.2.0/24"), table=100, priority=100)
    mark_rule = RuleSpec(
        family=6,
        dst=ip_network("2001:db8::/32"),
        table=1000,
        priority=101,
        fwmark=5,
        fwmask=0xFF,
        iif="eth0",
    )
    oif_rule = RuleSpec(oif="eth0", table=200, priority=102)
    for spec in (from_rule, mark_rule, oif_rule):
        nl.add_rule(spec)
    rules4 = [" ".join(x.split()) for x in ns.ip("rule").stdout.splitlines()]
    assert "100: from 192.0.2.0/24 lookup 100 proto boot" in rules4
    assert "102: from all oif eth0 lookup 200 proto boot" in rules4
    rules6 = [" ".join(x.split()) for x in ns.ip("-6", "rule").stdout.splitlines()]
    assert "101: from all to 2001:db8::/32 fwmark 0x5/0xff iif eth0 lookup 1000 proto boot" in rules6
    for spec in (from_rule, mark_rule, oif_rule):
        nl.delete_rule(spec)
        nl.delete_rule(spec)
    assert ns.ip("rule").stdout == before4
    assert ns.ip("-6", "rule").stdout == before6


def test_failures_name_the_operation_and_errno(host: tuple[Namespace, Netlink]) -> None:
    _ns, nl = host
    unreachable_gateway = RouteSpec(dst=ip_network("198.51.100.0/24"), via=IPv4Address("203.0.113.9"))
    with pytest.raises(BackendError) as info:
        nl.add_route(unreachable_gateway)
    assert info.value.operation == "route_add"
    assert info.value.errno == errno.ENETUNREACH


def test_absent_device_is_fine_for_deletes_and_a_forked_child_is_refused(
    host: tuple[Namespace, Netlink],
) -> None:
    _ns, nl = host
    gone = AddressSpec(address=IPv4Address("192.0.2.9"), prefixlen=32, dev="gone0")
    nl.delete_address(gone)
    nl.delete_route(RouteSpec(dst=ip_network("198.51.100.0/24"), dev="gone0"))
    nl.delete_link("gone0")
    with pytest.raises(BackendError) as info:
        nl.add_address(gone)
    assert (info.value.operation, info.value.errno) == ("link_lookup", errno.ENODEV)
    pid = os.fork()
    if pid == 0:
        try:
            nl.link_index("eth0")
        except LocalMisuse:
            os._exit(7)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 7


def test_multipath_metrics_and_replace(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    ns.ip("link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    ns.ip("link", "set", "eth1", "up")
    ns.ip("link", "set", "eth1p", "up")
    ns.ip("addr", "add", "198.51.100.10/24", "dev", "eth1")
    multipath = RouteSpec(
        dst=ip_network("203.0.113.0/24"),
        table=100,
        metrics=(("mtu", 1400), ("advmss", 1360)),
        nexthops=(
            NextHop(via=IPv4Address("192.0.2.254"), dev="eth0", weight=2),
            NextHop(via=IPv4Address("198.51.100.1"), dev="eth1"),
        ),
    )
    nl.add_route(multipath)
    nl.add_route(multipath)
    shown = [" ".join(x.split()) for x in ns.ip("route", "show", "table", "100").stdout.splitlines()]
    assert shown == [
        "203.0.113.0/24 mtu 1400 advmss 1360",
        "nexthop via 192.0.2.254 dev eth0 weight 2",
        "nexthop via 198.51.100.1 dev eth1 weight 1",
    ]
    blackhole = RouteSpec(dst=ip_network("203.0.113.0/24"), type="blackhole", table=100)
    nl.add_route(blackhole)  # same key: left as it is
    assert "nexthop" in ns.ip("route", "show", "table", "100").stdout
    nl.add_route(blackhole, replace=True)
    assert ns.ip("route", "show", "table", "100").stdout.split() == ["blackhole", "203.0.113.0/24"]
    nl.delete_route(blackhole)
    assert ns.ip("route", "show", "table", "100").stdout.strip() == ""


def test_rule_selectors(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    rule = RuleSpec(
        src=ip_network("192.0.2.0/24"),
        table=100,
        priority=100,
        ipproto=6,
        sport=(1000, 2000),
        dport=(80, 80),
        uidrange=(100, 200),
    )
    goto = RuleSpec(priority=99, action="goto", goto=100, table=None, fwmark=0x10)
    nl.add_rule(rule)
    nl.add_rule(goto)
    rules = [" ".join(x.split()) for x in ns.ip("rule").stdout.splitlines()]
    assert (
        "100: from 192.0.2.0/24 uidrange 100-200 ipproto tcp sport 1000-2000 dport 80 lookup 100 proto boot"
        in rules
    )
    assert "99: from all fwmark 0x10 goto 100 proto boot" in rules
    nl.delete_rule(goto)
    nl.delete_rule(rule)
    assert not any(x.startswith(("99:", "100:")) for x in ns.ip("rule").stdout.splitlines())
