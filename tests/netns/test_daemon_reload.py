"""SIGHUP: the daemon re-reads its config and diffs instances by name without flapping addresses."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import conf, instance, make_nodes, master_and_backup, notify_script

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
    monitor = a.ns.popen("ip", "monitor", "address", log=tmp_path / "addr-events")
    wait_for((tmp_path / "addr-events").exists, what="ip monitor")
    before = (tmp_path / "a.notify").read_text()

    a.write(config(150, after=True))
    b.write(config(100, after=True))
    a.send(signal.SIGHUP)
    b.send(signal.SIGHUP)
    a.wait_log("Reload finished")
    wait_for(lambda: a.has("192.0.2.102") and a.has("192.0.2.103"), what="new VIPs on the master")
    wait_for(lambda: not a.has("192.0.2.104"), what="the removed instance's VIP gone")
    assert a.has("192.0.2.100") and a.has("192.0.2.101")
    assert not b.has("192.0.2.103")
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
        a.wait_log("Reload finished")
        wait_for(lambda: starts.read_text().count(str(fifo)) == 2, what="the FIFO script restarted")
        wait_for(lambda: b'INSTANCE "VI_1" MASTER 150\n' in drain(fd), what="the replayed state")
    finally:
        os.close(fd)
    assert a.stop() == 0
