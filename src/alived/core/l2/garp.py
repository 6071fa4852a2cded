"""Gratuitous ARP frames as keepalived 2.2.7 sends them (vrrp_arp.c), as bytes for an AF_PACKET socket.

An ARP request (op 1), Ethernet broadcast, sender = target IP = the VIP, sender MAC = the interface
or VMAC MAC, target MAC ff:ff:ff:ff:ff:ff. 42 bytes, no padding: the NIC pads to the minimum frame.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

from alived.errors import LocalMisuse

BROADCAST_MAC = b"\xff" * 6
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV4 = 0x0800
ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
GARP_FRAME_LEN = 42


def gratuitous_arp(mac: bytes, ip: IPv4Address) -> bytes:
    """The whole Ethernet frame announcing that ip is at mac."""
    if len(mac) != 6:
        raise LocalMisuse(f"an Ethernet MAC is 6 bytes, got {len(mac)}")
    if not isinstance(ip, IPv4Address):
        raise LocalMisuse("gratuitous ARP is IPv4 only")
    ethernet = BROADCAST_MAC + bytes(mac) + struct.pack("!H", ETHERTYPE_ARP)
    arp = struct.pack("!HHBBH", ARPHRD_ETHER, ETHERTYPE_IPV4, 6, 4, ARPOP_REQUEST)
    return ethernet + arp + bytes(mac) + ip.packed + BROADCAST_MAC + ip.packed
