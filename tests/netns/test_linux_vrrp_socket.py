"""Raw VRRP sockets on a real kernel: two namespaces on a LAN exchange hand-made packets."""

from __future__ import annotations

import asyncio
import struct
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.linux.vrrp_socket import AH_PROTO, VRRP_GROUP4, VRRP_GROUP6, VRRP_PROTO, Vrrp4Socket, Vrrp6Socket
from tests.helpers.inns import inside, run_python
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

A4, B4 = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2")
VIP = IPv4Address("192.0.2.100")


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def vrrp2(vrid: int = 51, priority: int = 150) -> bytes:
    body = struct.pack("!BBBBBBH", 0x21, vrid, priority, 1, 0, 1, 0) + VIP.packed + bytes(8)
    return body[:6] + struct.pack("!H", checksum(body)) + body[8:]


def ipv4(
    payload: bytes, src: IPv4Address, dst: IPv4Address, proto: int = VRRP_PROTO, ttl: int = 255
) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 7, 0, ttl, proto, 0, src.packed, dst.packed
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ah(payload: bytes) -> bytes:
    # next header VRRP, payload length 4 (6 words - 2), reserved, SPI, sequence, 96-bit ICV.
    return struct.pack("!BBHII", VRRP_PROTO, 4, 0, 0xC0000201, 1) + bytes(12) + payload


def two_hosts(lab: Lab) -> tuple[Namespace, Namespace]:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a.ip("addr", "add", f"{A4}/24", "dev", "eth0")
    b.ip("addr", "add", f"{B4}/24", "dev", "eth0")
    return a, b


async def receive_one(queue: asyncio.Queue[tuple[object, ...]]) -> tuple[object, ...]:
    return await asyncio.wait_for(queue.get(), timeout=30)


def test_ipv4_multicast_advert_arrives_with_ttl_255_and_source(lab: Lab) -> None:
    a, b = two_hosts(lab)

    async def main() -> bytes:
        with inside(a):
            sender = Vrrp4Socket.open("eth0")
        with inside(b):
            receiver = Vrrp4Socket.open("eth0")
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda data: got.put_nowait((data,)))
        try:
            sender.send(ipv4(vrrp2(), A4, VRRP_GROUP4), VRRP_GROUP4)
            (data,) = await receive_one(got)
        finally:
            sender.close()
            receiver.close()
        assert isinstance(data, bytes)
        return data

    data = asyncio.run(main())
    assert data[8] == 255  # TTL
    assert data[1] == 0xC0  # TOS as built by the caller
    assert data[9] == VRRP_PROTO
    assert IPv4Address(data[12:16]) == A4
    assert IPv4Address(data[16:20]) == VRRP_GROUP4
    assert data[20:] == vrrp2()


def test_ipv4_socket_does_not_see_other_groups_or_its_own_sends(lab: Lab) -> None:
    a, b = two_hosts(lab)
    other_group = IPv4Address("224.0.0.99")

    async def main() -> list[bytes]:
        with inside(a):
            sender = Vrrp4Socket.open("eth0")
            own: list[bytes] = []
            sender.set_receiver(own.append)
        with inside(b):
            receiver = Vrrp4Socket.open("eth0")
            custom = Vrrp4Socket.open("eth0", group=other_group)
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda data: got.put_nowait(("std", data)))
        custom.set_receiver(lambda data: got.put_nowait(("custom", data)))
        try:
            sender.send(ipv4(vrrp2(vrid=1), A4, other_group), other_group)
            first = await receive_one(got)
            sender.send(ipv4(vrrp2(vrid=2), A4, VRRP_GROUP4), VRRP_GROUP4)
            second = await receive_one(got)
            # A marker after both: anything else queued before it would show up first.
            sender.send(ipv4(vrrp2(vrid=3), A4, other_group), other_group)
            third = await receive_one(got)
        finally:
            for sock in (sender, receiver, custom):
                sock.close()
        assert got.empty()
        assert [first[0], second[0], third[0]] == ["custom", "std", "custom"]
        return own

    assert asyncio.run(main()) == []


def test_ipv4_unicast_send_and_ah_packet_received(lab: Lab) -> None:
    a, b = two_hosts(lab)

    async def main() -> tuple[bytes, bytes]:
        with inside(a):
            sender = Vrrp4Socket.open("eth0", unicast=True)
        with inside(b):
            receiver = Vrrp4Socket.open("eth0", unicast=True, protocols=(VRRP_PROTO, AH_PROTO))
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda data: got.put_nowait((data,)))
        try:
            sender.send(ipv4(vrrp2(), A4, B4, ttl=64), B4)
            (plain,) = await receive_one(got)
            sender.send(ipv4(ah(vrrp2()), A4, B4, proto=AH_PROTO), B4)
            (with_ah,) = await receive_one(got)
        finally:
            sender.close()
            receiver.close()
        assert isinstance(plain, bytes)
        assert isinstance(with_ah, bytes)
        return plain, with_ah

    plain, with_ah = asyncio.run(main())
    assert plain[8] == 64
    assert IPv4Address(plain[16:20]) == B4
    assert plain[20:] == vrrp2()
    assert with_ah[9] == AH_PROTO
    assert IPv4Address(with_ah[12:16]) == A4
    assert with_ah[20:] == ah(vrrp2())


