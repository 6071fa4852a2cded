"""Script security, alived beside keepalived 2.2.7: the same config, the same scripts refused, the same lines.

Each scenario runs once under keepalived and once under alived (one namespace each) and checks
what the kernel and the file system show: the VIP (a disabled weight-0 track script must not
put the instance in FAULT), the marker files the refused scripts would have created (absent),
a control notify script that is allowed (it ran), and keepalived's log lines, word for word.
"""

from __future__ import annotations

import pwd
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

VIP = "192.0.2.100"
Starter = Callable[[Namespace, str, Path, str], KeepalivedPeer]
DAEMONS: dict[str, Starter] = {"keepalived": start_keepalived, "alived": start_alived}


def marker_script(path: Path, marker: Path, status: int = 0) -> Path:
    """A script that leaves `marker` (with the uid it ran as) when it runs."""
    path.write_text(f'#!/bin/sh\nid -u >> {marker}\necho "$@" >> {marker}\nexit {status}\n')
    path.chmod(0o755)
    return path


def open_dir(tmp_path: Path) -> Path:
    """A directory any user may write to (not sticky): every script in it is unsafe as root."""
    d = tmp_path / "open"
    d.mkdir()
    d.chmod(0o777)
    return d


def config(global_defs: str, body: str, tmp_path: Path) -> str:
    return f"""
global_defs {{
  vrrp_version 2
{global_defs}
}}
{body}
vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  notify "{tmp_path / "safe" / "control.sh"}"
  virtual_ipaddress {{
    {VIP}/24
  }}
"""


def start(lab: Lab, daemon: str, tmp_path: Path, text: str) -> tuple[Namespace, KeepalivedPeer]:
    ns = lab.netns(daemon[:2])
    lab.lan([ns])
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    run_dir = tmp_path / "run"
    peer = DAEMONS[daemon](ns, text, run_dir, daemon)
    return ns, peer


def wait_master(ns: Namespace, peer: KeepalivedPeer, control: Path) -> None:
    wait_for(lambda: ns.has_address("eth0", VIP), timeout=40, what="the instance to become MASTER")
    wait_for(
        lambda: control.exists() and "INSTANCE VI_1 MASTER" in control.read_text(),
        timeout=40,
        what="the control notify script",
    )
    # The refused scripts would have been started by now (start-up, first interval, the same
    # MASTER event); give them a moment to write before their markers are looked for.
    time.sleep(1.5)
    assert peer.proc.poll() is None, peer.log_text()


@pytest.mark.parametrize("daemon", sorted(DAEMONS))
def test_unsafe_scripts_are_not_run(lab: Lab, tmp_path: Path, daemon: str) -> None:
    safe = tmp_path / "safe"
    safe.mkdir()
    unsafe = open_dir(tmp_path)
    control = tmp_path / "control.out"
    marker_script(safe / "control.sh", control)
    markers = {name: tmp_path / f"{name}.ran" for name in ("chk", "master", "fifo", "backup")}
    chk = marker_script(unsafe / "chk.sh", markers["chk"], status=1)
    master = marker_script(unsafe / "master.sh", markers["master"])
    fifo_script = marker_script(unsafe / "fifo.sh", markers["fifo"])
    backup = marker_script(safe / "backup.sh", markers["backup"])
    text = config(
        f"  enable_script_security\n  script_user root\n  notify_fifo {tmp_path / 'fifo'}\n"
        f'  notify_fifo_script "{fifo_script}"\n',
        f'vrrp_script chk_bad {{\n  script "{chk}"\n  interval 1\n  weight 0\n}}\n',
        tmp_path,
    )
    text += (
        f'  track_script {{\n    chk_bad\n  }}\n  notify_master "{master}"\n'
        f'  notify_backup "{backup}" nosuchuser\n}}\n'
    )
    ns, peer = start(lab, daemon, tmp_path, text)
    wait_master(ns, peer, control)
    ran = sorted(name for name, path in markers.items() if path.exists())
    assert ran == [], f"{daemon} ran refused scripts: {ran}"
    log = peer.log_text()
    for line in (
        f"Unsafe permissions found for script '{chk}' - disabling.",
        "Disabling track script chk_bad due to insecure",
        f"Unsafe permissions found for script '{master}' - disabling.",
        f"Unsafe permissions found for script '{fifo_script}' - disabling.",
        "Script user 'nosuchuser' does not exist",
        f"Invalid user/group for notify script {backup} - ignoring",
    ):
        assert line in log, (daemon, line)
    assert "Entering FAULT" not in log and "entering FAULT" not in log


@pytest.mark.parametrize("daemon", sorted(DAEMONS))
def test_unknown_global_script_user_never_runs_as_root(lab: Lab, tmp_path: Path, daemon: str) -> None:
    safe = tmp_path / "safe"
    safe.mkdir()
    control = tmp_path / "control.out"
    marker_script(safe / "control.sh", control)
    master_marker = tmp_path / "master.ran"
    master = marker_script(safe / "master.sh", master_marker)
    # The control script names its own user (root), so it still runs: proof that scripts do run.
    text = config("  script_user nosuchuser\n", "", tmp_path).replace(
        f'notify "{safe / "control.sh"}"', f'notify "{safe / "control.sh"}" root'
    )
    text += f'  notify_master "{master}"\n}}\n'
    ns, peer = start(lab, daemon, tmp_path, text)
    wait_master(ns, peer, control)
    assert not master_marker.exists(), f"{daemon} ran a script whose user does not exist"
    log = peer.log_text()
    assert "Script user 'nosuchuser' does not exist" in log
    assert "Error setting global script uid/gid" in log


@pytest.mark.parametrize("daemon", sorted(DAEMONS))
def test_without_script_user_scripts_run_as_keepalived_does(lab: Lab, tmp_path: Path, daemon: str) -> None:
    safe = tmp_path / "safe"
    safe.mkdir()
    control = tmp_path / "control.out"
    marker_script(safe / "control.sh", control)
    ns, peer = start(lab, daemon, tmp_path, config("", "", tmp_path) + "}\n")
    wait_master(ns, peer, control)
    try:
        expected_uid = pwd.getpwnam("keepalived_script").pw_uid
    except KeyError:
        expected_uid = 0
    assert control.read_text().splitlines()[0] == str(expected_uid)
    log = peer.log_text()
    assert "SECURITY VIOLATION - scripts are being executed but script_security not enabled." in log
    if expected_uid == 0:
        assert "Script user 'keepalived_script' does not exist" in log
