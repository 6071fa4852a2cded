"""Hypothesis properties of the VRRP codec: round trips, garbage in, and single-byte corruption.

Decoding is not accepting: any bytes give a decode or a DecodeError, never another exception, and
the checksums (plus the AH ICV) catch every single-byte change of a valid packet.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alived.core.vrrp.auth import pass_field, verify_ah
from alived.core.vrrp.wire import (
    AUTH_AH,
    AUTH_NONE,
    AUTH_PASS,
    VRRP_GROUP4,
    VRRP_GROUP6,
    Advert,
    AhParams,
    ReceivedPacket,
    decode_advert,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
    encode_ipv4_packet,
    internet_checksum,
)
from alived.errors import DecodeError

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ipv4s = st.integers(0, 2**32 - 1).map(IPv4Address)
ipv6s = st.integers(0, 2**128 - 1).map(IPv6Address)
unicast4 = st.sampled_from(
    [IPv4Address("192.0.2.2"), IPv4Address("198.51.100.7"), IPv4Address("203.0.113.9")]
)
dest4 = st.one_of(st.just(VRRP_GROUP4), unicast4)
dest6 = st.sampled_from([VRRP_GROUP6, IPv6Address("fe80::2"), IPv6Address("2001:db8::2")])
passwords = st.binary(min_size=0, max_size=12)


@st.composite
def adverts(draw: st.DrawFn, version: int, family: int, auth: int = AUTH_NONE) -> Advert:
    addr = ipv4s if family == 4 else ipv6s
    addresses = tuple(draw(st.lists(addr, max_size=12)))
    common = {
        "vrid": draw(st.integers(0, 255)),
        "priority": draw(st.integers(0, 255)),
        "addresses": addresses,
    }
    if version == 3:
        return Advert(version=3, adver_int=draw(st.integers(0, 0x0FFF)), **common)  # type: ignore[arg-type]
    data = pass_field(draw(passwords)) if auth == AUTH_PASS else bytes(8)
    return Advert(
        version=2,
        adver_int=draw(st.integers(0, 255)),
        auth_type=auth,
        auth_data=data,
        **common,  # type: ignore[arg-type]
    )


COMBOS = [(2, 4, AUTH_NONE), (2, 4, AUTH_PASS), (2, 4, AUTH_AH), (3, 4, AUTH_NONE), (3, 6, AUTH_NONE)]


@st.composite
def packets(draw: st.DrawFn, version: int, family: int, auth: int) -> tuple[Advert, bytes, dict[str, object]]:
    """(advert, wire bytes, what the decode needs): a whole IPv4 packet, or an IPv6 VRRP payload."""
    ad = draw(adverts(version, family, auth))
    if family == 6:
        src, dst = draw(ipv6s), draw(dest6)
        return ad, encode_advert(ad, source=src, destination=dst), {"source": src, "destination": dst}
    src, dst = draw(ipv4s), draw(dest4)
    ah = None
    if auth == AUTH_AH:
        ah = AhParams(
            key=pass_field(draw(passwords)), seq=draw(st.integers(0, 2**32 - 1)), unicast=not dst.is_multicast
        )
    old = version == 3 and not dst.is_multicast and draw(st.booleans())
    ttl = 255 if dst.is_multicast else draw(st.integers(0, 255))
    data = encode_ipv4_packet(
        ad,
        source=src,
        destination=dst,
        ttl=ttl,
        ident=draw(st.integers(1, 0xFFFF)),
        ah=ah,
        old_unicast_checksum=old,
    )
    return ad, data, {"ah": ah, "old": old, "ttl": ttl}


def _decode(family: int, data: bytes, info: dict[str, object]) -> ReceivedPacket:
    if family == 4:
        return decode_ipv4_packet(data)
    src, dst = info["source"], info["destination"]
    assert isinstance(src, IPv6Address)
    assert isinstance(dst, IPv6Address)
    return decode_ipv6_payload(data, source=src, destination=dst, hop_limit=255)


@pytest.mark.parametrize(("version", "family", "auth"), COMBOS)
def test_round_trip(version: int, family: int, auth: int) -> None:
    @SETTINGS
    @given(packets(version, family, auth), st.integers(0, 40))
    def check(case: tuple[Advert, bytes, dict[str, object]], padding: int) -> None:
        ad, data, info = case
        got = _decode(family, data + (bytes(padding) if family == 4 else b""), info)
        assert got.advert == ad
        if family == 4:
            assert got.old_unicast_checksum == info["old"]
            assert got.ttl == info["ttl"]
            ah = info["ah"]
            if isinstance(ah, AhParams):
                assert got.ah is not None
                assert got.ah.seq == ah.seq
                assert verify_ah(got, ah.key, unicast=ah.unicast)
            else:
                assert got.ah is None

    check()


@pytest.mark.parametrize(("version", "family", "auth"), COMBOS)
def test_single_byte_corruption_is_always_caught(version: int, family: int, auth: int) -> None:
    @SETTINGS
    @given(packets(version, family, auth), st.data())
    def check(case: tuple[Advert, bytes, dict[str, object]], data: st.DataObject) -> None:
        _, raw, info = case
        where = data.draw(st.integers(0, len(raw) - 1))
        flip = data.draw(st.integers(1, 255))
        bad = raw[:where] + bytes([raw[where] ^ flip]) + raw[where + 1 :]
        ah = info.get("ah")
        try:
            got = _decode(family, bad, info)
        except DecodeError:
            return
        # Only the AH ICV itself is outside both checksums; then the ICV check fails instead.
        assert isinstance(ah, AhParams)
        assert not verify_ah(got, ah.key, unicast=ah.unicast)

    check()


@SETTINGS
@given(st.binary(max_size=200), st.sampled_from([(ipv4s, dest4), (ipv6s, dest6)]), st.data())
def test_decode_advert_garbage(data: bytes, family: tuple[object, object], draw: st.DataObject) -> None:
    src_s, dst_s = family
    assert isinstance(src_s, st.SearchStrategy)
    assert isinstance(dst_s, st.SearchStrategy)
    src, dst = draw.draw(src_s), draw.draw(dst_s)
    try:
        ad = decode_advert(data, source=src, destination=dst, v3_checksum_as_v2=draw.draw(st.booleans()))
    except DecodeError as err:
        assert err.reason
    else:
        assert isinstance(ad, Advert)


@SETTINGS
@given(st.binary(max_size=200))
def test_decode_ipv4_garbage(data: bytes) -> None:
    try:
        got = decode_ipv4_packet(data)
    except DecodeError as err:
        assert err.reason
    else:
        assert isinstance(got, ReceivedPacket)


def _ipv4_prefix() -> st.SearchStrategy[bytes]:
    """Garbage that passes the IP header checks, so the fuzzing reaches AH and VRRP parsing."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        body = draw(st.binary(max_size=120))
        proto = draw(st.sampled_from([51, 112]))
        total = 20 + len(body)
        header = bytearray(
            bytes([0x45, 0xC0]) + total.to_bytes(2, "big") + b"\0\1\0\0" + bytes([255, proto]) + b"\0\0"
        )
        header += draw(ipv4s).packed + draw(dest4).packed
        header[10:12] = internet_checksum(bytes(header)).to_bytes(2, "big")
        return bytes(header) + body

    return build()


