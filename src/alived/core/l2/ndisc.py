"""Unsolicited neighbour advertisements as keepalived 2.2.7 sends them (vrrp_ndisc.c), as bytes;
and, for split-brain detection, DAD-style neighbour solicitations and the parse of received NAs.

Ethernet to 33:33:00:00:00:01, IPv6 from the VIP to ff02::1 with hop limit 255 and traffic class 0,
ICMPv6 type 136 code 0 with Override (plus Router when the interface forwards IPv6), target = the
VIP, and a target link-layer address option carrying the interface or VMAC MAC. 86 bytes.

The probe is the IPv6 twin of an RFC 5227 ARP probe: a Neighbor Solicitation from :: (as for
duplicate address detection, RFC 4862) to the target's solicited-node group. It claims nothing,
and every host holding the address answers with an NA to all-nodes (ff02::1), which we hear.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv6Address

from alived.errors import LocalMisuse

ALL_NODES = IPv6Address("ff02::1")
ALL_NODES_MAC = b"\x33\x33\x00\x00\x00\x01"
ETHERTYPE_IPV6 = 0x86DD
IPPROTO_ICMPV6 = 58
ND_NEIGHBOR_SOLICIT = 135
ND_NEIGHBOR_ADVERT = 136
ND_OPT_TARGET_LINKADDR = 2
NA_FLAG_ROUTER = 0x80000000
NA_FLAG_SOLICITED = 0x40000000
NA_FLAG_OVERRIDE = 0x20000000
NDISC_HOPLIMIT = 255
NA_FRAME_LEN = 86
NS_PROBE_FRAME_LEN = 78
_ETH_LEN = 14
_IPV6_LEN = 40


def _icmpv6_checksum(source: IPv6Address, destination: IPv6Address, message: bytes) -> int:
    pseudo = source.packed + destination.packed + struct.pack("!I3xB", len(message), IPPROTO_ICMPV6)
    data = pseudo + message + b"\x00" * (len(message) % 2)
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


@dataclass(frozen=True, slots=True)
class NaSender:
    """Who an NA says holds `address`: `mac` (its target link-layer option, else the frame's source)."""

    address: IPv6Address
    mac: bytes
    solicited: bool


def solicited_node(address: IPv6Address) -> IPv6Address:
    """ff02::1:ffXX:XXXX, the group a solicitation for `address` goes to (RFC 4291)."""
    return IPv6Address(IPv6Address("ff02::1:ff00:0").packed[:13] + address.packed[13:])


def dad_probe(mac: bytes, target: IPv6Address) -> bytes:
    """The whole Ethernet frame asking who holds `target`, from `mac`, claiming no address."""
    if len(mac) != 6:
        raise LocalMisuse(f"an Ethernet MAC is 6 bytes, got {len(mac)}")
    if not isinstance(target, IPv6Address):
        raise LocalMisuse("neighbour solicitations are IPv6 only")
    source, group = IPv6Address(0), solicited_node(target)
    # No source link-layer option: RFC 4861 forbids it with the unspecified source.
    unsummed = struct.pack("!BBHI", ND_NEIGHBOR_SOLICIT, 0, 0, 0) + target.packed
    csum = _icmpv6_checksum(source, group, unsummed)
    icmp = unsummed[:2] + struct.pack("!H", csum) + unsummed[4:]
    ipv6 = (
        struct.pack("!IHBB", 6 << 28, len(icmp), IPPROTO_ICMPV6, NDISC_HOPLIMIT)
        + source.packed
        + group.packed
    )
    ethernet = b"\x33\x33" + group.packed[12:] + bytes(mac) + struct.pack("!H", ETHERTYPE_IPV6)
    return ethernet + ipv6 + icmp


def na_sender(frame: bytes) -> NaSender | None:
    """The claim an Ethernet+IPv6 neighbour advertisement makes, or None for anything else.

    Only a valid NA counts (RFC 4861 7.1.2: hop limit 255, code 0, a correct checksum) and only
    one with the Override flag: a host's answer to a DAD probe and an unsolicited NA carry it, a
    proxy's or an anycast answer does not.
    """
    if len(frame) < _ETH_LEN + _IPV6_LEN + 24:
        return None
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    if ethertype != ETHERTYPE_IPV6 or frame[_ETH_LEN] >> 4 != 6:
        return None
    length, next_header, hop_limit = struct.unpack_from("!HBB", frame, _ETH_LEN + 4)
    if next_header != IPPROTO_ICMPV6 or hop_limit != NDISC_HOPLIMIT or length < 24:
        return None
    start = _ETH_LEN + _IPV6_LEN
    message = bytes(frame[start : start + length])
    if len(message) != length or message[0] != ND_NEIGHBOR_ADVERT or message[1] != 0:
        return None
    source = IPv6Address(bytes(frame[_ETH_LEN + 8 : _ETH_LEN + 24]))
    destination = IPv6Address(bytes(frame[_ETH_LEN + 24 : _ETH_LEN + 40]))
    if _icmpv6_checksum(source, destination, message) != 0:
        return None
    (flags,) = struct.unpack_from("!I", message, 4)
    if not flags & NA_FLAG_OVERRIDE:
        return None
    target = IPv6Address(message[8:24])
    mac = bytes(frame[6:12])
    offset = 24
    while offset + 2 <= len(message):
        kind, units = message[offset], message[offset + 1]
        if units == 0:
            return None  # a zero-length option is invalid (RFC 4861 4.6)
        if kind == ND_OPT_TARGET_LINKADDR and units == 1:
            mac = message[offset + 2 : offset + 8]
        offset += 8 * units
    return NaSender(address=target, mac=mac, solicited=bool(flags & NA_FLAG_SOLICITED))
