"""Send alived-encoded adverts for the golden instances from inside a namespace (netns tier helper).

    python -m tests.golden.send_ours ROUNDS INTERVAL_S

Run by tests/netns/test_capture_keepalived.py in the peer namespace (192.0.2.2 on eth0): every
instance of tests/golden/capture.py gets a priority-200 advert each round, IPv4 through an
IP_HDRINCL socket (IP ID and AH sequence counting from 1 per instance, as keepalived does), IPv6
through a raw socket with our own checksum. WRONG_KEY_AH gets adverts with a wrong AH key.
"""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.wire import (
    VRRP_GROUP4,
    VRRP_GROUP6,
    VRRP_PROTO,
    Advert,
    AhParams,
    encode_advert,
    encode_ipv4_packet,
)
from tests.golden.capture import INSTANCES, PEER4, SENDER4, WRONG_KEY_AH, GoldenInstance

PRIORITY = 200


def _link_local(ifname: str) -> IPv6Address:
    for line in Path("/proc/net/if_inet6").read_text().splitlines():
        addr, _, _, scope, _, name = line.split()
        if name == ifname and scope == "20":
            return IPv6Address(bytes.fromhex(addr))
    raise SystemExit(f"no link-local address on {ifname}")


def _advert(inst: GoldenInstance) -> Advert:
    data = pass_field(inst.auth_pass) if inst.auth_type == 1 else bytes(8)
    ad = Advert(
        version=inst.version,
        vrid=inst.vrid,
        priority=PRIORITY,
        adver_int=inst.adver_int,
        addresses=tuple(ip_address(a) for a in inst.addresses),
    )
    return replace(ad, auth_type=inst.auth_type, auth_data=data) if inst.version == 2 else ad


def main(argv: list[str]) -> None:
    rounds, interval = int(argv[0]), float(argv[1])
    ifindex = socket.if_nametoindex("eth0")
    sock4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sock4.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    sock6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, VRRP_PROTO)
    sock6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    sock6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    source6 = _link_local("eth0")
    for n in range(1, rounds + 1):
        for inst in (*INSTANCES, WRONG_KEY_AH):
            ad = _advert(inst)
            if ":" in inst.addresses[0]:
                sock6.sendto(
                    encode_advert(ad, source=source6, destination=VRRP_GROUP6),
                    (str(VRRP_GROUP6), 0, 0, ifindex),
                )
                continue
            dst: IPv4Address = SENDER4 if inst.unicast else VRRP_GROUP4
            ah = None
            if inst.auth_type == 2:
                key = "wrong!" if inst is WRONG_KEY_AH else inst.auth_pass
                ah = AhParams(key=pass_field(key), seq=n, unicast=inst.unicast)
            packet = encode_ipv4_packet(
                ad,
                source=PEER4,
                destination=dst,
                ident=n,
                ah=ah,
                old_unicast_checksum=inst.old_unicast_checksum,
            )
            sock4.sendto(packet, (str(dst), 0))
        time.sleep(interval)


if __name__ == "__main__":
    main(sys.argv[1:])
