"""Trackers and sync groups with real processes: vrrp_script weights and FAULT, a group moving together."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import Node, conf, instance, make_nodes, master_and_backup

pytestmark = pytest.mark.netns


def script_block(flag: Path, weight: int) -> str:
    return f"""
vrrp_script chk_flag {{
  script "/bin/test -f {flag}"
  interval 1
  weight {weight}
  fall 1
  rise 1
}}
"""


def test_track_script_weight_moves_mastership(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    flag = tmp_path / "a-healthy"
    flag.touch()
    track = "  track_script {\n    chk_flag\n  }\n"
    a.write(conf(instance(150, extra=track)) + script_block(flag, -60))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    flag.unlink()
    a.wait_log("VRRP_Script(chk_flag) failed (exited with status 1)")
    a.wait_log("(VI_1) Changing effective priority from 150 to 90")
    master_and_backup(b, a)
    flag.touch()
    a.wait_log("VRRP_Script(chk_flag) succeeded")
    master_and_backup(a, b)


def test_track_script_weight_zero_means_fault(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    flag = tmp_path / "a-healthy"
    flag.touch()
    track = "  track_script {\n    chk_flag\n  }\n"
    a.write(conf(instance(150, extra=track)) + script_block(flag, 0))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    flag.unlink()
    a.wait_log("(VI_1) Entering FAULT STATE")
    master_and_backup(b, a)
    flag.touch()
    a.wait_log("(VI_1) Entering BACKUP STATE")
    master_and_backup(a, b)


def test_sync_group_fails_over_together(lab: Lab, tmp_path: Path) -> None:
    hosts = [lab.netns("a"), lab.netns("b")]
    lab.lan(hosts, dev="eth0")
    # A second segment through its own bridge, so one host's link going down leaves the other's up.
    sw = lab.netns("sw2")
    sw.ip("link", "add", "br1", "type", "bridge", "stp_state", "0", "forward_delay", "0")
    sw.ip("link", "set", "br1", "type", "bridge", "mcast_snooping", "0")
    sw.ip("link", "set", "br1", "up")
    for i, host in enumerate(hosts):
        lab.veth(sw, f"q{i}", host, "eth1")
        sw.ip("link", "set", f"q{i}", "master", "br1")
    nodes = []
    for i, ns in enumerate(hosts):
        ns.ip("addr", "add", f"192.0.2.{i + 1}/24", "dev", "eth0")
        ns.ip("addr", "add", f"198.51.100.{i + 1}/24", "dev", "eth1")
        nodes.append(Node(ns=ns, lab=lab, workdir=tmp_path, name=chr(ord("a") + i)))
    a, b = nodes
    group = "vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"
    for node, prio in ((a, 150), (b, 100)):
        node.write(
            conf(
                instance(prio, name="VI_1", vrid=51),
                instance(prio, name="VI_2", vrid=52, vips=("198.51.100.100/24",), interface="eth1"),
            )
            + group
        )
    a.start()
    b.start()
    # Started together, b may be master for a moment before it hears a: its VIPs go a moment
    # after a's arrive, so both sides are waited for together.
    wait_for(
        lambda: (
            a.has()
            and a.has("198.51.100.100", dev="eth1")
            and not b.has()
            and not b.has("198.51.100.100", dev="eth1")
        ),
        what="a master of both, b of none",
    )
    a.ns.ip("link", "set", "eth1", "down")
    # VI_2 faults; the group takes VI_1 along, so both addresses move to b.
    wait_for(
        lambda: b.has() and b.has("198.51.100.100", dev="eth1") and not a.has(),
        timeout=40,
        what="b master of both, a of none",
    )
    a.wait_log("VRRP_Group(G1) Syncing instances to FAULT state")
