"""What keepalived 2.2.7 logs when a tracked file, process or script faults an instance at start.

Each daemon runs alone in a namespace of its own. keepalived names a faulting file or process, then
the instance ("(VI_1) entering FAULT state", no "Entering FAULT STATE (init)"), then removes its
VIPs; a script failed by config (init_fail) starts the instance in FAULT without a word, and its
first result is named all the same. The instance's and the script's lines must be keepalived's,
in its order.

A weight-0 script without init_fail keeps the instance in INIT, silent, until its first result:
keepalived's lines and notify calls (first success, first failure, beside a weighted script).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import start_alived, start_keepalived

pytestmark = pytest.mark.netns

KEPT = re.compile(r"(\(VI_1\).*|VRRP_Script\(.*)$")

INSTANCE = """vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  {kind} {{
    {name}
  }}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
"""

GLOBALS = "global_defs {\n  script_user root\n  enable_script_security\n}\n"


def config(what: str, tmp_path: Path) -> tuple[str, str]:
    """The config and the line that says its tracker has been looked at."""
    if what == "file":
        value = tmp_path / "value"
        value.write_text("5\n")
        block = f"track_file tf {{\n  file {value}\n  weight 0\n}}\n"
        return GLOBALS + block + INSTANCE.format(kind="track_file", name="tf"), "(VI_1) removing VIPs."
    if what == "process":
        block = "vrrp_track_process tp {\n  process no-such-process-here\n}\n"
        return GLOBALS + block + INSTANCE.format(kind="track_process", name="tp"), "(VI_1) removing VIPs."
    block = 'vrrp_script chk {\n  script "/bin/false"\n  interval 1\n  init_fail\n}\n'
    return GLOBALS + block + INSTANCE.format(kind="track_script", name="chk"), "VRRP_Script(chk) failed"


def start_lines(lab: Lab, tmp_path: Path, what: str, keepalived: bool) -> list[str]:
    role = "sk" if keepalived else "sa"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    text, seen = config(what, tmp_path)
    start = start_keepalived if keepalived else start_alived
    workdir = tmp_path / role
    peer = start(ns, text, workdir, env={**os.environ, "TMPDIR": str(workdir)})
    wait_for(lambda: seen in peer.log_text(), timeout=40, what="the start-up")
    wait_for(lambda: "Startup complete" in peer.log_text(), timeout=40, what="the start-up's end")
    lab.kill(peer.proc)
    return [m.group(1) for line in peer.log_text().splitlines() if (m := KEPT.search(line))]


@pytest.mark.parametrize("what", ["file", "process", "script"])
def test_a_tracker_faulting_at_start_is_logged_as_keepalived_logs_it(
    what: str, lab: Lab, tmp_path: Path
) -> None:
    theirs = start_lines(lab, tmp_path, what, keepalived=True)
    assert "(VI_1) Entering FAULT STATE (init)" not in theirs, theirs
    assert "(VI_1) removing VIPs." in theirs, theirs
    assert start_lines(lab, tmp_path, what, keepalived=False) == theirs


# A weight-0 script without init_fail: keepalived 2.2.7 waits in INIT, silent, for its first
# result. "slow" answers only after a Master_Down_Interval (3.6 s here): an instance that did not
# wait would be MASTER before the script's line. "w" (weight 10) answers at once, during the wait.
FIRST_RESULT = {
    "success": ('vrrp_script chk {\n  script "/bin/sleep 5"\n  interval 10\n}\n', "chk"),
    "failure": ('vrrp_script chk {\n  script "/bin/false"\n  interval 1\n  fall 3\n}\n', "chk"),
    "weighted": (
        'vrrp_script chk {\n  script "/bin/sleep 5"\n  interval 10\n}\n'
        'vrrp_script w {\n  script "/bin/true"\n  interval 1\n  weight 10\n}\n',
        "chk\n    w",
    ),
}


def first_result_run(lab: Lab, tmp_path: Path, case: str, keepalived: bool) -> tuple[list[str], list[str]]:
    """The instance's and scripts' lines, then what the notify script was called with."""
    role = "wk" if keepalived else "wa"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    workdir = tmp_path / role
    workdir.mkdir()
    calls = workdir / "notify.calls"
    notify = workdir / "notify.sh"
    notify.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    notify.chmod(0o755)
    scripts, tracked = FIRST_RESULT[case]
    instance = INSTANCE.format(kind="track_script", name=tracked).replace(
        "  virtual_ipaddress", f"  notify {notify}\n  virtual_ipaddress"
    )
    start = start_keepalived if keepalived else start_alived
    peer = start(ns, GLOBALS + scripts + instance, workdir, env={**os.environ, "TMPDIR": str(workdir)})
    last = "INSTANCE VI_1 FAULT 100" if case == "failure" else "INSTANCE VI_1 MASTER"
    wait_for(lambda: calls.exists() and last in calls.read_text(), timeout=30, what=last)
    lab.kill(peer.proc)
    wait_for(lambda: "STOP" in calls.read_text(), timeout=40, what="the STOP notify")
    lines = [m.group(1) for line in peer.log_text().splitlines() if (m := KEPT.search(line))]
    return lines, calls.read_text().splitlines()


@pytest.mark.parametrize("case", list(FIRST_RESULT))
def test_a_weight_0_script_is_waited_for_at_start_as_keepalived_does(
    case: str, lab: Lab, tmp_path: Path
) -> None:
    theirs, their_calls = first_result_run(lab, tmp_path, case, keepalived=True)
    assert "(VI_1) Entering BACKUP STATE (init)" not in theirs, theirs
    ours, our_calls = first_result_run(lab, tmp_path, case, keepalived=False)
    assert ours == theirs
    assert our_calls == their_calls
