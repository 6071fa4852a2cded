"""Gratuitous ARP and unsolicited NA frames, byte for byte as keepalived sends them."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.l2.garp import GARP_FRAME_LEN, gratuitous_arp
from alived.core.l2.ndisc import NA_FRAME_LEN, unsolicited_na
from alived.errors import LocalMisuse

VMAC = bytes.fromhex("00005e00013e")


def test_garp_matches_keepalived_capture() -> None:
    frame = gratuitous_arp(VMAC, IPv4Address("192.168.77.62"))
    assert len(frame) == GARP_FRAME_LEN
    assert frame[:14] == b"\xff" * 6 + VMAC + b"\x08\x06"
    # Observed from keepalived 2.2.7 (facts §4.6).
    assert frame[14:].hex() == "000108000604000100005e00013ec0a84d3effffffffffffc0a84d3e"


def _sum16(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@pytest.mark.parametrize(("router", "flags"), [(False, 0x20), (True, 0xA0)])
def test_unsolicited_na_layout(router: bool, flags: int) -> None:
    vip = IPv6Address("2001:db8::1")
    frame = unsolicited_na(VMAC, vip, router=router)
    assert len(frame) == NA_FRAME_LEN
    assert frame[:14] == bytes.fromhex("333300000001") + VMAC + b"\x86\xdd"
    ip6 = frame[14:54]
    assert ip6[:4] == b"\x60\0\0\0"
    assert struct.unpack_from("!HBB", ip6, 4) == (32, 58, 255)
    assert ip6[8:24] == vip.packed
    assert ip6[24:40] == IPv6Address("ff02::1").packed
    icmp = frame[54:]
    assert icmp[0:2] == b"\x88\x00"
    assert icmp[4] == flags
    assert icmp[5:8] == b"\0\0\0"
    assert icmp[8:24] == vip.packed
    assert icmp[24:26] == b"\x02\x01"
    assert icmp[26:32] == VMAC
    pseudo = ip6[8:40] + struct.pack("!I3xB", len(icmp), 58)
    assert _sum16(pseudo + icmp) == 0xFFFF


def test_l2_misuse() -> None:
    with pytest.raises(LocalMisuse):
        gratuitous_arp(b"\0" * 5, IPv4Address("192.0.2.1"))
    with pytest.raises(LocalMisuse):
        unsolicited_na(b"\0" * 7, IPv6Address("2001:db8::1"), router=False)
    with pytest.raises(LocalMisuse):
        gratuitous_arp(VMAC, IPv6Address("2001:db8::1"))  # type: ignore[arg-type]
    with pytest.raises(LocalMisuse):
        unsolicited_na(VMAC, IPv4Address("192.0.2.1"), router=False)  # type: ignore[arg-type]
