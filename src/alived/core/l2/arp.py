"""ARP probes and the sender of a received ARP frame, for split-brain detection (bytes in, bytes out).

A probe (RFC 5227) is a broadcast ARP request with sender IP 0.0.0.0: it asks who holds an
address without claiming it, so no host's cache changes. Linux answers it (with a unicast reply
to our MAC) on every host that has the address configured, which is exactly what a master
wants to know about its VIPs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from alived.core.l2.garp import ARPHRD_ETHER, BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4
from alived.errors import LocalMisuse

ARPOP_REQUEST = 1
ARPOP_REPLY = 2
_ETH_LEN = 14
_ARP_LEN = 28


@dataclass(frozen=True, slots=True)
class ArpSender:
    """Who an ARP frame says holds `address`: `mac` (the sender hardware address), `op` 1 or 2."""

    address: IPv4Address
    mac: bytes
    op: int


def arp_probe(mac: bytes, target: IPv4Address) -> bytes:
    """The whole Ethernet frame asking who has `target`, from `mac`, claiming no address."""
    if len(mac) != 6:
        raise LocalMisuse(f"an Ethernet MAC is 6 bytes, got {len(mac)}")
    ethernet = BROADCAST_MAC + bytes(mac) + struct.pack("!H", ETHERTYPE_ARP)
    arp = struct.pack("!HHBBH", ARPHRD_ETHER, ETHERTYPE_IPV4, 6, 4, ARPOP_REQUEST)
    return ethernet + arp + bytes(mac) + bytes(4) + bytes(6) + target.packed


def arp_sender(frame: bytes) -> ArpSender | None:
    """The claim an Ethernet+ARP frame makes (sender IP at sender MAC), or None for anything else.

    Probes (sender IP 0.0.0.0) and non-Ethernet/IPv4 ARP claim nothing and give None.
    """
    if len(frame) < _ETH_LEN + _ARP_LEN:
        return None
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    if ethertype != ETHERTYPE_ARP:
        return None
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", frame, _ETH_LEN)
    if (htype, ptype, hlen, plen) != (ARPHRD_ETHER, ETHERTYPE_IPV4, 6, 4) or op not in (
        ARPOP_REQUEST,
        ARPOP_REPLY,
    ):
        return None
    base = _ETH_LEN + 8
    mac = bytes(frame[base : base + 6])
    address = IPv4Address(bytes(frame[base + 6 : base + 10]))
    if address == IPv4Address(0):
        return None
    return ArpSender(address=address, mac=mac, op=op)


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)
