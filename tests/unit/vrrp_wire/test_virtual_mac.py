"""The RFC 5798 virtual MAC, defined once in core/vrrp/wire.py for translate and the VMAC adapter."""

from __future__ import annotations

import pytest

from alived.core.vrrp.wire import virtual_mac
from alived.errors import LocalMisuse


def test_virtual_mac_is_the_rfc_5798_address_per_family() -> None:
    assert virtual_mac(51, 4) == bytes.fromhex("00005e000133")
    assert virtual_mac(255, 6) == bytes.fromhex("00005e0002ff")


@pytest.mark.parametrize(("vrid", "family"), [(0, 4), (256, 4), (1, 5)])
def test_virtual_mac_refuses_what_has_none(vrid: int, family: int) -> None:
    with pytest.raises(LocalMisuse):
        virtual_mac(vrid, family)
