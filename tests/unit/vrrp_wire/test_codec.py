"""The VRRP codec against packets keepalived was seen to send, and each decode failure's reason key."""

from __future__ import annotations

import struct
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.wire import (
    AUTH_NONE,
    AUTH_PASS,
    VRRP_GROUP4,
    VRRP_GROUP6,
    Advert,
    AhParams,
    decode_advert,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
    encode_ipv4_packet,
    internet_checksum,
    peek_vrid,
    vrrp_checksum,
)
from alived.errors import DecodeError, LocalMisuse

SRC = IPv4Address("192.0.2.1")
PEER = IPv4Address("192.0.2.2")
LL = IPv6Address("fe80::1")


def v2(**kw: object) -> Advert:
    base = Advert(
        version=2,
        vrid=51,
        priority=100,
        adver_int=1,
        addresses=(IPv4Address("192.0.2.100"),),
        auth_data=bytes(8),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def v3(**kw: object) -> Advert:
    base = Advert(version=3, vrid=52, priority=150, adver_int=50, addresses=(IPv4Address("192.0.2.100"),))
    return replace(base, **kw)  # type: ignore[arg-type]


# Packets quoted in the facts file (keepalived 2.2.7 captures on 192.168.77.0/24).
def test_v2_owner_advert_matches_keepalived() -> None:
    ad = v2(vrid=0x3E, priority=255, addresses=(IPv4Address("192.168.77.62"),))
    msg = encode_advert(ad, source=SRC, destination=VRRP_GROUP4)
    assert msg.hex() == "213eff010001d1d7c0a84d3e" + "00" * 8


def test_v2_pass_advert_matches_keepalived_and_truncates_password() -> None:
    ad = v2(
        vrid=0x3C,
        priority=200,
        addresses=(IPv4Address("192.168.77.60"),),
        auth_type=AUTH_PASS,
        auth_data=pass_field("secret123456"),
    )
    msg = encode_advert(ad, source=SRC, destination=VRRP_GROUP4)
    assert msg.hex() == "213cc80101019a5dc0a84d3c" + b"secret12".hex()
    assert decode_advert(msg, source=SRC, destination=VRRP_GROUP4) == ad


def test_v3_unicast_checksum_uses_real_destination() -> None:
    ad = v3(addresses=(IPv4Address("192.168.77.100"),))
    src, dst = IPv4Address("192.168.77.1"), IPv4Address("192.168.77.2")
    msg = encode_advert(ad, source=src, destination=dst)
    assert msg.hex() == "3134960100320ebac0a84d64"
    plain = encode_advert(ad, source=src, destination=dst, v3_checksum_as_v2=True)
    assert plain[6:8] == bytes.fromhex("2a8b")
    assert decode_advert(plain, source=src, destination=dst, v3_checksum_as_v2=True) == ad
    with pytest.raises(DecodeError) as err:
        decode_advert(plain, source=src, destination=dst)
    assert err.value.reason == "bad_checksum"


def test_old_unicast_checksum_is_recognised() -> None:
    ad = v3()
    packet = encode_ipv4_packet(ad, source=SRC, destination=PEER, ident=7, old_unicast_checksum=True)
    assert packet[20:][6:8] == struct.pack(
        "!H",
        vrrp_checksum(packet[20:26] + b"\0\0" + packet[28:], version=3, source=SRC, destination=VRRP_GROUP4),
    )
    got = decode_ipv4_packet(packet)
    assert got.old_unicast_checksum
    assert got.advert == ad
    fresh = decode_ipv4_packet(encode_ipv4_packet(ad, source=SRC, destination=PEER, ident=7))
    assert not fresh.old_unicast_checksum


def test_ipv4_header_fields() -> None:
    packet = encode_ipv4_packet(v2(), source=SRC, destination=VRRP_GROUP4, ident=3)
    ver_ihl, tos, tot, ident, frag, ttl, proto = struct.unpack_from("!BBHHHBB", packet)
    assert (ver_ihl, tos, tot, ident, frag, ttl, proto) == (0x45, 0xC0, len(packet), 3, 0, 255, 112)
    assert internet_checksum(packet[:20]) == 0
    assert packet[12:16] == SRC.packed
    assert packet[16:20] == VRRP_GROUP4.packed


def test_ipv4_decode_tolerates_ethernet_padding() -> None:
    packet = encode_ipv4_packet(v2(), source=SRC, destination=VRRP_GROUP4, ident=3)
    got = decode_ipv4_packet(packet + bytes(60 - 14 - len(packet)))
    assert got.advert == v2()
    assert got.ttl == 255
    assert got.vrrp_bytes == packet[20:]
    assert got.ip_header == packet[:20]


def test_ipv6_round_trip_and_checksum() -> None:
    ad = v3(addresses=(IPv6Address("2001:db8::100"), IPv6Address("2001:db8::101")))
    msg = encode_advert(ad, source=LL, destination=VRRP_GROUP6)
    assert len(msg) == 8 + 32
    assert vrrp_checksum(msg, version=3, source=LL, destination=VRRP_GROUP6) == 0
    got = decode_ipv6_payload(msg, source=LL, destination=VRRP_GROUP6, hop_limit=255)
    assert got.advert == ad
    assert got.ah is None


def test_v3_interval_ignores_reserved_bits_only_via_checksum() -> None:
    ad = v3(adver_int=0xFFF)
    msg = encode_advert(ad, source=SRC, destination=VRRP_GROUP4)
    assert msg[4:6] == b"\x0f\xff"
    assert decode_advert(msg, source=SRC, destination=VRRP_GROUP4).interval == 0xFFF * 10_000


def _reason(fn: object, *args: object, **kw: object) -> str:
    assert callable(fn)
    with pytest.raises(DecodeError) as err:
        fn(*args, **kw)
    return err.value.reason


def _resum(msg: bytearray, source: IPv4Address = SRC, destination: IPv4Address = VRRP_GROUP4) -> bytes:
    msg[6:8] = b"\0\0"
    version = msg[0] >> 4
    msg[6:8] = struct.pack(
        "!H",
        vrrp_checksum(
            bytes(msg), version=version if version in (2, 3) else 2, source=source, destination=destination
        ),
    )
    return bytes(msg)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda m: m[:7], "short"),
        (lambda m: m[:-1], "truncated"),
        (lambda m: m + b"\0\0\0\0", "too_long"),
        (lambda m: _resum(bytearray(b"\x41" + m[1:])), "bad_version"),
        (lambda m: _resum(bytearray(b"\x22" + m[1:])), "bad_type"),
        (lambda m: m[:6] + bytes([m[6] ^ 1]) + m[7:], "bad_checksum"),
    ],
)
def test_decode_advert_reasons(mutate: object, reason: str) -> None:
    msg = encode_advert(v2(), source=SRC, destination=VRRP_GROUP4)
    assert callable(mutate)
    assert _reason(decode_advert, mutate(msg), source=SRC, destination=VRRP_GROUP4) == reason


