"""Behaviour keepalived.data comparisons brought up, checked side by side with keepalived 2.2.7.

A vrrp_sync_group's own track_interface (every member tracks it), a unicast peer's TTL range,
the protocol (18, keepalived) of the routes and rules the daemon installs, and garp_extra_if all.
The harness is test_runtime_logs_vs_keepalived's: keepalived and alived run the same config at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_runtime_logs_vs_keepalived import (
    VIP,
    Side,
    assert_same,
    global_defs,
    group_link_scenario,
    instance,
    notify_lines,
    side_by_side,
)

pytestmark = pytest.mark.netns


def group_conf(side: Side, track: str) -> str:
    """G1: VI_1 and VI_2, both on eth0; only the group tracks eth2 (`track`: its entry)."""
    group = f"""vrrp_sync_group G1 {{
  group {{
    VI_1
    VI_2
  }}
  track_interface {{
    {track}
  }}
{notify_lines(side.note, "G1")}
}}
"""
    second = instance(side.note, name="VI_2", vrid=52, vip="192.0.2.101/24")
    return global_defs(side.workdir) + group + instance(side.note) + second


def group_fault_scenario(side: Side) -> None:
    group_link_scenario(side, group_conf(side, "eth2"))


def test_an_interface_the_sync_group_tracks_going_down_faults_the_group_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, group_fault_scenario, links=2)
    assert_same(
        theirs,
        ours,
        [
            "Netlink reports eth2 down",
            "(VI_1) Entering FAULT STATE",
            "VRRP_Group(G1) Syncing instances to FAULT state",
            "(VI_2) Entering FAULT STATE",
            "Netlink reports eth2 up",
            "VRRP_Group(G1) Syncing instances to BACKUP state",
            "VRRP_Group(G1) Syncing instances to MASTER state",
            "Stopping",
        ],
    )


def group_weight_scenario(side: Side) -> None:
    side.start(group_conf(side, "eth2 weight -10"))
    side.wait_log("(VI_1) Entering MASTER STATE")
    side.wait_log("(VI_2) Entering MASTER STATE")
    side.settle(6)
    side.event()
    side.ns.ip("link", "set", "eth3", "down")
    side.wait_log("Changing effective priority", count=2)
    side.ns.ip("link", "set", "eth3", "up")
    side.wait_log("Changing effective priority", count=4)


def test_a_weighted_interface_the_sync_group_tracks_moves_each_member_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, group_weight_scenario, links=2)
    assert_same(
        theirs,
        ours,
        [
            "Netlink reports eth2 down",
            "(VI_1) Changing effective priority from 150 to 140",
            "(VI_2) Changing effective priority from 150 to 140",
            "Netlink reports eth2 up",
            "(VI_1) Changing effective priority from 140 to 150",
            "(VI_2) Changing effective priority from 140 to 150",
        ],
    )


# ---------------------------------------------------------------------------------------------
# A unicast peer's TTL range: keepalived drops (and counts) each advert outside it, logging each.

TTL_LINE = "(VI_1) TTL/HL 255 not in range 10 - 20"


def ttl_range_scenario(side: Side) -> None:
    """The peer (150) is master, sending with TTL 255; the subject (100) accepts 10-20 from it."""
    side.start_peer(150, extra="  unicast_src_ip 192.0.2.2\n  unicast_peer {\n    192.0.2.1\n  }")
    side.wait_peer_master()
    unicast = "  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    192.0.2.2 min_ttl 10 max_ttl 20\n  }"
    side.start(global_defs(side.workdir) + instance(side.note, priority=100, state="BACKUP", extra=unicast))
    side.wait_log("(VI_1) Entering BACKUP STATE (init)")
    side.event()
    # Deaf to the master, the subject takes over after its down timer and still drops its adverts.
    side.wait_log("(VI_1) setting VIPs.")
    side.settle(2)
    side.wait_log(TTL_LINE, count=side.log()[side.mark :].count(TTL_LINE) + 1)


def collapsed(lines: list[str]) -> list[str]:
    """How many adverts come before the down timer fires depends on their phase: a run counts once."""
    return [x for i, x in enumerate(lines) if not (x == TTL_LINE and i and lines[i - 1] == TTL_LINE)]


def test_adverts_outside_a_unicast_peer_s_ttl_range_are_dropped_and_logged_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, ttl_range_scenario, peer=True)
    for record in (theirs, ours):
        record.lines = collapsed(record.lines)
        record.peer = []  # the peer's lines (forced elections) follow its own timing
    assert_same(
        theirs,
        ours,
        [TTL_LINE, "(VI_1) Receive advertisement timeout", "(VI_1) Entering MASTER STATE", TTL_LINE],
    )


# ---------------------------------------------------------------------------------------------
# The routes and rules the daemon installs carry keepalived's protocol (18) unless told otherwise.

ROUTES_AND_RULES = """static_routes {
  203.0.113.0/25 via 198.51.100.2
}
static_rules {
  from 198.51.100.1 table 101 priority 200
}
"""

# Another protocol is kept with no_track only: keepalived resets it on a tracked entry.
VIRTUAL = """  virtual_routes {
    203.0.113.128/25 via 192.0.2.2 table 100
    198.51.100.128/25 via 192.0.2.2 table 100 protocol static
    198.51.100.64/26 via 192.0.2.2 table 100 protocol static no_track
  }
  virtual_rules {
    from 192.0.2.100 table 100 priority 100
    from 192.0.2.101 table 100 priority 101 protocol 12
    from 192.0.2.102 table 100 priority 102 protocol 12 no_track
  }"""


def kernel_view(side: Side) -> str:
    rules = side.ns.exec("ip", "rule", "show").stdout
    routes = side.ns.exec("ip", "route", "show", "table", "all").stdout
    return rules + "".join(x + "\n" for x in routes.splitlines() if "proto kernel" not in x)


def routes_and_rules_scenario(side: Side) -> None:
    side.start(global_defs(side.workdir) + ROUTES_AND_RULES + instance(side.note, extra=VIRTUAL))
    side.wait_log("Entering MASTER STATE")
    wait_for(lambda: "192.0.2.102 lookup 100" in kernel_view(side), timeout=20, what="the virtual rules")
    wait_for(lambda: "198.51.100.64/26" in kernel_view(side), timeout=20, what="the virtual routes")
    (side.workdir / "kernel.txt").write_text(kernel_view(side))


def test_routes_and_rules_carry_keepalived_s_protocol_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    side_by_side(lab, tmp_path, routes_and_rules_scenario, links=2)
    theirs, ours = ((tmp_path / role / "kernel.txt").read_text() for role in ("k", "a"))
    assert "from 192.0.2.101 lookup 100 proto keepalived" in theirs
    assert "from 192.0.2.102 lookup 100 proto bird" in theirs
    assert "203.0.113.0/25 via 198.51.100.2 dev eth2 proto keepalived" in theirs
    assert ours == theirs


# ---------------------------------------------------------------------------------------------
# garp_extra_if all: while master, one GARP every interval for a VIP on another interface.

EXTRA = "(VI_1) Sending/queueing gratuitous ARPs on eth2 for 198.51.100.100"


def garp_extra_scenario(side: Side) -> None:
    extra = "  garp_master_delay 0\n  garp_extra_if all 2"
    vips = f"{VIP}\n    198.51.100.100/24 dev eth2"
    side.start(global_defs(side.workdir) + instance(side.note, extra=extra, vip=vips))
    side.wait_log("(VI_1) Entering MASTER STATE")
    side.wait_log(EXTRA)
    side.settle(1)
    side.event()
    # The third one: the second's own send is logged by then.
    side.wait_log(EXTRA, count=3)
    after = side.log()[side.mark :].splitlines()
    garps = [x.split(": ", 1)[1] for x in after if "gratuitous ARP" in x and "eth2" in x]
    first = garps.index(EXTRA)
    (side.workdir / "garps.txt").write_text("\n".join(garps[first : first + 4]))


def test_garp_extra_if_all_repeats_one_garp_on_the_other_interface_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    side_by_side(lab, tmp_path, garp_extra_scenario, links=2)
    theirs, ours = ((tmp_path / role / "garps.txt").read_text().splitlines() for role in ("k", "a"))
    once = [EXTRA, "Sending gratuitous ARP on eth2 for 198.51.100.100"]
    assert theirs == once * 2
    assert ours == theirs
