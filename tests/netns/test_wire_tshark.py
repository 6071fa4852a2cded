"""An independent dissector agrees with our encoder: tshark reads our packets from a pcap we write.

Every (version x family x auth) variant, multicast and unicast, goes into one LINKTYPE_RAW pcap;
tshark must see the same version, VRID, priority, interval, addresses, auth fields and AH header,
and report each VRRP and IPv4 header checksum as good. Needs tshark, not root.
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.wire import (
    AUTH_AH,
    AUTH_NONE,
    AUTH_PASS,
    VRRP_GROUP4,
    VRRP_GROUP6,
    VRRP_PROTO,
    Advert,
    AhParams,
    encode_advert,
    encode_ipv4_packet,
)
from tests.golden.pcap import LINKTYPE_RAW, write_pcap

SRC4 = IPv4Address("192.0.2.1")
PEER4 = IPv4Address("192.0.2.2")
SRC6 = IPv6Address("fe80::1")
FIELDS = (
    "vrrp.version",
    "vrrp.virt_rtr_id",
    "vrrp.prio",
    "vrrp.addr_count",
    "vrrp.adver_int",
    "vrrp.short_adver_int",
    "vrrp.auth_type",
    "vrrp.auth_string",
    "vrrp.ip_addr",
    "vrrp.ipv6_addr",
    "vrrp.checksum.status",
    "ah.spi",
    "ah.sequence",
    "ip.ttl",
    "ip.checksum.status",
    "ip.dsfield",
    "ipv6.hlim",
)


@dataclass(frozen=True)
class Case:
    advert: Advert
    frame: bytes
    expect: dict[str, str]


def _ipv6_packet(vrrp: bytes, dst: IPv6Address) -> bytes:
    # As the kernel builds it for keepalived: traffic class 0xc0, hop limit 255.
    return (
        struct.pack("!IHBB", (6 << 28) | (0xC0 << 20), len(vrrp), VRRP_PROTO, 255)
        + SRC6.packed
        + dst.packed
        + vrrp
    )


def _cases() -> list[Case]:
    v4 = (IPv4Address("192.0.2.100"), IPv4Address("192.0.2.101"))
    v6 = (IPv6Address("2001:db8::100"),)
    cases = []
    for auth in (AUTH_NONE, AUTH_PASS, AUTH_AH):
        for dst in (VRRP_GROUP4, PEER4):
            data = pass_field("secret") if auth == AUTH_PASS else bytes(8)
            ad = Advert(
                version=2,
                vrid=10 + auth,
                priority=150,
                adver_int=3,
                addresses=v4,
                auth_type=auth,
                auth_data=data,
            )
            ah = (
                AhParams(key=pass_field("k"), seq=77, unicast=dst != VRRP_GROUP4) if auth == AUTH_AH else None
            )
            frame = encode_ipv4_packet(ad, source=SRC4, destination=dst, ident=5, ah=ah)
            expect = {
                "vrrp.version": "2",
                "vrrp.adver_int": "3",
                "vrrp.auth_type": str(auth),
                "ip.ttl": "255",
                "ip.checksum.status": "1",
                "ip.dsfield": "0xc0",
            }
            if auth == AUTH_PASS:
                expect["vrrp.auth_string"] = "secret"
            if auth == AUTH_AH:
                expect["ah.spi"] = f"0x{int(SRC4):08x}"
                expect["ah.sequence"] = "77"
            cases.append(Case(ad, frame, expect))
    for dst in (VRRP_GROUP4, PEER4):
        ad = Advert(version=3, vrid=20, priority=254, adver_int=250, addresses=v4)
        frame = encode_ipv4_packet(ad, source=SRC4, destination=dst, ident=9)
        cases.append(
            Case(ad, frame, {"vrrp.version": "3", "vrrp.short_adver_int": "250", "ip.dsfield": "0xc0"})
        )
    for dst6 in (VRRP_GROUP6, IPv6Address("fe80::2")):
        ad = Advert(version=3, vrid=30, priority=1, adver_int=4095, addresses=v6)
        frame = _ipv6_packet(encode_advert(ad, source=SRC6, destination=dst6), dst6)
        cases.append(
            Case(ad, frame, {"vrrp.version": "3", "vrrp.short_adver_int": "4095", "ipv6.hlim": "255"})
        )
    return cases


def test_tshark_agrees_with_our_encoder(tmp_path: Path) -> None:
    cases = _cases()
    pcap = tmp_path / "ours.pcap"
    write_pcap(pcap, [c.frame for c in cases], linktype=LINKTYPE_RAW)
    cmd = [
        "tshark",
        "-n",
        "-r",
        str(pcap),
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-o",
        "ip.check_checksum:TRUE",
    ]
    for name in FIELDS:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [dict(zip(FIELDS, line.split("|"), strict=True)) for line in out.splitlines()]
    assert len(rows) == len(cases)
    for case, row in zip(cases, rows, strict=True):
        ad = case.advert
        assert row["vrrp.virt_rtr_id"] == str(ad.vrid)
        assert row["vrrp.prio"] == str(ad.priority)
        assert row["vrrp.addr_count"] == str(len(ad.addresses))
        field = "vrrp.ip_addr" if isinstance(ad.addresses[0], IPv4Address) else "vrrp.ipv6_addr"
        assert row[field] == ",".join(str(a) for a in ad.addresses)
        assert row["vrrp.checksum.status"] == "1", row  # 1 = good
        for key, value in case.expect.items():
            assert row[key] == value, (key, row)
