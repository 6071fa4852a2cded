"""alived against FRR's vrrpd (frr 8.4) on one LAN: VRRPv2 and VRRPv3 over IPv4, both directions.

FRR runs its virtual router on a macvlan carrying the VMAC, with the VIP always configured on it;
its state comes from `show vrrp json`. The scenario is `cluster.elect_kill_return`: the higher
priority wins, the VIP moves on kill, and moves back on return (FRR preempts by default, like
keepalived). FRR's interval is configured in milliseconds, alived's advert_int in seconds; both
come from the same `InstanceSpec`.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.cluster import (
    FRR_PACKET_ERROR,
    MOVE_SLACK_S,
    START_SLACK_S,
    InstanceSpec,
    Node,
    elect_kill_return,
    make_lan,
)
from tests.helpers.netns import Lab, wait_for

SUBJECT = os.environ.get("ALIVED_INTEROP_SUBJECT", "alived")

VIP4 = "192.0.2.100/24"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    name: str
    version: int
    vrid: int
    kill_subject: signal.Signals
    kill_peer: signal.Signals


CASES = [
    Case(name="v2", version=2, vrid=5, kill_subject=signal.SIGKILL, kill_peer=signal.SIGTERM),
    Case(name="v3", version=3, vrid=6, kill_subject=signal.SIGTERM, kill_peer=signal.SIGKILL),
]


def test_packet_error_pattern_catches_vrrpd_rejections() -> None:
    """The log check of `elect_kill_return` fires on vrrpd's rejection lines, and only there."""
    prefix = "VRRP: [RDVJR-9J51Y] [CORE] [VRID 5] [IPv4] "
    rejections = [
        "Datagram invalid: Bad VRRP checksum 1439; should be 1438",
        "Datagram invalid: Packet has incorrect # addresses",
        "Datagram invalid: Received advertisement with advertisement interval 2 unequal to our configured"
        " value 1",
        "Datagram has 2 addresses, but this VRRP instance has 1",
    ]
    normal = [
        "Discarding advertisement from 192.0.2.1 (100 < 150 & preempt = true)",
        "Received VRRP Advertisement from 192.0.2.1: version 3, type 1 (ADVERTISEMENT), vrid 5, priority 100",
        "Master_Down_Timer expired",
    ]
    assert [line for line in rejections if not FRR_PACKET_ERROR.search(prefix + line)] == []
    assert [line for line in normal if FRR_PACKET_ERROR.search(prefix + line)] == []


@pytest.mark.netns
@pytest.mark.parametrize("subject_high", [True, False], ids=["alived-higher", "frr-higher"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_interop_with_frr(lab: Lab, tmp_path: Path, case: Case, subject_high: bool) -> None:
    lan = make_lan(lab, 2)
    prio_subject, prio_peer = (150, 100) if subject_high else (100, 150)

    def spec(priority: int) -> InstanceSpec:
        return InstanceSpec(vrid=case.vrid, priority=priority, vips=(VIP4,), version=case.version)

    subject = Node(SUBJECT, lan.hosts[0], tmp_path, (spec(prio_subject),), "subject")
    peer = Node("frr", lan.hosts[1], tmp_path, (spec(prio_peer),), "frr")
    high, low = (subject, peer) if subject_high else (peer, subject)
    elect_kill_return(high, low, case.kill_subject if subject_high else case.kill_peer)

    assert peer.frr is not None
    stats = peer.frr.show(case.vrid).get("v4")
    assert isinstance(stats, dict)
    # FRR heard the subject's adverts and counted them as received adverts of this router.
    assert stats["stats"]["adverRx"] > 0
    # vrrpd parsed them as adverts of the configured version from the subject's primary address.
    assert f"Received VRRP Advertisement from {lan.ipv4(0)}: version {case.version}," in peer.log_text()


@pytest.mark.netns
def test_mixed_lan_alived_keepalived_frr(lab: Lab, tmp_path: Path) -> None:
    """Three implementations, one VRRPv3 router: the VIP goes to the next priority, then back."""
    lan = make_lan(lab, 3)

    def spec(priority: int) -> InstanceSpec:
        return InstanceSpec(vrid=7, priority=priority, vips=(VIP4,), version=3)

    subject = Node(SUBJECT, lan.hosts[0], tmp_path, (spec(150),), "subject")
    keepalived = Node("keepalived", lan.hosts[1], tmp_path, (spec(120),), "keepalived")
    frr = Node("frr", lan.hosts[2], tmp_path, (spec(100),), "frr")
    mdi = float(frr.spec.master_down_interval())
    for node in (frr, keepalived, subject):
        node.start()
    wait_for(
        lambda: subject.is_master() and keepalived.is_backup() and frr.is_backup(),
        timeout=mdi + START_SLACK_S,
        what="alived (150) master, keepalived (120) and FRR (100) backup",
    )
    subject.stop(signal.SIGTERM)
    wait_for(
        lambda: keepalived.is_master() and frr.is_backup(),
        timeout=mdi + MOVE_SLACK_S,
        what="keepalived (120) to take over, FRR (100) to stay backup",
    )
    subject.start()
    wait_for(
        lambda: subject.is_master() and keepalived.is_backup() and frr.is_backup(),
        timeout=mdi + START_SLACK_S,
        what="alived to preempt both",
    )
    for node in (subject, keepalived, frr):
        assert node.packet_errors() == [], f"{node.kind} logged advert errors"
