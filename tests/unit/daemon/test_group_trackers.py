"""A vrrp_sync_group's track_interface / track_script reach each member, as keepalived 2.2.7 does."""

from __future__ import annotations

from ipaddress import IPv4Address

from alived.config.load import load_text
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.translate import InstancePlan, translate

IFACES = {"eth0", "eth1", "eth2", "eth3"}


def plans(group_body: str, first: str = "", priority: int = 100) -> dict[str, InstancePlan]:
    text = f"""vrrp_script chk {{
  script "/bin/true"
  weight -30
}}
vrrp_sync_group G1 {{
  group {{
    VI_1
    VI_2
  }}
{group_body}
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 51
  priority {priority}
{first}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
vrrp_instance VI_2 {{
  interface eth1
  virtual_router_id 52
  priority 100
  virtual_ipaddress {{
    198.51.100.100/24
  }}
}}
"""
    config = load_text(text, interfaces=IFACES).config
    return {p.name: p for p in translate(config, lambda ifname, family: IPv4Address("192.0.2.1"))}


def of_kind(plan: InstancePlan, kind: TrackerKind) -> list[TrackerSpec]:
    return [t for t in plan.params.trackers if t.kind is kind]


def test_a_group_s_track_interface_is_tracked_by_every_member() -> None:
    got = plans("  track_interface {\n    eth2\n    eth3 weight -10\n  }")
    for plan in got.values():
        assert plan.track_interfaces == ("eth2", "eth3")
        assert of_kind(plan, TrackerKind.INTERFACE) == [
            TrackerSpec(kind=TrackerKind.INTERFACE, name="eth2", weight=0),
            TrackerSpec(kind=TrackerKind.INTERFACE, name="eth3", weight=-10),
        ]


def test_a_member_s_own_interface_named_by_the_group_is_not_tracked_twice() -> None:
    got = plans("  track_interface {\n    eth0\n  }")
    assert got["VI_1"].track_interfaces == ()
    assert got["VI_2"].track_interfaces == ("eth0",)


def test_a_group_s_track_script_is_tracked_by_every_member_with_the_script_s_weight() -> None:
    got = plans("  track_script {\n    chk\n  }")
    for plan in got.values():
        (spec,) = of_kind(plan, TrackerKind.SCRIPT)
        assert (spec.name, spec.weight) == ("chk", -30)


def test_an_owner_in_the_group_makes_the_group_s_entries_unweighted() -> None:
    got = plans("  track_script {\n    chk\n  }\n  track_interface {\n    eth3 weight -10\n  }", priority=255)
    for plan in got.values():
        assert [t.weight for t in plan.params.trackers if t.name in ("chk", "eth3")] == [0, 0]


def test_a_group_entry_replaces_a_member_s_weighted_entry_but_not_an_unweighted_one() -> None:
    got = plans(
        "  track_interface {\n    eth2 weight -10\n    eth3 weight -10\n  }",
        first="  track_interface {\n    eth2 weight -5\n    eth3\n  }",
    )
    weights = {t.name: t.weight for t in of_kind(got["VI_1"], TrackerKind.INTERFACE)}
    assert weights == {"eth2": -10, "eth3": 0}
