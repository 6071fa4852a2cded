"""core/lb/granularity.py: one value per IPv4 mask (a prefix when solid), read back as written."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alived.core.lb import granularity
from alived.core.lb.granularity import Netmask
from alived.core.lb.model import ServiceKey, VirtualService
from alived.errors import LocalMisuse


def test_a_solid_mask_is_its_prefix_and_any_other_a_netmask() -> None:
    assert granularity.from_ipv4_mask(0xFFFFFF00) == 24
    assert granularity.from_ipv4_mask(0) == 0
    assert granularity.from_ipv4_mask(0xFFFFFFFF) == 32
    assert granularity.from_ipv4_mask(0xFF00FF00) == Netmask(0xFF00FF00)
    assert granularity.from_ipv4_mask(0x18) == Netmask(0x18)  # `24` read as keepalived's inet_aton reads it
    assert str(Netmask(0xFF00FF00)) == "255.0.255.0"
    with pytest.raises(LocalMisuse):
        Netmask(0xFFFF0000)  # solid: held as 16, so that each mask has one value
    with pytest.raises(LocalMisuse):
        Netmask(1 << 32)


def test_netmasks_records_and_names() -> None:
    odd = Netmask(0xFF00FF00)
    assert granularity.netmask(4, 24) == "255.255.255.0"
    assert granularity.netmask(4, 0) == "0.0.0.0"
    assert granularity.netmask(4, odd) == "255.0.255.0"
    assert granularity.netmask(6, 64) == "ffff:ffff:ffff:ffff::"
    assert granularity.parse(granularity.text(odd)) == odd
    assert granularity.parse(granularity.text(24)) == 24
    # A name carries no dot: nft identifiers and map names stay plain.
    assert granularity.token(odd) == "mff00ff00" and granularity.token(24) == "24"


@given(st.integers(0, 0xFFFFFFFF))
def test_any_ipv4_mask_round_trips(bits: int) -> None:
    value = granularity.from_ipv4_mask(bits)
    assert granularity.ipv4_netmask(value) == str(ipaddress.IPv4Address(bits))
    assert granularity.parse(granularity.text(value)) == value
    assert granularity.token(value).isalnum()


def test_a_netmask_is_for_ipv4_services_only() -> None:
    key6 = ServiceKey(family=6, protocol="TCP", address="2001:db8::10", port=80)
    with pytest.raises(LocalMisuse):
        VirtualService(key=key6, persistence_granularity=Netmask(0xFF00FF00))
