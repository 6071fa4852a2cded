"""What keepalived 2.2.7 logs for the operator's signals, logged by alived too, side by side.

keepalived and alived run the same single-instance config (-n -l -D -P), each in its own namespace
with a private TMPDIR; once master, each gets SIGUSR1, SIGUSR2, STATS_CLEAR and JSON, then SIGTERM.
The lines compared are keepalived's (the oracle), with pids masked.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

CONF = """vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
"""

SIGNALS = [
    (signal.SIGUSR1, "Printing VRRP data for process"),
    (signal.SIGUSR2, "Printing VRRP stats for process"),
    (signal.SIGRTMAX - 1, "Printing and clearing VRRP stats for process"),
    (signal.SIGRTMIN + 2, "Printing VRRP as json for process"),
]
WANTED = re.compile(r"Printing .* on signal")


def run(lab: Lab, tmp_path: Path, keepalived: bool) -> tuple[KeepalivedPeer, int | None]:
    role = "sk" if keepalived else "sa"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    workdir = tmp_path / role
    start = start_keepalived if keepalived else start_alived
    peer = start(ns, CONF, workdir, env={**os.environ, "TMPDIR": str(workdir)})
    wait_for(lambda: "Entering MASTER STATE" in peer.log_text(), timeout=40, what="MASTER")
    for number, words in SIGNALS:
        peer.proc.send_signal(number)
        wait_for(lambda words=words: words in peer.log_text(), timeout=40, what=words)
    peer.proc.send_signal(signal.SIGTERM)
    code = peer.proc.wait(timeout=20)
    return peer, code


def printing_lines(text: str) -> list[str]:
    return [re.sub(r"process\(\d+\)", "process(N)", m.group(0)) for m in WANTED.finditer(text)]


def test_signal_lines_and_exit_code_match_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, their_code = run(lab, tmp_path, keepalived=True)
    ours, our_code = run(lab, tmp_path, keepalived=False)
    expected = printing_lines(theirs.log_text())
    assert "Printing parent data for process(N) on signal" in expected
    assert printing_lines(ours.log_text()) == expected, ours.log_text()
    assert our_code == their_code == 0
