"""The IPv4 ID of adverts on the wire, alived beside keepalived 2.2.7 with the same config.

keepalived counts per instance from 1, one ID per advert; every unicast copy of an advert
carries the same ID, and the priority-0 advert at stop continues the count.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import start_alived, start_keepalived

pytestmark = pytest.mark.netns

CONF = """
global_defs {
    enable_script_security
}
vrrp_instance VI_1 {
    interface eth0
    version 3
    virtual_router_id 71
    priority 100
    advert_int 0.2
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
        192.0.2.3
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    version 3
    virtual_router_id 72
    priority 100
    advert_int 0.2
    virtual_ipaddress {
        192.0.2.101/24
    }
}
"""

_ADVERT = re.compile(
    r"\bid (\d+),.*?\n\s+192\.0\.2\.1 > ([\d.]+): VRRPv3, Advertisement, vrid (\d+), prio (\d+)"
)
Key = tuple[int, str]  # (vrid, destination)


def adverts(capture: Path) -> dict[Key, list[tuple[int, int]]]:
    """(IP ID, priority) of each advert seen, per (vrid, destination), in order."""
    out: dict[Key, list[tuple[int, int]]] = {}
    text = capture.read_text(errors="replace") if capture.exists() else ""
    for ident, dest, vrid, prio in _ADVERT.findall(text):
        out.setdefault((int(vrid), dest), []).append((int(ident), int(prio)))
    return out


def capture_run(
    lab: Lab, sender: Namespace, listener: Namespace, tmp_path: Path, kind: str
) -> dict[Key, list[tuple[int, int]]]:
    capture = tmp_path / f"{kind}.capture"
    tcpdump = listener.popen("tcpdump", "-l", "-nn", "-v", "-i", "eth0", "ip proto 112", log=capture)
    wait_for(lambda: "listening on" in capture.read_text(errors="replace"), what="tcpdump to listen")
    start = start_keepalived if kind == "keepalived" else start_alived
    peer = start(sender, CONF, tmp_path / kind, kind)
    keys = [(71, "192.0.2.2"), (71, "192.0.2.3"), (72, "224.0.0.18")]
    wait_for(lambda: all(len(adverts(capture).get(k, [])) >= 4 for k in keys), what=f"{kind} adverts")
    lab.kill(peer.proc, signal.SIGTERM)
    wait_for(
        lambda: all(any(prio == 0 for _, prio in adverts(capture).get(k, [])) for k in keys),
        what=f"{kind} priority-0 adverts",
    )
    lab.kill(tcpdump, signal.SIGTERM)
    return adverts(capture)


def check_shape(seen: dict[Key, list[tuple[int, int]]]) -> None:
    for key, sequence in seen.items():
        ids = [ident for ident, _ in sequence]
        assert ids == list(range(1, len(ids) + 1)), f"{key}: {ids}"
        assert [prio for _, prio in sequence][-1] == 0
    # One ID per advert: both unicast copies of each advert carry the same one.
    assert [i for i, _ in seen[(71, "192.0.2.2")]] == [i for i, _ in seen[(71, "192.0.2.3")]]


def test_ip_ids_match_keepalived(lab: Lab, tmp_path: Path) -> None:
    sender, listener = lab.netns("s"), lab.netns("l")
    lab.lan([sender, listener])
    sender.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    for address in ("192.0.2.2/24", "192.0.2.3/24"):
        listener.ip("addr", "add", address, "dev", "eth0")
    for kind in ("keepalived", "alived"):
        seen = capture_run(lab, sender, listener, tmp_path, kind)
        assert set(seen) == {(71, "192.0.2.2"), (71, "192.0.2.3"), (72, "224.0.0.18")}, kind
        check_shape(seen)
