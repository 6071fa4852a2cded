"""translate(): keepalived.conf model -> InstanceParams and the adapter's plan."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, ip_address

from alived.config.load import load_text
from alived.core.vrrp.params import InitialState
from alived.core.vrrp.wire import AUTH_AH, AUTH_PASS, virtual_mac
from alived.daemon.vrrp.reload import diff, priority_only
from alived.daemon.vrrp.translate import InstancePlan, translate
from alived.linux.netlink import RT_SCOPE_LINK, RTPROT_KEEPALIVED
from alived.units import SECOND

PRIMARY = {("eth0", 4): IPv4Address("192.0.2.1"), ("eth0", 6): IPv6Address("fe80::1")}


def plans(text: str) -> dict[str, InstancePlan]:
    result = load_text(text, interfaces={"eth0", "eth1", "lo"})
    return {p.name: p for p in translate(result.config, lambda ifname, fam: PRIMARY.get((ifname, fam)))}


BASIC = """
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 2
  nopreempt_placeholder
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101 dev eth1 scope link label eth1:vip
  }
  virtual_ipaddress_excluded {
    198.51.100.7/32
  }
  virtual_routes {
    203.0.113.0/24 via 192.0.2.254
  }
  notify_master "/bin/echo master"
  notify /bin/notify.sh
  unicast_peer {
    192.0.2.2
    192.0.2.3
  }
}
""".replace("  nopreempt_placeholder\n", "")


def test_basic_instance() -> None:
    plan = plans(BASIC)["VI_1"]
    p = plan.params
    assert (p.name, p.vrid, p.priority, p.version, p.advert_int) == ("VI_1", 51, 150, 2, 2 * SECOND)
    assert p.initial_state is InitialState.MASTER
    assert p.primary_address == IPv4Address("192.0.2.1") and plan.has_source
    assert p.addresses == (IPv4Address("192.0.2.100"), IPv4Address("192.0.2.101"))
    assert p.excluded_addresses == (IPv4Address("198.51.100.7"),)
    assert p.unicast_peers == (IPv4Address("192.0.2.2"), IPv4Address("192.0.2.3"))
    assert plan.interface == plan.vip_interface == "eth0"
    first, second = plan.vips
    assert (first.prefixlen, first.dev) == (24, "eth0")
    assert (second.prefixlen, second.dev, second.scope, second.label) == (
        32,
        "eth1",
        RT_SCOPE_LINK,
        "eth1:vip",
    )
    (route,) = plan.routes
    assert route.dst == IPv4Network("203.0.113.0/24") and route.via == ip_address("192.0.2.254")
    assert p.virtual_routes == (0,)
    assert plan.notify.specific["MASTER"].argv == ("/bin/echo", "master")
    assert plan.notify.generic is not None and plan.notify.generic.argv == ("/bin/notify.sh",)
    assert plan.socket_key == ("eth0", 4, True, None, "vrrp")


def test_missing_source_address_is_reported() -> None:
    plan = plans(BASIC.replace("interface eth0", "interface eth1"))["VI_1"]
    assert not plan.has_source


def test_ipv6_v3_and_vmac() -> None:
    text = """
