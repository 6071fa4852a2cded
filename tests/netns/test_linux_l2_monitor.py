"""AF_PACKET sends and the netlink monitor on a real kernel."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import unsolicited_na
from alived.linux.l2_socket import L2Socket
from alived.linux.monitor import IPAddress, Monitor
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, Namespace

pytestmark = pytest.mark.netns

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
MAC = bytes.fromhex("00005e000133")


def listener(ns: Namespace, ethertype: int) -> socket.socket:
    with inside(ns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
    with inside(ns):
        sock.bind(("eth0", ethertype))  # Python converts the bound protocol to network order
    sock.settimeout(5)
    return sock


def test_garp_frame_reaches_the_other_host(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    vip = IPv4Address("192.0.2.51")
    frame = gratuitous_arp(MAC, vip)
    listen = listener(b, ETH_P_ARP)
    with inside(a):
        l2 = L2Socket.open("eth0")
    try:
        l2.send(frame)
        received = listen.recv(2048)
    finally:
        l2.close()
        listen.close()
    # The NIC may pad to the 60-byte minimum; the frame itself arrives intact.
    assert received[: len(frame)] == frame
    assert received[:6] == b"\xff" * 6
    assert received[6:12] == MAC
    assert IPv4Address(received[28:32]) == vip


def test_unsolicited_na_reaches_the_other_host(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    vip = IPv6Address("2001:db8::51")
    frame = unsolicited_na(MAC, vip, router=False)
    listen = listener(b, ETH_P_IPV6)
    with inside(a):
        l2 = L2Socket.open("eth0")
    try:
        l2.send(frame)
        while True:  # skip the kernel's own MLD/RS traffic
            received = listen.recv(2048)
            if len(received) > 54 and received[20] == 58 and received[54] == 136:
                break
    finally:
        l2.close()
        listen.close()
    assert received[: len(frame)] == frame
    assert received[:6] == bytes.fromhex("333300000001")
    assert received[21] == 255  # hop limit


def test_monitor_reports_link_and_address_changes(lab: Lab) -> None:
    ns = lab.netns("mon")
    peer = lab.netns("peer")
    lab.veth(ns, "eth0", peer, "eth0")

    async def main() -> list[tuple[object, ...]]:
        events: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        seen: list[tuple[object, ...]] = []

        def on_link(ifname: str, up: bool) -> None:
            events.put_nowait(("link", ifname, up))

        def on_address(ifname: str, address: IPAddress, added: bool) -> None:
            events.put_nowait(("addr", ifname, address, added))

        async def until(wanted: tuple[object, ...]) -> None:
            while True:
                event = await asyncio.wait_for(events.get(), timeout=30)
                seen.append(event)
                if event == wanted:
                    return

        with inside(ns):
            monitor = Monitor(on_link=on_link, on_address=on_address)
            monitor.start()
        try:
            await until(("link", "eth0", True))  # from the initial dump
            await asyncio.to_thread(ns.ip, "link", "set", "eth0", "down")
            await until(("link", "eth0", False))
            await asyncio.to_thread(ns.ip, "link", "set", "eth0", "up")
            await until(("link", "eth0", True))
            await asyncio.to_thread(ns.ip, "addr", "add", "192.0.2.9/24", "dev", "eth0")
            await until(("addr", "eth0", IPv4Address("192.0.2.9"), True))
            await asyncio.to_thread(ns.ip, "addr", "del", "192.0.2.9/24", "dev", "eth0")
            await until(("addr", "eth0", IPv4Address("192.0.2.9"), False))
            await asyncio.to_thread(ns.ip, "-6", "addr", "add", "2001:db8::9/64", "dev", "eth0")
            await until(("addr", "eth0", IPv6Address("2001:db8::9"), True))
            await asyncio.to_thread(ns.ip, "link", "add", "dum0", "type", "veth", "peer", "name", "dum1")
            await asyncio.to_thread(ns.ip, "link", "del", "dum0")
            await until(("link", "dum0", False))
        finally:
            monitor.close()
            monitor.close()
        return seen

    seen = asyncio.run(main())
    links = [e for e in seen if e[0] == "link" and e[1] == "eth0"]
    # Up state is reported on change only: no repeated identical reports.
    assert all(x != y for x, y in itertools.pairwise(links))


def test_monitor_decodes_a_recorded_message_and_ignores_garbage() -> None:
    got: list[tuple[object, ...]] = []
    monitor = Monitor(
        on_link=lambda n, u: got.append((n, u)), on_address=lambda n, a, x: got.append((n, a, x))
    )
    name = b"eth9\0"
    attr = struct.pack("=HH", 4 + len(name), 3) + name + b"\0" * (-len(name) % 4)
    body = struct.pack("=BxHiII", 0, 1, 42, 0x1 | 0x40, 0) + attr
    msg = struct.pack("=IHHII", 16 + len(body), 16, 0, 0, 0) + body
    monitor.feed(msg)
    monitor.feed(msg)  # unchanged: no second report
    addr = struct.pack("=HH", 8, 2) + IPv4Address("192.0.2.77").packed
    abody = struct.pack("=BBBBi", socket.AF_INET, 24, 0, 0, 42) + addr
    monitor.feed(struct.pack("=IHHII", 16 + len(abody), 21, 0, 0, 0) + abody)
    monitor.feed(b"\xff" * 7)
    monitor.feed(struct.pack("=IHHII", 9999, 16, 0, 0, 0) + body)
    assert got == [("eth9", True), ("eth9", IPv4Address("192.0.2.77"), False)]


def addr_message(kind: int, address: IPv6Address, flags: int) -> bytes:
    attrs = struct.pack("=HH", 20, 2) + address.packed + struct.pack("=HHI", 8, 8, flags)
    body = struct.pack("=BBBBi", socket.AF_INET6, 64, flags & 0xFF, 0, 42) + attrs
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body


def test_monitor_reports_an_ipv6_address_only_once_dad_has_passed() -> None:
    got: list[tuple[object, ...]] = []
    monitor = Monitor(on_link=lambda n, u: None, on_address=lambda n, a, x: got.append((n, a, x)))
    monitor.feed(
        struct.pack("=IHHII", 16 + 16 + 8, 16, 0, 0, 0)
        + struct.pack("=BxHiII", 0, 1, 42, 0, 0)
        + struct.pack("=HH", 8, 3)
        + b"eth9"
    )
    address = IPv6Address("2001:db8::7")
    monitor.feed(addr_message(20, address, 0x40))  # tentative
    monitor.feed(addr_message(20, address, 0x08 | 0x40))  # DAD failed
    assert got == []
    monitor.feed(addr_message(20, address, 0))
    monitor.feed(addr_message(21, address, 0x40))
    assert got == [("eth9", address, True), ("eth9", address, False)]


def test_monitor_on_a_real_dad(lab: Lab) -> None:
    ns = lab.netns("dad")
    peer = lab.netns("peer")
    lab.veth(ns, "eth0", peer, "eth0")
    ns.sysctl("net.ipv6.conf.eth0.accept_dad", "1")
    address = IPv6Address("2001:db8::77")
    states: list[str] = []

    async def main() -> None:
        done = asyncio.Event()

        def on_address(ifname: str, added_address: IPAddress, added: bool) -> None:
            if added_address == address and added:
                states.append(ns.ip("-o", "-6", "addr", "show", "dev", "eth0").stdout)
                done.set()

        with inside(ns):
            monitor = Monitor(on_link=lambda n, u: None, on_address=on_address)
            monitor.start()
        try:
            await asyncio.to_thread(ns.ip, "-6", "addr", "add", f"{address}/64", "dev", "eth0")
            await asyncio.wait_for(done.wait(), timeout=30)
        finally:
            monitor.close()

    asyncio.run(main())
    line = next(x for x in states[0].splitlines() if str(address) in x)
    assert "tentative" not in line


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.sampled_from([16, 17, 20, 21]), max_size=3))
def test_monitor_feed_never_raises_on_garbage(data: bytes, kinds: list[int]) -> None:
    monitor = Monitor(on_link=lambda n, u: None, on_address=lambda n, a, x: None)
    monitor.feed(data)
    for kind in kinds:
        # A well-framed header around garbage: the payload parsers must cope too.
        monitor.feed(struct.pack("=IHHII", 16 + len(data), kind, 0, 0, 0) + data)


def test_sysctl_keys_keep_dotted_interface_names() -> None:
    from alived.linux.sysctl import _path, conf_key

    assert str(_path(conf_key(4, "vrrp.51", "arp_ignore"))) == "/proc/sys/net/ipv4/conf/vrrp.51/arp_ignore"
    assert str(_path("net.ipv4.conf.all.rp_filter")) == "/proc/sys/net/ipv4/conf/all/rp_filter"
    assert str(_path("net.ipv4.ip_forward")) == "/proc/sys/net/ipv4/ip_forward"
