"""Byte-exact checks against packets captured from keepalived 2.2.7 (tests/golden/packets, no root needed).

Each file's decode must give its `# expect:` fields, and our encoding of that decode (with the same
IP ID, TTL and AH sequence number) must reproduce the captured bytes exactly, AH ICV included.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import unsolicited_na
from alived.core.vrrp.auth import check_pass, verify_ah
from alived.core.vrrp.wire import (
    ReceivedPacket,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
)
from tests.golden.files import GoldenPacket, addresses_of, advert_expectation, load_all, reencode_ipv4

GOLDEN = load_all()
ADVERTS = [g for g in GOLDEN if g.layer in ("ipv4", "ipv6")]


def test_the_golden_set_covers_every_variant() -> None:
    names = {g.name for g in GOLDEN}
    for needed in (
        "v2_none_advert1",
        "v2_pass_advert1",
        "v2_ah_advert1",
        "v2_ah_advert2",
        "v2_ah_uc_advert1",
        "v3_mc_advert1",
        "v3_uc_advert1",
        "v3_uc_old_advert1",
        "v3_v6_advert1",
        "garp",
        "unsolicited_na",
    ):
        assert needed in names
    assert all(g.comments and g.expect for g in GOLDEN)


def _decode(g: GoldenPacket) -> ReceivedPacket:
    if g.layer == "ipv4":
        return decode_ipv4_packet(g.data)
    return decode_ipv6_payload(
        g.data[40:],
        source=IPv6Address(g.data[8:24]),
        destination=IPv6Address(g.data[24:40]),
        hop_limit=g.data[7],
    )


@pytest.mark.parametrize("g", ADVERTS, ids=lambda g: g.name)
def test_decode_gives_expected_fields(g: GoldenPacket) -> None:
    got = _decode(g)
    expect = dict(g.expect)
    for key in ("instance", "unicast", "auth_pass"):
        expect.pop(key, None)
    assert advert_expectation(got, g.data) == expect
    assert got.advert.addresses == addresses_of(g.expect["addresses"])


@pytest.mark.parametrize("g", ADVERTS, ids=lambda g: g.name)
def test_encode_reproduces_keepalived_bytes(g: GoldenPacket) -> None:
    got = _decode(g)
    if g.layer == "ipv4":
        unicast = g.expect["unicast"] == "1"
        assert reencode_ipv4(got, g.data, auth_pass=g.expect.get("auth_pass", ""), unicast=unicast) == g.data
    else:
        again = encode_advert(got.advert, source=got.source, destination=got.destination)
        assert again == g.data[40:]


@pytest.mark.parametrize("g", [g for g in ADVERTS if "auth_pass" in g.expect], ids=lambda g: g.name)
def test_authentication_verifies(g: GoldenPacket) -> None:
    got = _decode(g)
    password = g.expect["auth_pass"]
    if got.ah is not None:
        unicast = g.expect["unicast"] == "1"
        assert verify_ah(got, password, unicast=unicast)
        assert not verify_ah(got, "x" + password, unicast=unicast)
        assert not verify_ah(got, password, unicast=not unicast)
    else:
        assert check_pass(got.advert, password)
        assert not check_pass(got.advert, "wrong")


def _one(name: str) -> GoldenPacket:
    return next(g for g in GOLDEN if g.name == name)


def test_gratuitous_arp_matches_keepalived() -> None:
    g = _one("garp")
    assert gratuitous_arp(bytes.fromhex(g.expect["mac"]), IPv4Address(g.expect["ip"])) == g.data


def test_unsolicited_na_matches_keepalived() -> None:
    g = _one("unsolicited_na")
    frame = unsolicited_na(
        bytes.fromhex(g.expect["mac"]), IPv6Address(g.expect["ip"]), router=g.expect["router"] == "1"
    )
    assert frame == g.data
