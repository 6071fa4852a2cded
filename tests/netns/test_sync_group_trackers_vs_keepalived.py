"""Behaviour keepalived.data comparisons brought up, checked side by side with keepalived 2.2.7.

A vrrp_sync_group's own track_interface (every member tracks it), a unicast peer's TTL range,
and the protocol (18, keepalived) of the routes and rules the daemon installs. The harness is
test_runtime_logs_vs_keepalived's: keepalived and alived run the same config at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_runtime_logs_vs_keepalived import (
    Side,
    assert_same,
    global_defs,
    instance,
    notify_lines,
    side_by_side,
    stop_group,
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
    side.start(group_conf(side, "eth2"))
    side.wait_log("(VI_1) Entering MASTER STATE")
    side.wait_log("(VI_2) Entering MASTER STATE")
    side.settle(6)
    side.event()
    side.ns.ip("link", "set", "eth3", "down")
    wait_for(lambda: side.fifo().count('GROUP "G1" FAULT 0') == 1, timeout=15, what="the group FAULT")
    side.wait_log("removing VIPs.", count=2)
    side.settle(9)
    side.ns.ip("link", "set", "eth3", "up")
    wait_for(lambda: side.fifo().count('GROUP "G1" MASTER 0') == 2, timeout=20, what="the group MASTER")
    side.wait_log("setting VIPs.", count=2)
    side.settle(15)
    stop_group(side, 15)


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
