"""Tracking the daemon claims, on the real kernel: VIP interfaces, no_track, a configured VMAC MAC.

keepalived 2.2.7 (checked with -l -D in a namespace): a VIP `dev eth1` makes the instance FAULT
when eth1 goes down (`Netlink reports eth1 down`, `(VI_1) Entering FAULT STATE`) and it stays
master with `no_track`; `use_vmac vrrp.52 02:11:22:33:44:55` gives the macvlan that MAC.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import VIP, conf, instance, make_nodes

pytestmark = pytest.mark.netns


@pytest.mark.parametrize("no_track", [False, True])
def test_a_vip_on_another_interface_faults_the_instance_unless_no_track(
    lab: Lab, tmp_path: Path, no_track: bool
) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.ns.ip("link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    a.ns.ip("link", "set", "eth1p", "up")
    a.ns.ip("link", "set", "eth1", "up")
    flag = " no_track" if no_track else ""
    a.write(conf(instance(150, vips=(f"{VIP}/24", f"198.51.100.100/24 dev eth1{flag}"))))
    a.start()
    wait_for(lambda: a.has() and a.has("198.51.100.100", dev="eth1"), what="a master with both VIPs")
    a.ns.ip("link", "set", "eth1", "down")
    a.wait_log("Netlink reports eth1 down")
    if no_track:
        for _ in range(10):  # several advert intervals (0.2 s)
            assert a.has()
            assert "FAULT" not in a.log_text()
            time.sleep(0.2)
    else:
        wait_for(lambda: not a.has(), what="the VIP removed in FAULT")
        a.wait_log("(VI_1) Entering FAULT STATE")
        a.ns.ip("link", "set", "eth1", "up")
        wait_for(lambda: a.has() and a.has("198.51.100.100", dev="eth1"), what="master again once eth1 is up")
    assert a.stop() == 0


def test_use_vmac_with_a_mac_gives_the_macvlan_that_mac(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150, vrid=52, extra="  use_vmac vrrp.52 02:11:22:33:44:55\n")))
    a.start()
    wait_for(
        lambda: "vrrp.52" in a.ns.ip("-o", "link").stdout and a.has(dev="vrrp.52"), what="the VIP on the VMAC"
    )
    link = a.ns.ip("-d", "link", "show", "vrrp.52").stdout
    assert "link/ether 02:11:22:33:44:55 " in link and "macvlan mode private" in link
    assert a.stop() == 0


def test_a_non_socket_file_at_the_status_path_is_one_clear_error_not_a_respawn_loop(
    lab: Lab, tmp_path: Path
) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    taken = a.vrrp_pid_file.with_suffix(".sock")
    taken.write_text("not a socket\n")
    a.write(conf(instance(150)))
    a.start()
    assert a.proc is not None
    a.proc.wait(timeout=30)
    log = a.log_text()
    assert a.proc.returncode != 0
    assert log.count(f"status socket path {taken} exists and is not a socket") == 1, log
    assert "Respawning" not in log
    assert not a.has()
    assert taken.read_text() == "not a socket\n"
