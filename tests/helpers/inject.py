"""Send hand-made (often malformed) IPv4 VRRP packets from inside a namespace (netns tier helper).

    python -m tests.helpers.inject IFNAME HEX [HEX ...]

Each HEX is a whole IPv4 packet; it goes out of IFNAME through an IP_HDRINCL raw socket to the
destination in its header, 50 ms apart. The kernel fills in the IP total length, header
checksum and ID, so malformations must live in the TTL or in the VRRP part.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from ipaddress import IPv4Address

VRRP_PROTO = 112


def ipv4(payload: bytes, *, source: IPv4Address, destination: IPv4Address, ttl: int = 255) -> bytes:
    """`payload` behind a plain IPv4 header (protocol VRRP, TOS 0xc0)."""
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 0, 0, ttl, VRRP_PROTO, 0,
        source.packed, destination.packed,
    )  # fmt: skip
    return header + payload


def main(argv: list[str]) -> None:
    ifname, packets = argv[0], [bytes.fromhex(h) for h in argv[1:]]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    for packet in packets:
        sock.sendto(packet, (str(IPv4Address(packet[16:20])), 0))
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1:])
