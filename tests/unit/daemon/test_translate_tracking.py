"""Interfaces an instance tracks besides its own, as keepalived's vrrp_complete_instance decides."""

from __future__ import annotations

from ipaddress import IPv4Address

from alived.config.load import load_text
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.translate import InstancePlan, ignored_track_interfaces, translate

IFACES = {"eth0", "eth1", "eth2", "eth3"}


def plan_of(body: str) -> InstancePlan:
    text = f"""vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 51
  priority 150
{body}
}}
"""
    config = load_text(text, interfaces=IFACES).config
    (plan,) = translate(config, lambda ifname, family: IPv4Address("192.0.2.1"))
    return plan


def test_a_vip_on_another_interface_tracks_it_with_weight_0() -> None:
    plan = plan_of("  virtual_ipaddress {\n    192.0.2.100/24\n    198.51.100.100/24 dev eth1\n  }")
    assert plan.track_interfaces == ("eth1",)
    assert TrackerSpec(kind=TrackerKind.INTERFACE, name="eth1", weight=0) in plan.params.trackers


def test_no_track_on_the_vip_leaves_its_interface_untracked() -> None:
    plan = plan_of("  virtual_ipaddress {\n    198.51.100.100/24 dev eth1 no_track\n  }")
    assert plan.track_interfaces == ()
    assert not any(t.kind is TrackerKind.INTERFACE for t in plan.params.trackers)


def test_excluded_vips_and_routes_with_a_device_are_tracked_too() -> None:
    plan = plan_of(
        "  virtual_ipaddress_excluded {\n    198.51.100.100/24 dev eth1\n  }\n"
        "  virtual_routes {\n    203.0.113.0/24 dev eth2\n    198.51.100.0/24 dev eth3 no_track\n  }"
    )
    assert plan.track_interfaces == ("eth1", "eth2")


def test_an_explicit_track_interface_keeps_its_weight() -> None:
    plan = plan_of(
        "  track_interface {\n    eth1 weight -20\n  }\n"
        "  virtual_ipaddress {\n    198.51.100.100/24 dev eth1\n  }"
    )
    assert TrackerSpec(kind=TrackerKind.INTERFACE, name="eth1", weight=-20) in plan.params.trackers
    assert plan.track_interfaces == ("eth1",)


def test_track_interface_naming_the_own_interface_is_ignored_with_keepalived_line() -> None:
    body = "  track_interface {\n    eth0\n    eth1\n  }\n  virtual_ipaddress {\n    192.0.2.100/24\n  }"
    plan = plan_of(body)
    assert plan.track_interfaces == ("eth1",)
    text = f"vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n{body}\n}}\n"
    config = load_text(text, interfaces=IFACES).config
    assert ignored_track_interfaces(config.instances[0], config) == (
        "(VI_1) Ignoring track_interface eth0 since own interface",
    )