global_defs {
  vrrp_version 3
}
vrrp_instance V6 {
  interface eth0
  virtual_router_id 61
  advert_int 0.5
  use_vmac
  virtual_ipaddress {
    2001:db8::61/64
  }
}
"""
    plan = plans(text)["V6"]
    assert plan.family == 6 and plan.params.version == 3
    assert plan.params.advert_int == SECOND // 2
    assert plan.params.primary_address == IPv6Address("fe80::1")
    assert str(plan.group) == "ff02::12"
    assert plan.vmac is not None and plan.vmac.name == "vrrp.61"
    assert plan.vmac.mac == virtual_mac(61, 6) == bytes.fromhex("00005e00023d")
    assert plan.interface == plan.vip_interface == "vrrp.61"
    assert plan.vips[0].dev == "vrrp.61"
    assert plan.vips[0].preferred_lft is None


def test_authentication() -> None:
    auth = "  priority 150\n  authentication {\n    auth_type PASS\n    auth_pass longpassword\n  }"
    pass_plan = plans(BASIC.replace("  priority 150", auth))["VI_1"]
    assert pass_plan.params.auth_type == AUTH_PASS and pass_plan.params.auth_key == b"longpass"
    ah = BASIC.replace("state MASTER", "state BACKUP").replace(
        "  priority 150", "  priority 150\n  authentication {\n    auth_type AH\n    auth_pass k\n  }"
    )
    assert plans(ah)["VI_1"].params.auth_type == AUTH_AH


def test_reload_diff() -> None:
    two = BASIC + BASIC.replace("VI_1", "VI_2").replace("virtual_router_id 51", "virtual_router_id 52")
    old_cfg = load_text(two, interfaces={"eth0", "eth1"}).config
    old = plans(two)
    changed = two.replace("priority 150", "priority 140", 1)
    new_cfg = load_text(changed, interfaces={"eth0", "eth1"}).config
    new = plans(changed)
    assert priority_only(old["VI_1"], new["VI_1"])
    kept, reprio, restarted, removed = diff(old_cfg, old, new_cfg, new)
    assert (kept, reprio, restarted, removed) == ({"VI_2"}, {"VI_1"}, set(), set())
    vip_added = two.replace("192.0.2.100/24", "192.0.2.100/24\n    192.0.2.102/24", 1)
    kept, reprio, restarted, removed = diff(
        old_cfg, old, load_text(vip_added, interfaces={"eth0", "eth1"}).config, plans(vip_added)
    )
    # Only VIPs changed: the instance is changed in place (reload_vips), never restarted.
    assert (kept, reprio, restarted, removed) == ({"VI_2"}, {"VI_1"}, set(), set())
    only_one = BASIC
    kept, reprio, restarted, removed = diff(
        old_cfg, old, load_text(only_one, interfaces={"eth0", "eth1"}).config, plans(only_one)
    )
    assert (kept, removed) == ({"VI_1"}, {"VI_2"})


def test_reload_diff_keeps_a_sync_group_whose_members_change_in_place() -> None:
    """A VIP or priority change of a sync-group member is made in place, as keepalived does; the
    group is rebuilt only when a member restarts or the membership changes."""
    two = BASIC + BASIC.replace("VI_1", "VI_2").replace("virtual_router_id 51", "virtual_router_id 52")
    grouped = two + "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"

    def changes(new_text: str) -> tuple[set[str], set[str], set[str], set[str]]:
        old_cfg = load_text(grouped, interfaces={"eth0", "eth1"}).config
        new_cfg = load_text(new_text, interfaces={"eth0", "eth1"}).config
        return diff(old_cfg, plans(grouped), new_cfg, plans(new_text))

    vip_added = grouped.replace("192.0.2.100/24", "192.0.2.100/24\n    192.0.2.102/24", 1)
    assert changes(vip_added) == ({"VI_2"}, {"VI_1"}, set(), set())
    reprio = grouped.replace("priority 150", "priority 140", 1)
    assert changes(reprio) == ({"VI_2"}, {"VI_1"}, set(), set())
    restarted = grouped.replace("advert_int 2", "advert_int 3", 1)
    assert changes(restarted) == (set(), set(), {"VI_1", "VI_2"}, set())
    assert changes(two) == (set(), set(), {"VI_1", "VI_2"}, set())  # out of the group


def test_each_interface_address_is_looked_up_once_per_pass() -> None:
    """A lookup dumps the interface's addresses (every VIP on it): one per instance made a reload
    of N instances on one link cost N x N decoded addresses."""
    text = "".join(
        BASIC.replace("VI_1", f"VI_{i}").replace("virtual_router_id 51", f"virtual_router_id {i}")
        for i in range(1, 6)
    )
    config = load_text(text, interfaces={"eth0", "eth1"}).config
    asked: list[tuple[str, int]] = []

    def lookup(ifname: str, family: int) -> IPv4Address | IPv6Address | None:
        asked.append((ifname, family))
        return PRIMARY.get((ifname, family))

    assert len(translate(config, lookup)) == 5
    assert asked == [("eth0", 4)]


def test_an_instance_the_core_refuses_is_skipped_and_reported() -> None:
    from alived.config import model
    from alived.units import Ticks

    bad = model.VrrpInstance(
        name="BAD", interface="eth0", virtual_router_id=1, effective_advert_int=Ticks(1_500_000)
    )
    good = model.VrrpInstance(name="GOOD", interface="eth0", virtual_router_id=2)
    errors: list[tuple[str, str]] = []
    out = translate(
        model.Config(instances=(bad, good)),
        lambda ifname, fam: PRIMARY.get((ifname, fam)),
        lambda name, reason: errors.append((name, reason)),
    )
    assert [p.name for p in out] == ["GOOD"]
    assert errors and errors[0][0] == "BAD" and "whole seconds" in errors[0][1]


def test_a_peers_ttl_range_reaches_the_instance_with_keepalived_defaults_for_a_missing_bound() -> None:
    text = BASIC.replace("    192.0.2.2\n    192.0.2.3\n", "    192.0.2.2 min_ttl 10\n    192.0.2.3\n")
    text = text.replace(
        "  unicast_peer {", "  unicast_peer {\n    192.0.2.4 max_ttl 20 min_ttl 5\n    192.0.2.5 max_ttl 9"
    )
    p = plans(text)["VI_1"].params
    assert p.unicast_peer_ttl == (
        (IPv4Address("192.0.2.4"), 5, 20),
        (IPv4Address("192.0.2.5"), 0, 9),
        (IPv4Address("192.0.2.2"), 10, 255),
    )
    assert plans(BASIC)["VI_1"].params.unicast_peer_ttl == ()


def test_routes_and_rules_carry_keepalived_s_protocol_unless_an_untracked_one_names_another() -> None:
    text = BASIC.replace(
        "  virtual_routes {\n    203.0.113.0/24 via 192.0.2.254\n",
        "  virtual_routes {\n    203.0.113.0/24 via 192.0.2.254\n"
        "    198.51.100.0/24 via 192.0.2.254 protocol static no_track\n",
    ).replace(
        "  notify /bin/notify.sh\n",
        "  notify /bin/notify.sh\n  virtual_rules {\n    from 192.0.2.100 table 100\n"
        "    from 192.0.2.101 table 100 protocol 12 no_track\n  }\n",
    )
    plan = plans(text)["VI_1"]
    assert [r.protocol for r in plan.routes] == [RTPROT_KEEPALIVED, 4]
    assert [r.protocol for r in plan.rules] == [RTPROT_KEEPALIVED, 12]


def test_garp_extra_if_picks_the_addresses_on_other_interfaces_vmacs_only_without_all() -> None:
    def extra(instance_line: str, global_line: str = "") -> tuple[int, tuple[object, ...]]:
        text = f"global_defs {{\n  {global_line}\n}}\n" if global_line else ""
        text += BASIC.replace("  advert_int 2\n", f"  advert_int 2\n  {instance_line}\n")
        garp = plans(text)["VI_1"].params.garp
        return garp.extra_interval, garp.extra_addresses

    on_eth1 = (IPv4Address("192.0.2.101"),)
    assert extra("garp_extra_if all 7") == (7 * SECOND, on_eth1)
    assert extra("", "vrrp_garp_extra_if all 9") == (9 * SECOND, on_eth1)
    assert extra("garp_extra_if 7", "vrrp_garp_extra_if all 9") == (7 * SECOND, ())  # no VMAC here
    assert extra("garp_extra_if all 0") == (0, ())
    # Adverts through the base interface, addresses on the VMAC: those are the VMAC's.
    vmac = extra("use_vmac\n  vmac_xmit_base\n  garp_extra_if 7")
    assert vmac == (7 * SECOND, (IPv4Address("192.0.2.100"), IPv4Address("198.51.100.7")))
    assert extra("") == (0, ())