def test_v2_over_ipv6_is_a_bad_version() -> None:
    msg = bytearray(encode_advert(v3(addresses=()), source=LL, destination=VRRP_GROUP6))
    msg[0] = 0x21
    assert (
        _reason(decode_ipv6_payload, bytes(msg), source=LL, destination=VRRP_GROUP6, hop_limit=255)
        == "bad_version"
    )


def _ip(packet: bytes, offset: int, value: bytes, *, fix: bool = True) -> bytes:
    out = bytearray(packet)
    out[offset : offset + len(value)] = value
    if fix:
        out[10:12] = b"\0\0"
        out[10:12] = struct.pack("!H", internet_checksum(bytes(out[:20])))
    return bytes(out)


def test_decode_ipv4_reasons() -> None:
    good = encode_ipv4_packet(v2(), source=SRC, destination=VRRP_GROUP4, ident=1)
    assert _reason(decode_ipv4_packet, good[:19]) == "short"
    assert _reason(decode_ipv4_packet, _ip(good, 0, b"\x65")) == "bad_ip_version"
    assert _reason(decode_ipv4_packet, _ip(good, 0, b"\x44")) == "bad_ihl"
    assert _reason(decode_ipv4_packet, _ip(good, 2, b"\x00\x10")) == "bad_tot_len"
    assert _reason(decode_ipv4_packet, good[:-1]) == "truncated"
    assert _reason(decode_ipv4_packet, _ip(good, 10, b"\x12\x34", fix=False)) == "bad_ip_checksum"
    assert _reason(decode_ipv4_packet, _ip(good, 6, b"\x20\x00")) == "fragment"
    assert _reason(decode_ipv4_packet, _ip(good, 9, b"\x11")) == "bad_protocol"
    assert _reason(decode_ipv4_packet, _ip(good, 8, b"\x40")) == "ttl"
    # Unicast TTL is the instance's business.
    uni = encode_ipv4_packet(v2(), source=SRC, destination=PEER, ident=1, ttl=64)
    assert decode_ipv4_packet(uni).ttl == 64


def test_decode_ipv6_ttl_only_for_multicast() -> None:
    msg = encode_advert(v3(addresses=()), source=LL, destination=VRRP_GROUP6)
    assert _reason(decode_ipv6_payload, msg, source=LL, destination=VRRP_GROUP6, hop_limit=64) == "ttl"
    peer = IPv6Address("fe80::2")
    uni = encode_advert(v3(addresses=()), source=LL, destination=peer)
    assert decode_ipv6_payload(uni, source=LL, destination=peer, hop_limit=64).ttl == 64