@SETTINGS
@given(_ipv4_prefix())
def test_decode_ipv4_garbage_behind_a_valid_header(data: bytes) -> None:
    try:
        got = decode_ipv4_packet(data)
    except DecodeError as err:
        assert err.reason
    else:
        assert isinstance(got, ReceivedPacket)
        assert verify_ah(got, b"") in (True, False)


@SETTINGS
@given(st.binary(max_size=200), ipv6s, dest6, st.integers(0, 255))
def test_decode_ipv6_garbage(data: bytes, src: IPv6Address, dst: IPv6Address, hop: int) -> None:
    try:
        got = decode_ipv6_payload(data, source=src, destination=dst, hop_limit=hop)
    except DecodeError as err:
        assert err.reason
    else:
        assert got.advert.version == 3


@SETTINGS
@given(adverts(2, 4, AUTH_PASS), ipv4s)
def test_v2_pass_field_survives(ad: Advert, src: IPv4Address) -> None:
    msg = encode_advert(ad, source=src, destination=VRRP_GROUP4)
    assert msg[-8:] == ad.auth_data
    assert decode_advert(msg, source=src, destination=VRRP_GROUP4) == ad
    assert decode_advert(msg, source=src, destination=VRRP_GROUP4) != replace(ad, auth_data=bytes(8)) or (
        ad.auth_data == bytes(8)
    )
