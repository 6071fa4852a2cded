"""The advert source the VRRP child picks: the interface's own address, never one of its VIPs."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from alived.config.load import load_text
from alived.daemon.options import Options
from alived.daemon.vrrp.child import VrrpChild
from alived.daemon.vrrp.translate import config_vips, translate
from alived.errors import BackendError
from alived.linux.netlink import RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, AddressEntry, Netlink

CONFIG = """
vrrp_instance VI_4 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    203.0.113.10/32
  }
  virtual_ipaddress_excluded {
    198.51.100.9/32
    fe80::9/64
  }
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    fe80::1/64
    2001:db8::1/64
  }
}
"""


class FakeNetlink:
    """Addresses of eth0 in kernel dump order; primary_ipv4 is the real ranking."""

    primary_ipv4 = Netlink.primary_ipv4

    def __init__(self, *addresses: str) -> None:
        self.entries = [
            AddressEntry(
                address=ip_address(a),
                prefixlen=64 if ":" in a else 24,
                scope=RT_SCOPE_LINK if a.startswith("fe80") else RT_SCOPE_UNIVERSE,
                flags=0,
                label=None,
            )
            for a in addresses
        ]

    def address_entries(self, ifname: str) -> list[AddressEntry]:
        if ifname != "eth0":
            raise BackendError("addr_dump", 19, ifname)
        return self.entries


def child_on(*addresses: str, with_plans: bool = True) -> VrrpChild:
    child = VrrpChild(Options())
    child.config = load_text(CONFIG, interfaces={"eth0"}).config
    child.netlink = FakeNetlink(*addresses)  # type: ignore[assignment]
    if with_plans:
        child.plans = {p.name: p for p in translate(child.config, lambda ifname, fam: None)}
    return child


def test_a_vip_left_on_the_interface_is_not_the_ipv4_source() -> None:
    # After a respawn the VIPs are still there, and may come first in the dump.
    child = child_on("203.0.113.10", "198.51.100.9", "192.0.2.1", "fe80::1", "fe80::2")
    assert child.primary_address("eth0", 4) == IPv4Address("192.0.2.1")


def test_a_link_local_vip_is_not_the_ipv6_source() -> None:
    child = child_on("192.0.2.1", "fe80::1", "fe80::9", "fe80::2")
    assert child.primary_address("eth0", 6) == IPv6Address("fe80::2")


def test_vips_of_the_config_count_before_any_plan_exists() -> None:
    # translate() asks for the source while building the very first plans.
    child = child_on("203.0.113.10", "192.0.2.1", "fe80::1", "fe80::2", with_plans=False)
    assert child.primary_address("eth0", 4) == IPv4Address("192.0.2.1")
    assert child.primary_address("eth0", 6) == IPv6Address("fe80::2")


def test_only_vips_means_no_source_and_a_missing_interface_too() -> None:
    child = child_on("203.0.113.10", "fe80::1")
    assert child.primary_address("eth0", 4) is None
    assert child.primary_address("eth0", 6) is None
    assert child.primary_address("eth9", 4) is None
    assert child.primary_address("eth9", 6) is None


def test_translate_through_the_child_gives_the_plans_the_real_address() -> None:
    child = child_on("203.0.113.10", "192.0.2.1", "fe80::1", "fe80::2")
    assert child.config is not None
    plans = {p.name: p for p in translate(child.config, child.primary_address)}
    assert plans["VI_4"].params.primary_address == IPv4Address("192.0.2.1")
    assert plans["VI_6"].params.primary_address == IPv6Address("fe80::2")


def test_config_vips_lists_vips_and_excluded_ones_and_is_kept_per_config() -> None:
    config = load_text(CONFIG, interfaces={"eth0"}).config
    vips = config_vips(config)
    assert vips == {
        ip_address(a) for a in ("203.0.113.10", "198.51.100.9", "fe80::9", "fe80::1", "2001:db8::1")
    }
    assert config_vips(config) is vips
    other = load_text(CONFIG.replace("203.0.113.10", "203.0.113.11"), interfaces={"eth0"}).config
    assert ip_address("203.0.113.11") in config_vips(other)
    assert ip_address("203.0.113.10") in config_vips(config)
