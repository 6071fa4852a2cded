"""PASS and IPsec AH authentication: the field layout, the ICV inputs keepalived zeroes, and SPI checks."""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import replace
from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.auth import ah_icv, check_pass, pass_field, verify_ah
from alived.core.vrrp.wire import (
    AH_PROTO,
    AUTH_AH,
    AUTH_PASS,
    VRRP_GROUP4,
    Advert,
    AhParams,
    decode_ipv4_packet,
    encode_ipv4_packet,
    internet_checksum,
)
from alived.errors import LocalMisuse

SRC = IPv4Address("192.0.2.1")
PEER = IPv4Address("192.0.2.2")
AD = Advert(
    version=2, vrid=9, priority=100, adver_int=1, addresses=(IPv4Address("192.0.2.9"),), auth_type=AUTH_AH
)


def test_pass_field_pads_and_truncates() -> None:
    assert pass_field("abc") == b"abc\0\0\0\0\0"
    assert pass_field(b"0123456789") == b"01234567"
    assert pass_field("") == bytes(8)


def test_check_pass() -> None:
    ad = replace(AD, auth_type=AUTH_PASS, auth_data=pass_field("secret12"))
    assert check_pass(ad, "secret12")
    assert check_pass(ad, "secret12-and-more")  # keepalived only ever compares the first 8 bytes
    assert not check_pass(ad, "secret1")


def _packet(*, seq: int = 1, ident: int = 1, unicast: bool = False) -> bytes:
    dst = PEER if unicast else VRRP_GROUP4
    return encode_ipv4_packet(
        AD,
        source=SRC,
        destination=dst,
        ident=ident,
        ah=AhParams(key=pass_field("pw"), seq=seq, unicast=unicast),
    )


def test_ah_layout() -> None:
    packet = _packet(seq=0x01020304, ident=0x0A0B)
    assert packet[9] == AH_PROTO
    assert struct.unpack_from("!H", packet, 2)[0] == len(packet) == 20 + 24 + 20
    assert internet_checksum(packet[:20]) == 0
    next_header, plen, reserved, spi, seq = struct.unpack_from("!BBHII", packet, 20)
    assert (next_header, plen, reserved, spi, seq) == (112, 4, 0, int(SRC), 0x01020304)
    # The ICV recomputed independently: mutable fields zeroed, ICV zeroed, HMAC-MD5 keyed with 8 bytes.
    header = bytearray(packet[:20])
    header[1] = 0
    header[6:8] = header[10:12] = b"\0\0"
    msg = bytes(header) + packet[20:32] + bytes(12) + packet[44:]
    assert packet[32:44] == hmac.new(b"pw\0\0\0\0\0\0", msg, hashlib.md5).digest()[:12]


def test_verify_ah_accepts_own_packets() -> None:
    got = decode_ipv4_packet(_packet())
    assert got.ah is not None
    assert got.ah.seq == 1
    assert verify_ah(got, pass_field("pw"))
    assert verify_ah(got, "pw")
    assert not verify_ah(got, "other")


def test_verify_ah_rejects_changed_fields_but_not_mutable_ones() -> None:
    packet = bytearray(_packet())
    # TOS is mutable in transit: changing it (and fixing the IP checksum) keeps the ICV valid.
    packet[1] = 0x00
    packet[10:12] = b"\0\0"
    packet[10:12] = struct.pack("!H", internet_checksum(bytes(packet[:20])))
    assert verify_ah(decode_ipv4_packet(bytes(packet)), "pw")
    # The IP ID is covered.
    packet[4:6] = b"\x00\x63"
    packet[10:12] = b"\0\0"
    packet[10:12] = struct.pack("!H", internet_checksum(bytes(packet[:20])))
    assert not verify_ah(decode_ipv4_packet(bytes(packet)), "pw")


def test_unicast_icv_zeroes_ttl() -> None:
    packet = bytearray(_packet(unicast=True))
    got = decode_ipv4_packet(bytes(packet))
    assert verify_ah(got, "pw", unicast=True)
    assert not verify_ah(got, "pw", unicast=False)
    packet[8] = 17
    packet[10:12] = b"\0\0"
    packet[10:12] = struct.pack("!H", internet_checksum(bytes(packet[:20])))
    assert verify_ah(decode_ipv4_packet(bytes(packet)), "pw", unicast=True)


def test_spi_must_equal_source() -> None:
    got = decode_ipv4_packet(_packet())
    assert got.ah is not None
    forged_ah = replace(got.ah, spi=int(PEER))
    forged = replace(
        got, ah=replace(forged_ah, icv=ah_icv(got.ip_header, forged_ah, got.vrrp_bytes, "pw", unicast=False))
    )
    assert not verify_ah(forged, "pw")


def test_verify_ah_without_ah() -> None:
    plain = decode_ipv4_packet(encode_ipv4_packet(AD, source=SRC, destination=VRRP_GROUP4, ident=1))
    assert not verify_ah(plain, "pw")


def test_ah_misuse() -> None:
    with pytest.raises(LocalMisuse):
        _packet(ident=0)
    with pytest.raises(LocalMisuse):
        _packet(seq=1 << 32)
    with pytest.raises(LocalMisuse):
        encode_ipv4_packet(
            replace(AD, version=3, auth_type=0),
            source=SRC,
            destination=VRRP_GROUP4,
            ident=1,
            ah=AhParams(key=b"pw", seq=1),
        )
