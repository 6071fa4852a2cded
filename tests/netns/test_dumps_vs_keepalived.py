"""keepalived.json, keepalived.data and keepalived.stats from alived have keepalived 2.2.7's structure.

Two separate LANs, each a node under test plus a keepalived peer: keepalived on one, alived on
the other, under the same config (one instance master with scripts run as `nobody`, excluded
VIPs, a route and a tracked script; one backup tracking an extra interface). Once adverts have
flowed, each daemon writes its three files into its own TMPDIR and tests/helpers/dumpdiff.py
compares them by path. The differences left are exactly `KNOWN` (README, "Dump files"): a new
one fails the test.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.cluster import make_lan
from tests.helpers.dumpdiff import FILES, compare
from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

CONF = """global_defs {
    enable_script_security
    script_user nobody nogroup
}
vrrp_script chk {
    script "/bin/true"
    interval 1
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    track_script {
        chk
    }
    notify_master "/bin/true master"
    notify "/bin/true"
    virtual_ipaddress {
        192.0.2.100/24
    }
    virtual_ipaddress_excluded {
        198.51.100.9/32
    }
    virtual_routes {
        203.0.113.0/24 via 192.0.2.254
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    track_interface {
        trk0 weight 10
    }
    virtual_ipaddress {
        192.0.2.101/24
    }
}
"""
# The peer: backup for VI_1, master for VI_2 (160 beats 100 + 10).
PEER_CONF = """vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 160
    advert_int 1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
"""

# keepalived.data lines alived does not write, each for a reason given in the README.
_KEEPALIVED_ONLY_GLOBALS = (
    # processes, scheduling and kernel buffers of keepalived's own design
    "BFD don't swap", "BFD process priority", "BFD realtime limit", "BFD realtime priority",
    "Checker don't swap", "Checker process priority", "Checker realtime limit", "Checker realtime priority",
    "VRRP don't swap", "VRRP process priority", "VRRP realtime limit", "VRRP realtime priority",
    "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
    "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force", "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force", "rx_bufs_multiples", "umask",
    # features alived does not have (SNMP, DBus, nftables, LVS, SMTP, checkers, auto priority)
    "SNMP RFCvN disabled", "SNMP checker disabled", "SNMP socket", "SNMP traps disabled",
    "SNMP vrrp disabled",
    "DBus disabled", "DBus service name =", "libnftnl version N.N", "nftables without counters",
    "LVS flush", "LVS flush on stop", "Network namespace ipvs", "Default smtp_alert",
    "Default smtp_alert_checker", "Default smtp_alert_vrrp", "Checkers log all failures", "no_checker_emails",
    "rs_init_notifies", "Max auto priority", "Min auto priority delay",
)  # fmt: skip
KNOWN = sorted([f"data:Global definitions/{key}: only in keepalived" for key in _KEEPALIVED_ONLY_GLOBALS])


def _settled(ns: Namespace, path: Path, parse: Callable[[str], object]) -> bool:
    """The file exists, its writer has closed it (keepalived writes it in place, in several
    writes), and it parses."""
    if not path.exists() or ns.holds_open(path):
        return False
    try:
        parse(path.read_text())
    except ValueError:
        return False
    return True


def _flowed(tmp: Path) -> bool:
    """VI_1 master, VI_2 backup having heard the peer twice: the states the dumps are taken in."""
    by_name = {e["data"]["iname"]: e for e in json.loads((tmp / "keepalived.json").read_text())}
    return (
        by_name["VI_1"]["data"]["state"] == 2
        and by_name["VI_2"]["data"]["state"] == 1
        and by_name["VI_2"]["stats"]["advert_rcvd"] >= 2
    )


def _dump_all(ns: Namespace, peer: KeepalivedPeer, tmp: Path) -> None:
    def fresh_json() -> bool:
        (tmp / "keepalived.json").unlink(missing_ok=True)
        os.kill(peer.proc.pid, signal.SIGRTMIN + 2)
        wait_for(lambda: _settled(ns, tmp / "keepalived.json", json.loads), what=f"keepalived.json in {tmp}")
        return _flowed(tmp)

    wait_for(fresh_json, timeout=40, interval=0.5, what=f"adverts to flow ({tmp.name})")
    for sig, name in ((signal.SIGUSR1, "keepalived.data"), (signal.SIGUSR2, "keepalived.stats")):
        os.kill(peer.proc.pid, sig)
        wait_for(lambda name=name: _settled(ns, tmp / name, str), what=f"{name} in {tmp}")  # type: ignore[misc]


def _node(ns: Namespace) -> None:
    ns.ip("link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
    ns.ip("link", "set", "trk0", "up")
    ns.ip("link", "set", "trk1", "up")


def test_the_three_dump_files_have_keepalived_structure(lab: Lab, tmp_path: Path) -> None:
    lan = make_lan(lab, 2)
    ka_node, ka_peer = lan.hosts
    al_node, al_peer = lab.netns("m0"), lab.netns("m1")
    lab.veth(al_node, "eth0", al_peer, "eth0")
    for i, ns in enumerate((al_node, al_peer)):
        ns.ip("addr", "add", f"192.0.2.{i + 1}/24", "dev", "eth0")
    tmps = {name: tmp_path / f"{name}_tmp" for name in ("ka", "al", "ka_peer", "al_peer")}
    for path in tmps.values():
        path.mkdir()
    for ns in (ka_node, al_node):
        _node(ns)
    start_keepalived(ka_peer, PEER_CONF, tmp_path / "kp", env={**os.environ, "TMPDIR": str(tmps["ka_peer"])})
    start_keepalived(al_peer, PEER_CONF, tmp_path / "ap", env={**os.environ, "TMPDIR": str(tmps["al_peer"])})
    ka = start_keepalived(ka_node, CONF, tmp_path / "ka", env={**os.environ, "TMPDIR": str(tmps["ka"])})
    al = start_alived(al_node, CONF, tmp_path / "al", env={"TMPDIR": str(tmps["al"])})
    for ns, peer in ((ka_node, ka), (al_node, al)):
        # Signals sent before the daemon has installed its handlers would be lost (or fatal).
        wait_for(lambda ns=ns: ns.has_address("eth0", "192.0.2.100"), timeout=40, what="VI_1 master")  # type: ignore[misc]
        wait_for(lambda peer=peer: "(VI_2) Entering BACKUP STATE" in peer.log_text(), what="VI_2 backup")  # type: ignore[misc]
    _dump_all(ka_node, ka, tmps["ka"])
    _dump_all(al_node, al, tmps["al"])
    for name in FILES:
        assert (tmps["al"] / name).stat().st_mode & 0o777 == 0o600

    differences = compare(tmps["ka"], tmps["al"])
    assert differences == KNOWN, "\n".join(sorted(set(differences) ^ set(KNOWN)))
    # Scripts are shown with the ids they run as, the configured script_user's.
    data = (tmps["al"] / "keepalived.data").read_text()
    assert "   Master state transition script = '/bin/true' 'master', uid:gid 65534:65534" in data
