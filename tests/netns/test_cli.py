"""The daemon as an operator sees it: pid files, "already running", signals, dump files, respawn."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import VIP, conf, instance, make_nodes

pytestmark = pytest.mark.netns


def test_pid_files_already_running_and_clean_exit(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.vrrp_pid_file.exists, what="the VRRP pid file")
    assert a.proc is not None
    assert read_pid(str(a.pid_file)) == a.proc.pid
    child = read_pid(str(a.vrrp_pid_file))
    assert child is not None and child != a.proc.pid
    assert Path(f"/proc/{child}/stat").read_text().split(") ", 1)[1].split()[1] == str(a.proc.pid)
    # A second daemon with the same pid files refuses to start, and exits 0 as keepalived does.
    second = a.ns.exec(
        sys.executable, "-m", "alived", "-n", "-l", "-f", str(a.conf), "-p", str(a.pid_file),
        "-r", str(a.vrrp_pid_file), check=False, timeout=20,
    )  # fmt: skip
    assert second.returncode == 0
    assert "daemon is already running" in second.stderr
    wait_for(a.has, what="a master")
    assert a.stop() == 0
    assert not a.pid_file.exists() and not a.vrrp_pid_file.exists()
    assert not a.has()


def test_signals_write_dump_files(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.has, what="a master")
    a.send(signal.SIGUSR1)
    wait_for((tmp_path / "keepalived.data").exists, what="keepalived.data")
    wait_for((tmp_path / "keepalived_parent.data").exists, what="keepalived_parent.data")
    data = (tmp_path / "keepalived.data").read_text()
    assert " VRRP Instance = VI_1" in data and "   State = MASTER" in data
    assert (tmp_path / "keepalived.data").stat().st_mode & 0o777 == 0o600
    a.send(signal.SIGUSR2)
    wait_for((tmp_path / "keepalived.stats").exists, what="keepalived.stats")
    stats = (tmp_path / "keepalived.stats").read_text()
    assert stats.startswith("VRRP Instance: VI_1\n") and "  Became master: 1\n" in stats
    a.send(signal.SIGRTMIN + 2)
    wait_for((tmp_path / "keepalived.json").exists, what="keepalived.json")
    (entry,) = json.loads((tmp_path / "keepalived.json").read_text())
    assert entry["data"]["iname"] == "VI_1" and entry["data"]["state"] == 2
    assert entry["stats"]["advert_sent"] > 0
    # STATS_CLEAR writes the stats, then zeroes the counters.
    (tmp_path / "keepalived.stats").unlink()
    a.send(signal.SIGRTMAX - 1)
    wait_for((tmp_path / "keepalived.stats").exists, what="keepalived.stats again")
    a.send(signal.SIGUSR2)
    wait_for(
        lambda: "  Became master: 0\n" in (tmp_path / "keepalived.stats").read_text(), what="zeroed stats"
    )
    assert a.stop() == 0


def test_dead_child_is_respawned_without_dropping_vips(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path, 2)
    # 2 s adverts: b's master-down timer (3 x 2 + 1.2 = 7.2 s) leaves a respawn on a loaded host
    # room to advertise in time (at 1 s, 3.6 s less the phase of the last advert was tight).
    a.write(conf(instance(150, advert_int="2"), version=2))
    b.write(conf(instance(100, advert_int="2"), version=2))
    a.start()
    b.start()
    wait_for(lambda: a.has() and not b.has(), timeout=40, what="a master, b backup")
    child = read_pid(str(a.vrrp_pid_file))
    assert child is not None
    # b may have held the VIP for a moment at start-up if a came up later: judge b from the kill on.
    b_before = len(b.log_text())
    os.kill(child, signal.SIGKILL)
    a.wait_log(f"VRRP child process({child}) died: Respawning")
    wait_for(
        lambda: (pid := read_pid(str(a.vrrp_pid_file))) is not None and pid != child, what="a new VRRP child"
    )
    a.wait_log("(VI_1) found its VIPs already set: keeping them")
    a.wait_log("(VI_1) resuming MASTER with the VIPs it kept")
    assert a.has(VIP)
    log_after = a.log_text().split("died: Respawning", 1)[1]
    assert "removing VIPs" not in log_after
    # The new child advertised again before b's master-down timer (7.2 s) ran out.
    time.sleep(8)
    assert "Entering MASTER STATE" not in b.log_text()[b_before:]
    assert a.stop() == 0


def test_dont_respawn_exits_when_the_child_dies(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start("-R")
    wait_for(a.vrrp_pid_file.exists, what="the VRRP pid file")
    child = read_pid(str(a.vrrp_pid_file))
    assert child is not None
    os.kill(child, signal.SIGKILL)
    assert a.proc is not None
    assert a.proc.wait(timeout=15) == 1
    assert f"VRRP child process({child}) died: Exiting" in a.log_text()
    assert not a.pid_file.exists()


def test_missing_config_exits_not_configured(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.start()
    assert a.proc is not None
    assert a.proc.wait(timeout=15) == 6
    assert "Config files missing" in a.log_text()


def test_daemonises_without_n(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    launched = a.ns.exec(
        sys.executable, "-m", "alived", "-f", str(a.conf), "-p", str(a.pid_file), "-r", str(a.vrrp_pid_file),
        timeout=20,
    )  # fmt: skip
    assert launched.returncode == 0  # the foreground process returns at once
    wait_for(a.pid_file.exists, what="the daemon's pid file")
    pid = read_pid(str(a.pid_file))
    assert pid is not None
    wait_for(a.has, what="the daemonised alived becomes master")
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not a.pid_file.exists() and not a.has(), what="the daemon stops and cleans up")


def test_status_socket_and_hung_child(lab: Lab, tmp_path: Path) -> None:
    from alived.daemon.status import query, socket_path
    from alived.daemon.supervisor import PING_INTERVAL

    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.has, what="a master")
    path = socket_path(str(a.vrrp_pid_file))
    wait_for(lambda: Path(path).exists(), what="the status socket")
    assert Path(path).stat().st_mode & 0o777 == 0o600
    assert query(path, "ping") == "pong\n"
    (entry,) = json.loads(query(path, "json"))
    assert entry["data"]["iname"] == "VI_1" and entry["data"]["state"] == 2
    table = query(path, "status").splitlines()
    assert table[0].split()[:6] == ["INSTANCE", "STATE", "PRIO", "BASE", "VRID", "INTERFACE"]
    assert table[1].split()[:6] == ["VI_1", "MASTER", "150", "150", "51", "eth0"]
    assert table[1].split()[-1] == "192.0.2.100/24"
    # A child that stops answering is killed by the supervisor and respawned; the VIP stays.
    child = read_pid(str(a.vrrp_pid_file))
    assert child is not None
    time.sleep(PING_INTERVAL + 0.5)  # the supervisor has heard the child at least once
    os.kill(child, signal.SIGSTOP)
    # Bound past the supervisor's start-up grace (30 s) and three failed pings, in case the
    # sleep above was too short for its first ping on a loaded host.
    a.wait_log(f"VRRP child process({child}) is not responding: killing it", timeout=90)
    wait_for(lambda: read_pid(str(a.vrrp_pid_file)) not in (None, child), timeout=40, what="a new child")

    def answers() -> bool:
        try:
            return query(path, "ping") == "pong\n"
        except OSError:  # the killed child's socket file, until the new child replaces it
            return False

    wait_for(answers, what="the new child's status socket")
    assert a.has()
    assert a.stop() == 0
    assert not Path(path).exists()


def test_startup_and_shutdown_scripts_and_dump_conf(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    record = tmp_path / "hooks"
    hooks = f"  startup_script \"/bin/sh -c 'echo up >> {record}'\"\n"
    hooks += f"  shutdown_script \"/bin/sh -c 'echo down >> {record}'\"\n"
    a.write(conf(instance(150), global_extra=hooks))
    a.start("-d")
    wait_for(a.has, what="a master")
    assert record.read_text() == "up\n"
    a.wait_log(" VRRP Instance = VI_1")  # -d dumps the configuration at start
    assert a.stop() == 0
    assert record.read_text() == "up\ndown\n"
