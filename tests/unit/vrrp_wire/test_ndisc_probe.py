"""DAD-style neighbour solicitations (split-brain probes) and the parse of received NAs."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.l2.arp import arp_probe
from alived.core.l2.ndisc import (
    NS_PROBE_FRAME_LEN,
    NaSender,
    dad_probe,
    na_sender,
    solicited_node,
    unsolicited_na,
)
from alived.errors import LocalMisuse

MAC = bytes.fromhex("02aa00000002")
VIP6 = IPv6Address("2001:db8::1:2345")


def _sum16(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_solicited_node_group() -> None:
    assert solicited_node(VIP6) == IPv6Address("ff02::1:ff01:2345")


def test_dad_probe_layout_and_checksum() -> None:
    frame = dad_probe(MAC, VIP6)
    assert len(frame) == NS_PROBE_FRAME_LEN
    assert frame[:14] == bytes.fromhex("3333ff012345") + MAC + b"\x86\xdd"
    ipv6, icmp = frame[14:54], frame[54:]
    assert struct.unpack("!IHBB", ipv6[:8]) == (6 << 28, 24, 58, 255)
    assert ipv6[8:24] == bytes(16) and ipv6[24:40] == solicited_node(VIP6).packed
    assert icmp[:2] == b"\x87\x00" and icmp[4:8] == bytes(4) and icmp[8:24] == VIP6.packed
    pseudo = ipv6[8:40] + struct.pack("!I3xB", len(icmp), 58)
    assert _sum16(pseudo + icmp) == 0xFFFF  # the checksum makes the one's-complement sum all ones
    assert na_sender(frame) is None  # a solicitation claims nothing


def test_dad_probe_refuses_bad_input() -> None:
    with pytest.raises(LocalMisuse):
        dad_probe(b"\x00" * 5, VIP6)
    with pytest.raises(LocalMisuse):
        dad_probe(MAC, IPv4Address("192.0.2.1"))  # type: ignore[arg-type]


def test_na_sender_reads_an_unsolicited_na() -> None:
    assert na_sender(unsolicited_na(MAC, VIP6, router=True)) == NaSender(
        address=VIP6, mac=MAC, solicited=False
    )


def test_na_sender_takes_the_target_link_layer_option_over_the_frame_source() -> None:
    frame = bytearray(unsolicited_na(MAC, VIP6, router=False))
    frame[6:12] = bytes.fromhex("020000000099")  # relayed by another MAC
    sender = na_sender(bytes(frame))
    assert sender is not None and sender.mac == MAC


@pytest.mark.parametrize(
    ("offset", "value"),
    [
        (14 + 7, 64),  # hop limit not 255: off-link
        (14 + 40 + 2, 0x00),  # checksum broken
        (14 + 40 + 1, 1),  # code not 0
        (14 + 40 + 4, 0x80),  # Router only: no Override flag
        (14 + 6, 17),  # not ICMPv6
        (12, 0x08),  # not IPv6
    ],
)
def test_na_sender_ignores_invalid_or_non_overriding_frames(offset: int, value: int) -> None:
    frame = bytearray(unsolicited_na(MAC, VIP6, router=True))
    assert frame[offset] != value
    frame[offset] = value
    assert na_sender(bytes(frame)) is None


def test_na_sender_ignores_arp_and_short_frames() -> None:
    assert na_sender(arp_probe(MAC, IPv4Address("192.0.2.1"))) is None
    assert na_sender(unsolicited_na(MAC, VIP6, router=True)[:70]) is None
