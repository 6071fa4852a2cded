"""Unsolicited neighbour advertisements as keepalived 2.2.7 sends them (vrrp_ndisc.c), as bytes.

Ethernet to 33:33:00:00:00:01, IPv6 from the VIP to ff02::1 with hop limit 255 and traffic class 0,
ICMPv6 type 136 code 0 with Override (plus Router when the interface forwards IPv6), target = the
VIP, and a target link-layer address option carrying the interface or VMAC MAC. 86 bytes.
"""

from __future__ import annotations

import struct
from ipaddress import IPv6Address

from alived.errors import LocalMisuse

ALL_NODES = IPv6Address("ff02::1")
ALL_NODES_MAC = b"\x33\x33\x00\x00\x00\x01"
ETHERTYPE_IPV6 = 0x86DD
IPPROTO_ICMPV6 = 58
ND_NEIGHBOR_ADVERT = 136
ND_OPT_TARGET_LINKADDR = 2
NA_FLAG_ROUTER = 0x80000000
NA_FLAG_SOLICITED = 0x40000000
NA_FLAG_OVERRIDE = 0x20000000
NDISC_HOPLIMIT = 255
NA_FRAME_LEN = 86


def _icmpv6_checksum(source: IPv6Address, destination: IPv6Address, message: bytes) -> int:
    pseudo = source.packed + destination.packed + struct.pack("!I3xB", len(message), IPPROTO_ICMPV6)
    data = pseudo + message  # always an even length: 40 + 32 bytes
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def unsolicited_na(mac: bytes, ip: IPv6Address, *, router: bool) -> bytes:
    """The whole Ethernet frame announcing that ip is at mac; router sets the R flag."""
    if len(mac) != 6:
        raise LocalMisuse(f"an Ethernet MAC is 6 bytes, got {len(mac)}")
    if not isinstance(ip, IPv6Address):
        raise LocalMisuse("neighbour advertisements are IPv6 only")
    flags = NA_FLAG_OVERRIDE | (NA_FLAG_ROUTER if router else 0)
    option = struct.pack("!BB", ND_OPT_TARGET_LINKADDR, 1) + bytes(mac)
    unsummed = struct.pack("!BBHI", ND_NEIGHBOR_ADVERT, 0, 0, flags) + ip.packed + option
    csum = _icmpv6_checksum(ip, ALL_NODES, unsummed)
    icmp = unsummed[:2] + struct.pack("!H", csum) + unsummed[4:]
    ipv6 = (
        struct.pack("!IHBB", 6 << 28, len(icmp), IPPROTO_ICMPV6, NDISC_HOPLIMIT)
        + ip.packed
        + ALL_NODES.packed
    )
    ethernet = ALL_NODES_MAC + bytes(mac) + struct.pack("!H", ETHERTYPE_IPV6)
    return ethernet + ipv6 + icmp