def link_local(ns: Namespace, dev: str = "eth0") -> IPv6Address:
    found: list[IPv6Address] = []

    def ready() -> bool:
        for line in ns.ip("-o", "-6", "addr", "show", "dev", dev, "scope", "link").stdout.splitlines():
            if "tentative" not in line:
                found.append(IPv6Address(line.split()[3].split("/")[0]))
                return True
        return False

    wait_for(ready, what=f"link-local on {ns.name}/{dev}")
    return found[0]


def vrrp3_v6(vrid: int = 52) -> bytes:
    # Checksum left zero: the kernel fills it in (IPV6_CHECKSUM offset 6).
    return struct.pack("!BBBBHH", 0x31, vrid, 150, 1, 100, 0) + IPv6Address("fe80::52").packed


def test_ipv6_multicast_hop_limit_255_link_local_source_kernel_checksum(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a_ll, b_ll = link_local(a), link_local(b)

    async def main() -> tuple[object, ...]:
        with inside(a):
            sender = Vrrp6Socket.open("eth0", source=a_ll)
        with inside(b):
            receiver = Vrrp6Socket.open("eth0", source=b_ll)
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda *args: got.put_nowait(args))
        try:
            sender.send(vrrp3_v6(), VRRP_GROUP6)
            return await receive_one(got)
        finally:
            sender.close()
            receiver.close()

    payload, source, destination, hop_limit = asyncio.run(main())
    assert isinstance(payload, bytes)
    assert (source, destination, hop_limit) == (a_ll, VRRP_GROUP6, 255)
    assert payload[:6] == vrrp3_v6()[:6]
    assert payload[8:] == vrrp3_v6()[8:]
    pseudo = a_ll.packed + VRRP_GROUP6.packed + struct.pack("!I3xB", len(payload), VRRP_PROTO)
    assert checksum(pseudo + payload) == 0


def test_ipv6_unicast_uses_unicast_hops(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a_ll, b_ll = link_local(a), link_local(b)

    async def main() -> tuple[object, ...]:
        with inside(a):
            sender = Vrrp6Socket.open("eth0", source=a_ll, unicast=True, unicast_hops=64)
        with inside(b):
            receiver = Vrrp6Socket.open("eth0", source=b_ll, unicast=True)
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda *args: got.put_nowait(args))
        try:
            sender.send(vrrp3_v6(), b_ll)
            return await receive_one(got)
        finally:
            sender.close()
            receiver.close()

    _payload, source, destination, hop_limit = asyncio.run(main())
    assert (source, destination, hop_limit) == (a_ll, b_ll, 64)


def test_socket_is_bound_to_its_interface(lab: Lab) -> None:
    a, b = two_hosts(lab)
    c = lab.netns("c")
    lab.veth(b, "eth1", c, "eth0")
    b.ip("addr", "add", "198.51.100.2/24", "dev", "eth1")
    c.ip("addr", "add", "198.51.100.3/24", "dev", "eth0")

    async def main() -> list[str]:
        with inside(a):
            from_a = Vrrp4Socket.open("eth0")
        with inside(c):
            from_c = Vrrp4Socket.open("eth0")
        with inside(b):
            on_eth0 = Vrrp4Socket.open("eth0")
            on_eth1 = Vrrp4Socket.open("eth1")
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        on_eth0.set_receiver(lambda data: got.put_nowait(("eth0", IPv4Address(data[12:16]))))
        on_eth1.set_receiver(lambda data: got.put_nowait(("eth1", IPv4Address(data[12:16]))))
        seen = []
        try:
            from_a.send(ipv4(vrrp2(), A4, VRRP_GROUP4), VRRP_GROUP4)
            seen.append(await receive_one(got))
            from_c.send(ipv4(vrrp2(), IPv4Address("198.51.100.3"), VRRP_GROUP4), VRRP_GROUP4)
            seen.append(await receive_one(got))
        finally:
            for sock in (from_a, from_c, on_eth0, on_eth1):
                sock.close()
        assert got.empty()
        return [f"{x[0]} {x[1]}" for x in seen]

    assert asyncio.run(main()) == ["eth0 192.0.2.1", "eth1 198.51.100.3"]


def test_run_python_runs_inside_the_namespace(lab: Lab) -> None:
    ns = lab.netns("py")
    ns.ip("link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
    code = "import json, socket; print(json.dumps(sorted(n for _, n in socket.if_nameindex())))"
    assert run_python(ns, code) == ["lo", "probe0", "probe1"]


def test_ipv6_socket_opens_while_the_link_local_is_tentative(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a_ll, b_ll = link_local(a), link_local(b)
    # Down and up with DAD on: the same EUI-64 link-local comes back, tentative for a while.
    a.ip("link", "set", "eth0", "down")
    a.sysctl("net.ipv6.conf.eth0.accept_dad", "1")
    a.ip("link", "set", "eth0", "up")
    assert "tentative" in a.ip("-o", "-6", "addr", "show", "dev", "eth0").stdout

    async def main() -> tuple[object, ...]:
        with inside(a):
            sender = Vrrp6Socket.open("eth0", source=a_ll)
        with inside(b):
            receiver = Vrrp6Socket.open("eth0", source=b_ll)
        got: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        receiver.set_receiver(lambda *args: got.put_nowait(args))
        try:
            await asyncio.to_thread(link_local, a)  # until DAD has passed
            sender.send(vrrp3_v6(), VRRP_GROUP6)
            return await receive_one(got)
        finally:
            sender.close()
            receiver.close()

    _payload, source, destination, hop_limit = asyncio.run(main())
    assert (source, destination, hop_limit) == (a_ll, VRRP_GROUP6, 255)