@pytest.mark.parametrize(
    "advert",
    [
        v2(version=4),
        v2(addresses=(IPv6Address("2001:db8::1"),)),
        v2(vrid=256),
        v2(priority=-1),
        v2(adver_int=256),
        v3(adver_int=0x1000),
        v2(auth_data=b"123456789"),
        v2(addresses=tuple(IPv4Address(f"192.0.2.{i % 250}") for i in range(256))),
    ],
)
def test_encode_rejects_what_cannot_be_sent(advert: Advert) -> None:
    with pytest.raises(LocalMisuse):
        encode_advert(advert, source=SRC, destination=VRRP_GROUP4)


def test_v2_over_ipv6_cannot_be_encoded() -> None:
    with pytest.raises(LocalMisuse):
        encode_advert(v2(addresses=()), source=LL, destination=VRRP_GROUP6)
    with pytest.raises(LocalMisuse):
        encode_advert(v3(), source=LL, destination=VRRP_GROUP4)


def test_auth_none_field_is_zero() -> None:
    msg = encode_advert(v2(auth_type=AUTH_NONE), source=SRC, destination=VRRP_GROUP4)
    assert msg[-8:] == bytes(8)
    assert decode_advert(msg, source=SRC, destination=VRRP_GROUP4).auth_data == bytes(8)


def test_internet_checksum_edge_cases() -> None:
    assert internet_checksum(b"") == 0xFFFF
    assert internet_checksum(b"\0\0") == 0xFFFF
    assert internet_checksum(b"\xff\xff") == 0
    assert internet_checksum(b"\x01") == 0xFEFF


def test_df_flag_and_ip_options_are_accepted() -> None:
    # Kernel-built headers (e.g. FRR's vrrpd) set DF; options shift the VRRP message.
    packet = encode_ipv4_packet(v3(), source=SRC, destination=VRRP_GROUP4, ident=1)
    df = _ip(packet, 6, b"\x40\x00")
    assert decode_ipv4_packet(df).advert == v3()
    options = bytearray(packet[:20] + b"\x01\x01\x01\x00" + packet[20:])  # NOP NOP NOP EOL
    options[0] = 0x46
    options[2:4] = struct.pack("!H", len(options))
    options[10:12] = b"\0\0"
    options[10:12] = struct.pack("!H", internet_checksum(bytes(options[:24])))
    got = decode_ipv4_packet(bytes(options))
    assert got.advert == v3()
    assert len(got.ip_header) == 24


def test_decode_accepts_bytes_like_input() -> None:
    msg = encode_advert(v3(), source=SRC, destination=VRRP_GROUP4)
    assert decode_advert(memoryview(msg), source=SRC, destination=VRRP_GROUP4) == v3()
    packet = encode_ipv4_packet(v3(), source=SRC, destination=VRRP_GROUP4, ident=1)
    assert decode_ipv4_packet(bytearray(packet)).advert == v3()


def test_interval_in_ticks() -> None:
    assert v2(adver_int=3).interval == 3_000_000
    assert v3(adver_int=150).interval == 1_500_000


def test_decode_ah_reasons() -> None:
    good = encode_ipv4_packet(
        v2(auth_type=2), source=SRC, destination=VRRP_GROUP4, ident=1, ah=AhParams(key=b"k", seq=1)
    )
    short = _ip(good[:40], 2, struct.pack("!H", 40))
    assert _reason(decode_ipv4_packet, short) == "short"
    assert _reason(decode_ipv4_packet, _ip(good, 20, b"\x11")) == "bad_ah"
    assert _reason(decode_ipv4_packet, _ip(good, 21, b"\x05")) == "bad_ah"


def test_ip_level_misuse() -> None:
    with pytest.raises(LocalMisuse):
        encode_ipv4_packet(v3(addresses=()), source=LL, destination=VRRP_GROUP6)  # type: ignore[arg-type]
    for bad in ({"ttl": 256}, {"tos": -1}, {"ident": 0x10000}):
        with pytest.raises(LocalMisuse):
            encode_ipv4_packet(v3(), source=SRC, destination=VRRP_GROUP4, **bad)  # type: ignore[arg-type]
    with pytest.raises(LocalMisuse):
        decode_ipv6_payload(b"", source=SRC, destination=VRRP_GROUP4, hop_limit=255)  # type: ignore[arg-type]


def test_peek_vrid_reads_the_vrid_only_when_the_headers_are_there() -> None:
    """As keepalived's vrrp_get_header: IP header, AH when the protocol says so, 8 VRRP bytes."""
    ip = bytes([0x45]) + bytes(8) + bytes([112]) + bytes(10)
    vrrp = bytes([0x21, 51, 100, 1, 0, 1, 0, 0])
    assert peek_vrid(ip + vrrp) == 51
    assert peek_vrid(ip + vrrp[:7]) is None
    assert peek_vrid(ip[:19]) is None
    ah_ip = ip[:9] + bytes([51]) + ip[10:]
    assert peek_vrid(ah_ip + bytes(24) + vrrp) == 51
    assert peek_vrid(ah_ip + vrrp) is None  # too short once the AH header is accounted for
    assert peek_vrid(vrrp, ipv6=True) == 51
    assert peek_vrid(vrrp[:7], ipv6=True) is None
