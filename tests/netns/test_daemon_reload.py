"""SIGHUP: the daemon re-reads its config and diffs instances by name without flapping addresses."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import start_keepalived
from tests.netns.test_daemon_vrrp import VIP, conf, instance, make_nodes, master_and_backup, notify_script

pytestmark = pytest.mark.netns


def test_reload_keeps_unchanged_instances_and_does_not_flap(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    script = notify_script(tmp_path, "a")
    notify = f"  notify {script}\n"  # both nodes append to a.notify; a's lines end in 150

    def config(prio: int, *, after: bool) -> str:
        parts = [
            instance(prio, name="VI_1", vrid=51, vips=("192.0.2.100/24",), extra=notify),
            instance(
                prio,
                name="VI_2",
                vrid=52,
                vips=("192.0.2.101/24", "192.0.2.102/24") if after else ("192.0.2.101/24",),
                extra=notify,
            ),
        ]
        if after:
            parts.append(instance(prio, name="VI_3", vrid=53, vips=("192.0.2.103/24",), extra=notify))
        else:
            parts.append(instance(prio, name="VI_4", vrid=54, vips=("192.0.2.104/24",), extra=notify))
        return conf(*parts)

    a.write(config(150, after=False))
    b.write(config(100, after=False))
    a.start()
    b.start()
    master_and_backup(a, b)
    wait_for(lambda: all(a.has(f"192.0.2.{n}") for n in (101, 104)), what="all of a's VIPs")
    # The MASTER notifies of the start run asynchronously: let them land before the snapshot.
    wait_for(
        lambda: all(
            f"INSTANCE {n} MASTER 150" in (tmp_path / "a.notify").read_text()
            for n in ("VI_1", "VI_2", "VI_4")
        ),
        what="a's MASTER notifies",
    )
    monitor = a.ns.popen("ip", "monitor", "address", log=tmp_path / "addr-events")
    wait_for(lambda: a.ns.netlink_listening(monitor.pid), what="ip monitor to listen")
    before = (tmp_path / "a.notify").read_text()

    a.write(config(150, after=True))
    b.write(config(100, after=True))
    a.send(signal.SIGHUP)
    b.send(signal.SIGHUP)
    a.wait_log("Reload complete")
    # b's reload may end first: its new VI_3 can be master a moment before a's preempts it.
    wait_for(
        lambda: a.has("192.0.2.102") and a.has("192.0.2.103") and not b.has("192.0.2.103"),
        what="new VIPs on the master only",
    )
    wait_for(lambda: not a.has("192.0.2.104"), what="the removed instance's VIP gone")
    assert a.has("192.0.2.100") and a.has("192.0.2.101")
    # The notify scripts of the reload run beside the address changes, not before them.
    wait_for(
        lambda: "INSTANCE VI_4 FAULT 150" in (tmp_path / "a.notify").read_text()[len(before) :],
        what="VI_4's FAULT notify",
    )
    lab.kill(monitor, signal.SIGTERM)
    events = (tmp_path / "addr-events").read_text()
    for kept in ("192.0.2.100/", "192.0.2.101/"):
        assert not any(line.startswith("Deleted") and kept in line for line in events.splitlines()), events
    added = [
        line for line in (tmp_path / "a.notify").read_text()[len(before) :].splitlines() if "150" in line
    ]
    # The removed instance is reported FAULT (no notify_deleted); VI_1 and VI_2 stay silent.
    assert "INSTANCE VI_4 FAULT 150" in added
    assert not any(" VI_1 " in line or " VI_2 " in line for line in added), added
    assert (
        "INSTANCE VI_3 MASTER 150" in added
        or wait_for(
            lambda: "INSTANCE VI_3 MASTER 150" in (tmp_path / "a.notify").read_text(),
            what="VI_3 MASTER notify",
        )
        is None
    )


def test_reload_with_unusable_config_keeps_running(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.has, what="a master alone")
    a.conf.unlink()
    a.send(signal.SIGHUP)
    a.wait_log("Reload failed")
    assert a.has()
    assert a.proc is not None and a.proc.poll() is None
    a.write(conf(instance(150, vips=("192.0.2.100/24", "192.0.2.105/24"))))
    a.send(signal.SIGHUP)
    wait_for(lambda: a.has("192.0.2.105"), what="the next good reload applies")
    assert a.stop() == 0
    assert subprocess.run(["true"], check=False).returncode == 0


def drain(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def test_reload_restarts_the_fifo_script_and_can_replay_states(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    fifo = tmp_path / "vrrp.fifo"
    starts = tmp_path / "fifo-script-starts"
    reader = tmp_path / "fifo-reader.sh"
    reader.write_text(f'#!/bin/sh\necho "$1" >> {starts}\nexec sleep 1000\n')
    reader.chmod(0o755)
    g = f"  vrrp_notify_fifo {fifo}\n  vrrp_notify_fifo_script {reader}\n  fifo_write_vrrp_states_on_reload\n"
    a.write(conf(instance(150), global_extra=g))
    a.start()
    wait_for(fifo.exists, what="the FIFO")
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        wait_for(a.has, what="a master")
        wait_for(lambda: starts.exists() and starts.read_text() == f"{fifo}\n", what="the FIFO script")
        drain(fd)
        a.send(signal.SIGHUP)
        a.wait_log("Reload complete")
        wait_for(lambda: starts.read_text().count(str(fifo)) == 2, what="the FIFO script restarted")
        # As keepalived, the daemon unlinked the FIFO it had made and made a new one: read that.
        os.close(fd)
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        wait_for(lambda: b'INSTANCE "VI_1" MASTER 150\n' in drain(fd), what="the replayed state")
    finally:
        os.close(fd)
    assert a.stop() == 0


AH = "  authentication {\n    auth_type AH\n    auth_pass s3cret\n  }\n"


def test_reload_to_ah_opens_the_ah_socket_and_the_group_converges(lab: Lab, tmp_path: Path) -> None:
    """alived reloaded from a PASS-less config to AH while keepalived already speaks AH."""
    a, b = make_nodes(lab, tmp_path)
    peer = start_keepalived(b.ns, conf(instance(200, advert_int="1", extra=AH), version=2), tmp_path / "ka")
    a.write(conf(instance(150, advert_int="1"), version=2))
    a.start()
    # Neither hears the other: alived's VRRP socket does not receive AH (protocol 51).
    wait_for(lambda: a.has() and b.has(), timeout=40, what="a dual master before the reload")
    a.write(conf(instance(150, advert_int="1", extra=AH), version=2))
    a.send(signal.SIGHUP)
    a.wait_log("Reload complete")
    wait_for(lambda: not a.has(), timeout=40, what="alived hearing keepalived's AH adverts")
    assert b.has()
    assert "proto(51)" in a.log_text()
    # Steady: one master for a few advert intervals.
    for _ in range(20):
        assert b.has() and not a.has()
        time.sleep(0.2)
    assert peer.proc.poll() is None


@pytest.mark.parametrize("check", [True, False])
def test_typo_reload_with_and_without_reload_check_config(lab: Lab, tmp_path: Path, check: bool) -> None:
    """keepalived 2.2.7: with reload_check_config the typo is refused and nothing moves; without it
    the new file is applied as parsed, the misspelt block is dropped and its VIP moves to the peer."""
    a, b = make_nodes(lab, tmp_path)
    g = "  reload_check_config\n" if check else ""
    a.write(conf(instance(150), global_extra=g))
    b.write(conf(instance(100), global_extra=g))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.write(conf(instance(150), global_extra=g).replace("vrrp_instance", "vrrp_instanc"))
    a.send(signal.SIGHUP)
    if check:
        a.wait_log("New config failed validation, see /dev/null for details")
        for _ in range(10):  # several advert intervals (0.2 s): nothing moves
            assert a.has() and not b.has()
            time.sleep(0.2)
        assert "Reload complete" not in a.log_text()
    else:
        a.wait_log("Reload complete")
        wait_for(lambda: b.has() and not a.has(), what="the VIP on the peer")
        assert "Unknown keyword 'vrrp_instanc'" in a.log_text()
    assert a.proc is not None and a.proc.poll() is None


def garps(capture: Path, address: str) -> int:
    text = capture.read_text() if capture.exists() else ""
    return sum(f"who-has {address} " in line and f"tell {address}," in line for line in text.splitlines())


def test_vip_added_and_removed_on_a_master_keeps_it_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    """keepalived 2.2.7 (-l -D, same reloads): `(VI_1) setting VIPs.` and 5 GARPs for each VIP when
    one is added; `ip address ... no longer exist` and `setting VIPs.` and no GARP when one is
    removed; nothing that reads as a transition, no priority-0 advert."""
    a, b = make_nodes(lab, tmp_path)
    sw = next(ns for ns in lab.namespaces if ns.name.startswith("alived-sw-"))
    a.write(conf(instance(150)))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    time.sleep(6)  # past garp_master_delay's second round
    capture = tmp_path / "arp.txt"
    tcpdump = sw.popen("tcpdump", "-n", "-l", "-i", "p0", "arp", log=capture)
    wait_for(lambda: "listening" in capture.read_text(), what="tcpdump")
    mark, b_mark = len(a.log_text()), len(b.log_text())
    a.write(conf(instance(150, vips=(f"{VIP}/24", "192.0.2.101/24"))))
    a.send(signal.SIGHUP)
    a.wait_log("Reload complete")
    wait_for(lambda: a.has("192.0.2.101"), what="the added VIP")
    wait_for(lambda: garps(capture, "192.0.2.101") >= 5, what="the GARPs")
    time.sleep(6)  # a second round (a restarted master's garp_master_delay) would come by now
    a.write(conf(instance(150)))
    a.send(signal.SIGHUP)
    wait_for(lambda: not a.has("192.0.2.101"), what="the removed VIP gone")
    wait_for(lambda: a.log_text().count("Reload complete") == 2, what="the second reload")
    # The second reload's VIP lines are waited for, not assumed written by "Reload complete".
    wait_for(lambda: a.log_text()[mark:].count("(VI_1) setting VIPs.") == 2, what="the second VIPs line")
    wait_for(lambda: "192.0.2.101/24 dev eth0, no longer exist" in a.log_text()[mark:], what="removal line")
    time.sleep(1)  # a GARP for the removal would be out by now
    lab.kill(tcpdump)
    assert (garps(capture, VIP), garps(capture, "192.0.2.101")) == (5, 5)
    assert a.has() and not b.has()
    after = a.log_text()[mark:]
    # keepalived's parent and child lines around a reload.
    assert after.count("Reloading ...") == 2 and after.count("Reload complete") == 2
    assert after.count("(VI_1) setting VIPs.") == 2
    assert "(VI_1) ip address 192.0.2.101/24 dev eth0, no longer exist" in after
    for transition in ("sent 0 priority", "removing VIPs", "Entering BACKUP STATE", "Entering MASTER STATE"):
        assert transition not in after, after
    assert "Entering MASTER STATE" not in b.log_text()[b_mark:]
