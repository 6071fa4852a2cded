"""The lines keepalived 2.2.7 logs when its link goes down and comes back, logged by alived too.

Each daemon runs alone as master in its own namespace (the config of test_signal_logs_vs_keepalived);
the veth peer of its interface is set down, then up. From the first "Netlink reports" line to the
next MASTER, the instance's lines and the netlink lines must be keepalived's, in its order.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import start_alived, start_keepalived
from tests.netns.test_signal_logs_vs_keepalived import CONF

pytestmark = pytest.mark.netns

KEPT = re.compile(r"(\(VI_1\).*|Netlink reports .*)$")


def run(lab: Lab, tmp_path: Path, keepalived: bool) -> list[str]:
    role = "lk" if keepalived else "la"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    start = start_keepalived if keepalived else start_alived
    peer = start(ns, CONF, tmp_path / role, env={**os.environ, "TMPDIR": str(tmp_path / role)})
    wait_for(lambda: "Entering MASTER STATE" in peer.log_text(), timeout=40, what="MASTER")
    ns.ip("link", "set", "eth1", "down")
    wait_for(lambda: "(VI_1) removing VIPs." in peer.log_text().split("Netlink")[-1], what="the fault")
    ns.ip("link", "set", "eth1", "up")
    wait_for(lambda: peer.log_text().count("Entering MASTER STATE") == 2, timeout=40, what="MASTER again")
    lab.kill(peer.proc)
    text = peer.log_text()
    text = text[text.index("Netlink reports") :]
    text = text[: text.rindex("Entering MASTER STATE")]
    return [m.group(1) for line in text.splitlines() if (m := KEPT.search(line))]


def test_link_down_and_up_lines_match_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs = run(lab, tmp_path, keepalived=True)
    assert theirs[:4] == [
        "Netlink reports eth0 down",
        "(VI_1) Entering FAULT STATE",
        "(VI_1) sent 0 priority",
        "(VI_1) removing VIPs.",
    ], theirs
    assert run(lab, tmp_path, keepalived=False) == theirs


def start_down(lab: Lab, tmp_path: Path, keepalived: bool) -> list[str]:
    role = "dk" if keepalived else "da"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    ns.ip("link", "set", "eth1", "down")
    start = start_keepalived if keepalived else start_alived
    peer = start(ns, CONF, tmp_path / role, env={**os.environ, "TMPDIR": str(tmp_path / role)})
    wait_for(lambda: "(VI_1) removing VIPs." in peer.log_text(), timeout=40, what="the start-up")
    lab.kill(peer.proc)
    return [m.group(1) for line in peer.log_text().splitlines() if (m := KEPT.search(line))]


def test_a_link_down_at_startup_is_logged_as_keepalived_logs_it(lab: Lab, tmp_path: Path) -> None:
    theirs = start_down(lab, tmp_path, keepalived=True)
    assert theirs == [
        "(VI_1): entering FAULT state (interface eth0 down)",
        "(VI_1) entering FAULT state",
        "(VI_1) removing VIPs.",
    ], theirs
    assert start_down(lab, tmp_path, keepalived=False) == theirs


RELOADED = re.compile(
    r"(Reload.*|Opening file.*|Configuration.*|Assigned address [\d.]+ .*|\(VI_1\) (?!Sending).*)$"
)


POOL = ", family(IPv4), proto(112), multicast, address(224.0.0.18)"


def reload_lines(lab: Lab, tmp_path: Path, keepalived: bool) -> tuple[list[str], list[str]]:
    """The lines a reload of the unchanged file logs once master: (in order, the others sorted).

    keepalived sets the VIPs and opens its sockpool from a thread of its own, before or after
    `Reload complete`: those two lines are compared without their place.
    """
    role = "rk" if keepalived else "ra"
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    start = start_keepalived if keepalived else start_alived
    peer = start(ns, CONF, tmp_path / role, env={**os.environ, "TMPDIR": str(tmp_path / role)})
    wait_for(lambda: "Entering MASTER STATE" in peer.log_text(), timeout=40, what="MASTER")
    # The mark goes after the MASTER event's last line, not between its two: the start-up's
    # "setting VIPs." would otherwise count as the reload's.
    wait_for(lambda: "(VI_1) setting VIPs." in peer.log_text(), what="the VIPs set at start")
    before = len(peer.log_text())
    peer.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reload complete" in peer.log_text()[before:], timeout=40, what="the reload")
    wait_for(lambda: "VRRP sockpool" in peer.log_text()[before:], timeout=40, what="the sockpool")
    wait_for(lambda: "setting VIPs." in peer.log_text()[before:], timeout=40, what="the VIPs")
    text = peer.log_text()[before:].replace(str(peer.conf), "CONF")
    lab.kill(peer.proc)
    lines = [re.sub(r"ifindex\( *\d+\)|fd\([\d,]+\) ", "", x.split(": ", 1)[-1]) for x in text.splitlines()]
    unplaced = sorted(x for x in lines if "sockpool" in x or "setting VIPs" in x)
    return [m.group(1) for x in lines if x not in unplaced and (m := RELOADED.search(x))], unplaced


def test_a_reload_of_the_same_file_is_logged_as_keepalived_logs_it(lab: Lab, tmp_path: Path) -> None:
    theirs = reload_lines(lab, tmp_path, keepalived=True)
    assert theirs == (
        [
            "Reloading ...",
            "Opening file 'CONF'.",
            "Configuration file CONF",
            "Reloading",
            "Assigned address 192.0.2.1 for interface eth0",
            "Reload complete",
        ],
        ["(VI_1) setting VIPs.", f"VRRP sockpool: [{POOL}]"],
    ), theirs
    assert reload_lines(lab, tmp_path, keepalived=False) == theirs
