"""The VRRP-side lines keepalived 2.2.7 writes at startup, written by alived too, side by side.

Both daemons run the same config (-l -D, VRRP child only) in their own namespace; each line below
is first checked in keepalived's log (the oracle), then in alived's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

CONF = """global_defs {
  router_id r1
  enable_script_security
  script_user root
}
vrrp_script chk_web {
  script "/bin/true"
  interval 1
  weight 2
  rise 2
  fall 2
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  track_interface {
    eth0
  }
  track_script {
    chk_web
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_routes {
    203.0.113.0/24 via 192.0.2.254 dev eth0
  }
  virtual_rules {
    from 192.0.2.100 table 100 preference 100
  }
}
"""

EXPECTED = [
    r"Registering Kernel netlink command channel",
    r"\(VI_1\) Ignoring track_interface eth0 since own interface",
    r"Assigned address 192\.0\.2\.1 for interface eth0",
    r"Assigned address fe80::[0-9a-f:]+ for interface eth0",
    r"\(VI_1\) removing VIPs\.",
    r"Registering gratuitous ARP shared channel",
    r"VRRP_Script\(chk_web\) succeeded",
    # The script's weight counts from its first result, not from the start.
    r"VRRP_Script\(chk_web\) succeeded\n.*\(VI_1\) Changing effective priority from 150 to 152",
    r"\(VI_1\) removing Virtual Routes",
    r"\(VI_1\) setting Virtual Routes",
    r"\(VI_1\) removing Virtual Rules",
    r"\(VI_1\) setting Virtual Rules",
]


def host(lab: Lab, role: str) -> Namespace:
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    return ns


def run(lab: Lab, tmp_path: Path, keepalived: bool) -> KeepalivedPeer:
    start = start_keepalived if keepalived else start_alived
    peer = start(host(lab, "hk" if keepalived else "ha"), CONF, tmp_path / ("ka" if keepalived else "alived"))
    wait_for(lambda: "Entering MASTER STATE" in peer.log_text(), timeout=40, what="MASTER")
    wait_for(lambda: "VRRP_Script(chk_web)" in peer.log_text(), timeout=40, what="the script's first result")
    # The lines that follow those two (the priority change, the routes and rules set) are waited
    # for too: stopped a moment earlier, a daemon may not have written them yet.
    wait_for(
        lambda: all(re.search(pattern, peer.log_text()) for pattern in EXPECTED),
        timeout=40,
        what=f"every expected line in {peer.log}",
    )
    lab.kill(peer.proc)
    return peer


def test_startup_lines_match_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs = run(lab, tmp_path, keepalived=True).log_text()
    ours = run(lab, tmp_path, keepalived=False).log_text()
    for pattern in EXPECTED:
        assert re.search(pattern, theirs), f"keepalived no longer writes {pattern!r}"
        assert re.search(pattern, ours), f"alived does not write {pattern!r}:\n{ours}"
    # Removing (stale) VIPs comes before the first BACKUP, in both.
    for text in (theirs, ours):
        assert text.index("(VI_1) removing VIPs.") < text.index("(VI_1) Entering BACKUP STATE (init)")
