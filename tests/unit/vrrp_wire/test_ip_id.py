"""The IPv4 header ID of adverts, and the old_unicast_checksum form, at the codec level."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.auth import verify_ah
from alived.core.vrrp.wire import (
    VRRP_GROUP4,
    Advert,
    AhParams,
    decode_advert,
    decode_ipv4_packet,
    encode_advert,
    encode_ipv4_packet,
    internet_checksum,
    next_ip_id,
)
from alived.errors import DecodeError

SRC = IPv4Address("192.0.2.1")
PEER = IPv4Address("192.0.2.2")
V3 = Advert(version=3, vrid=52, priority=150, adver_int=100, addresses=(IPv4Address("192.0.2.100"),))
V2 = Advert(
    version=2, vrid=7, priority=100, adver_int=1, addresses=(IPv4Address("192.0.2.100"),), auth_type=2
)


def ip_id(packet: bytes) -> int:
    return int(struct.unpack_from("!H", packet, 4)[0])


def test_ip_ids_count_from_one_and_skip_zero() -> None:
    ids = [0]
    for _ in range(3):
        ids.append(next_ip_id(ids[-1]))
    assert ids == [0, 1, 2, 3]
    assert next_ip_id(0xFFFE) == 0xFFFF
    assert next_ip_id(0xFFFF) == 1  # never 0: the kernel would put its own ID there


def test_the_ip_id_given_is_the_one_on_the_wire_with_and_without_ah() -> None:
    plain = encode_ipv4_packet(V3, source=SRC, destination=VRRP_GROUP4, ident=0x1234)
    assert ip_id(plain) == 0x1234
    assert decode_ipv4_packet(plain).advert == V3
    ah = encode_ipv4_packet(
        V2, source=SRC, destination=VRRP_GROUP4, ident=0xBEEF, ah=AhParams(key=b"secret\0\0", seq=5)
    )
    assert ip_id(ah) == 0xBEEF
    received = decode_ipv4_packet(ah)
    assert verify_ah(received, b"secret")
    # The ID is covered by the ICV: a kernel-chosen ID would not verify.
    header = ah[:4] + struct.pack("!H", 0xBEF0) + ah[6:10] + b"\0\0" + ah[12:20]
    other = header[:10] + struct.pack("!H", internet_checksum(header)) + header[12:] + ah[20:]
    assert not verify_ah(decode_ipv4_packet(other), b"secret")


def test_old_unicast_checksum_sums_over_the_group_not_the_peer() -> None:
    old = encode_ipv4_packet(V3, source=SRC, destination=PEER, ident=1, old_unicast_checksum=True)
    new = encode_ipv4_packet(V3, source=SRC, destination=PEER, ident=1)
    assert old[20:] == encode_advert(V3, source=SRC, destination=VRRP_GROUP4)
    assert new[20:] == encode_advert(V3, source=SRC, destination=PEER)
    assert old[20:] != new[20:]
    # The decoder takes both and says which form it saw.
    assert decode_ipv4_packet(old).old_unicast_checksum
    assert not decode_ipv4_packet(new).old_unicast_checksum
    assert decode_ipv4_packet(old).advert == decode_ipv4_packet(new).advert == V3
    # The old form is only a unicast thing: to the group both forms are the same bytes.
    to_group = encode_ipv4_packet(V3, source=SRC, destination=VRRP_GROUP4, ident=1, old_unicast_checksum=True)
    assert to_group == encode_ipv4_packet(V3, source=SRC, destination=VRRP_GROUP4, ident=1)


def test_a_checksum_right_for_neither_form_is_refused() -> None:
    message = bytearray(encode_advert(V3, source=SRC, destination=PEER))
    message[7] ^= 1
    with pytest.raises(DecodeError):
        decode_advert(bytes(message), source=SRC, destination=PEER)


def test_v2_ignores_old_unicast_checksum() -> None:
    v2 = Advert(version=2, vrid=7, priority=100, adver_int=1, addresses=(IPv4Address("192.0.2.100"),))
    assert encode_ipv4_packet(v2, source=SRC, destination=PEER, ident=3, old_unicast_checksum=True) == (
        encode_ipv4_packet(v2, source=SRC, destination=PEER, ident=3)
    )
