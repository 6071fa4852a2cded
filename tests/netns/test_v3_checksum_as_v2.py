"""`v3_checksum_as_v2`: VRRPv3 over IPv4 summed without the pseudo-header (keepalived 2.4's option).

keepalived 2.2.7 does not know the keyword (it warns and sums the standard way), so the interop
case is the mismatch: alived with the option and keepalived 2.2.7 drop each other's adverts as
bad checksums ("Invalid VRRPv3 checksum", both masters), exactly as two keepalived 2.4 would.
Two alived with the option elect, fail over and preempt as usual.
"""

from __future__ import annotations

import signal
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers.cluster import START_SLACK_S, InstanceSpec, Node, elect_kill_return, make_lan
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

BASE = InstanceSpec(vrid=67, priority=0, vips=("192.0.2.100/24",), version=3)


def _nodes(
    lab: Lab,
    tmp_path: Path,
    alived_high: bool,
    alived_on: bool,
    peer_on: bool,
    *,
    peer_impl: str = "keepalived",
) -> tuple[Node, Node]:
    lan = make_lan(lab, 2)
    prio = (150, 100) if alived_high else (100, 150)
    on = (alived_on, peer_on)
    specs = [replace(BASE, priority=prio[i], extra=("v3_checksum_as_v2",) if on[i] else ()) for i in range(2)]
    return (
        Node("alived", lan.hosts[0], tmp_path, (specs[0],), "subject"),
        Node(peer_impl, lan.hosts[1], tmp_path, (specs[1],), "peer"),
    )


@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["graceful", "hard"])
def test_two_alived_with_the_option(lab: Lab, tmp_path: Path, kill: signal.Signals) -> None:
    subject, peer = _nodes(lab, tmp_path, True, True, True, peer_impl="alived")
    elect_kill_return(subject, peer, kill)
    assert "Invalid VRRPv3 checksum" not in subject.log_text() + peer.log_text()


def test_only_alived_configured_rejects_the_standard_form(lab: Lab, tmp_path: Path) -> None:
    subject, peer = _nodes(lab, tmp_path, False, True, False)
    peer.start()
    subject.start()
    mdi = float(BASE.master_down_interval())
    wait_for(
        lambda: "(VI_1) Invalid VRRPv3 checksum" in subject.log_text(),
        timeout=mdi + START_SLACK_S,
        what="alived to reject keepalived's standard checksum",
    )
    wait_for(subject.is_master, timeout=mdi + START_SLACK_S, what="alived master: it hears no valid peer")
    wait_for(
        lambda: "(VI_1) Invalid VRRPv3 checksum" in peer.log_text(),
        timeout=mdi + START_SLACK_S,
        what="keepalived 2.2.7 to reject alived's checksum without pseudo-header",
    )
