"""VMAC on a real kernel: private macvlan with the VRRP MAC, sysctls set and restored, clean removal."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.l2.garp import gratuitous_arp
from alived.core.vrrp.wire import virtual_mac
from alived.errors import LocalMisuse
from alived.linux.l2_socket import L2Socket
from alived.linux.netlink import Netlink
from alived.linux.vmac import VmacManager
from alived.linux.vrrp_socket import VRRP_GROUP4, VRRP_GROUP6, Vrrp4Socket, Vrrp6Socket
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, Namespace
from tests.netns.test_linux_vrrp_socket import A4, B4, ipv4, link_local, vrrp2, vrrp3_v6

pytestmark = pytest.mark.netns


@pytest.fixture
def host(lab: Lab) -> Iterator[tuple[Namespace, Netlink]]:
    ns = lab.netns("vmac")
    peer = lab.netns("peer")
    lab.veth(ns, "eth0", peer, "eth0")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "group", "7")
    with inside(ns):
        nl = Netlink()
    try:
        yield ns, nl
    finally:
        nl.close()


def sysctl(ns: Namespace, key: str) -> str:
    return ns.exec("sysctl", "-n", key).stdout.strip()


def test_virtual_mac() -> None:
    assert virtual_mac(51, 4) == bytes.fromhex("00005e000133")
    assert virtual_mac(255, 6) == bytes.fromhex("00005e0002ff")
    with pytest.raises(LocalMisuse):
        virtual_mac(0, 4)


def test_ipv4_vmac_created_with_sysctls_and_removed_cleanly(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    ns.sysctl("net.ipv4.conf.all.rp_filter", "2")
    ns.sysctl("net.ipv4.conf.eth0.rp_filter", "1")
    parent_before = {k: sysctl(ns, f"net.ipv4.conf.eth0.{k}") for k in ("arp_ignore", "arp_filter")}
    links_before = ns.ip("-o", "link").stdout.count("\n")
    with inside(ns):
        manager = VmacManager(nl)
        vmac = manager.create(parent="eth0", vrid=51, family=4)
    assert vmac.name == "vrrp.51"
    detail = " ".join(ns.ip("-d", "link", "show", "dev", "vrrp.51").stdout.split())
    assert "vrrp.51@eth0:" in detail
    assert "link/ether 00:00:5e:00:01:33" in detail
    assert "macvlan mode private" in detail
    assert "addrgenmode none" in detail
    assert "group 7" in detail
    assert "state UP" in detail or ",UP," in detail
    for key, value in (
        ("arp_ignore", "1"),
        ("accept_local", "1"),
        ("rp_filter", "0"),
        ("promote_secondaries", "1"),
    ):
        assert sysctl(ns, f"net.ipv4.conf.vrrp/51.{key}") == value, key
    assert sysctl(ns, "net.ipv4.conf.eth0.arp_ignore") == "1"
    assert sysctl(ns, "net.ipv4.conf.eth0.arp_filter") == "1"
    assert sysctl(ns, "net.ipv4.conf.all.rp_filter") == "0"
    assert sysctl(ns, "net.ipv4.conf.eth0.rp_filter") == "2"  # effective value kept
    # No IPv6 address appears on the VMAC by itself (addrgenmode none).
    assert ns.ip("-o", "addr", "show", "dev", "vrrp.51").stdout.strip() == ""

    with inside(ns):
        manager.delete("vrrp.51")
    assert "vrrp.51" not in ns.ip("-o", "link").stdout
    assert ns.ip("-o", "link").stdout.count("\n") == links_before
    assert {k: sysctl(ns, f"net.ipv4.conf.eth0.{k}") for k in ("arp_ignore", "arp_filter")} == parent_before
    assert sysctl(ns, "net.ipv4.conf.all.rp_filter") == "2"
    assert sysctl(ns, "net.ipv4.conf.eth0.rp_filter") == "1"
    with inside(ns):
        manager.delete("vrrp.51")  # already gone: fine


def test_ipv6_vmac_gets_the_parents_link_local(host: tuple[Namespace, Netlink]) -> None:
    ns, nl = host
    parent_ll = nl.link_local_ipv6("eth0")
    assert parent_ll is not None
    with inside(ns):
        manager = VmacManager(nl)
        manager.create(parent="eth0", vrid=52, family=6, name="vip6")
        manager.create(parent="eth0", vrid=52, family=6, name="vip6")  # adopts the existing one
    detail = ns.ip("-d", "link", "show", "dev", "vip6").stdout
    assert "link/ether 00:00:5e:00:02:34" in detail
    addrs = ns.ip("-o", "-6", "addr", "show", "dev", "vip6").stdout.splitlines()
    assert len(addrs) == 1
    assert f"inet6 {parent_ll}/64 scope link" in addrs[0]
    with inside(ns):
        with pytest.raises(LocalMisuse):
            manager.create(parent="eth0", vrid=53, family=6, name="vip6")
        manager.delete_all()
    assert "vip6" not in ns.ip("-o", "link").stdout


def test_advert_sent_through_the_vmac_carries_the_vmac_source_mac(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a.ip("addr", "add", f"{A4}/24", "dev", "eth0")
    b.ip("addr", "add", f"{B4}/24", "dev", "eth0")
    with inside(a):
        nl = Netlink()
        manager = VmacManager(nl)
        manager.create(parent="eth0", vrid=51, family=4)
        sender = Vrrp4Socket.open("vrrp.51")
    with inside(b):
        listen = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        listen.bind(("eth0", 0x0800))
    listen.settimeout(5)
    try:
        sender.send(ipv4(vrrp2(), A4, VRRP_GROUP4), VRRP_GROUP4)
        while True:
            frame = listen.recv(2048)
            if frame[23] == 112:
                break
    finally:
        sender.close()
        listen.close()
        with inside(a):
            manager.delete_all()
        nl.close()
    assert frame[:6] == bytes.fromhex("01005e000012")
    assert frame[6:12] == virtual_mac(51, 4)
    assert frame[26:30] == A4.packed  # the base interface's address, as keepalived sends it


def test_ipv6_advert_and_garp_through_vmacs(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a_ll = link_local(a)
    with inside(a):
        nl = Netlink()
        manager = VmacManager(nl)
        manager.create(parent="eth0", vrid=52, family=6)
        manager.create(parent="eth0", vrid=51, family=4)
        sender = Vrrp6Socket.open("vrrp.52", source=a_ll)
        l2 = L2Socket.open("vrrp.51")
    with inside(b):
        listen6 = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
        listen6.bind(("eth0", 0x86DD))
        listen_arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
        listen_arp.bind(("eth0", 0x0806))
    listen6.settimeout(5)
    listen_arp.settimeout(5)
    try:
        sender.send(vrrp3_v6(), VRRP_GROUP6)
        while True:  # skip MLD and router solicitations
            frame = listen6.recv(2048)
            if frame[20] == 112:
                break
        l2.send(gratuitous_arp(virtual_mac(51, 4), IPv4Address("192.0.2.51")))
        arp = listen_arp.recv(2048)
    finally:
        sender.close()
        l2.close()
        listen6.close()
        listen_arp.close()
        with inside(a):
            manager.delete_all()
        nl.close()
    assert frame[:6] == bytes.fromhex("333300000012")
    assert frame[6:12] == virtual_mac(52, 6)
    assert IPv6Address(frame[22:38]) == a_ll
    assert frame[21] == 255
    assert arp[6:12] == virtual_mac(51, 4)
    assert arp[22:28] == virtual_mac(51, 4)  # ARP sender hardware address
