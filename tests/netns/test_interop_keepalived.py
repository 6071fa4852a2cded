"""alived against keepalived 2.2.7 on one LAN: each wire variant, both directions of priority.

Every case runs the same scenario (`cluster.elect_kill_return`): the higher priority wins, the
VIP moves to the other node when the master is killed, and moves back when it returns
(preemption). Both daemons read the same keepalived.conf text. Across the cases the master is
killed hard (SIGKILL: the backup's Master_Down_Interval expires) and gracefully (SIGTERM: the
master sends priority 0), so each implementation is exercised on both paths as sender and as
receiver. Neither side may log an error about the other's adverts.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.helpers.cluster import (
    MOVE_SLACK_S,
    PACKET_ERROR,
    START_SLACK_S,
    InstanceSpec,
    Lan,
    Node,
    elect_kill_return,
    link_local,
    make_lan,
    wait_master,
)
from tests.helpers.netns import Lab, wait_for

# The implementation under test; ALIVED_INTEROP_SUBJECT=keepalived runs the harness against itself.
SUBJECT = os.environ.get("ALIVED_INTEROP_SUBJECT", "alived")

VIP4 = "192.0.2.100/24"
VIP6 = "2001:db8::100/64"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    name: str
    base: InstanceSpec
    unicast: bool = False
    ipv6: bool = False
    # Signal for the master when alived has the higher priority, and when keepalived has.
    kill_subject: signal.Signals = signal.SIGKILL
    kill_peer: signal.Signals = signal.SIGTERM


CASES = [
    Case(name="v2-multicast", base=InstanceSpec(vrid=51, priority=0, vips=(VIP4,), version=2)),
    Case(
        name="v3-ipv4",
        base=InstanceSpec(vrid=52, priority=0, vips=(VIP4,), version=3),
        kill_subject=signal.SIGTERM,
        kill_peer=signal.SIGKILL,
    ),
    Case(
        name="v2-auth-pass",
        base=InstanceSpec(vrid=53, priority=0, vips=(VIP4,), auth_type="PASS", auth_pass="s3cret"),
    ),
    Case(
        name="v2-auth-ah",
        base=InstanceSpec(vrid=54, priority=0, vips=(VIP4,), auth_type="AH", auth_pass="s3cret"),
        kill_subject=signal.SIGTERM,
        kill_peer=signal.SIGKILL,
    ),
    Case(
        name="v2-unicast",
        base=InstanceSpec(vrid=55, priority=0, vips=(VIP4,), version=2),
        unicast=True,
    ),
    Case(
        name="v3-unicast",
        base=InstanceSpec(vrid=56, priority=0, vips=(VIP4,), version=3),
        unicast=True,
        kill_subject=signal.SIGTERM,
        kill_peer=signal.SIGKILL,
    ),
    Case(name="v3-ipv6", base=InstanceSpec(vrid=57, priority=0, vips=(VIP6,), version=3), ipv6=True),
]


KEEPALIVED_REJECTIONS = [
    "(VI_1) advertisement interval mismatch with 192.0.2.2 mine=1 sec rcv'd=2 sec",
    "(VI_1) invalid TTL/HL from 192.0.2.2. Received 64 and expect 255",
    "(VI_1) received an invalid passwd from 192.0.2.2!",
    "(VI_1) Invalid VRRPv3 checksum from 192.0.2.2",
    "(VI_1) ip address associated with VRID 51 not present in advert from 192.0.2.2: 192.0.2.100",
    "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !",
]
KEEPALIVED_NORMAL = [
    "(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding",
    "(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100",
    "(VI_1) Backup received priority 0 advertisement",
    "(VI_1) Entering BACKUP STATE (init)",
    "Sending gratuitous ARP on eth0 for 192.0.2.100",
]


def test_packet_error_pattern_catches_keepalived_rejections() -> None:
    """The log check the interop cases rely on fires on keepalived's rejection lines, and only there."""
    assert [line for line in KEEPALIVED_REJECTIONS if not PACKET_ERROR.search(line)] == []
    assert [line for line in KEEPALIVED_NORMAL if PACKET_ERROR.search(line)] == []


def _spec(case: Case, lan: Lan, i: int, priority: int) -> InstanceSpec:
    spec = replace(case.base, priority=priority)
    if case.unicast:
        spec = replace(spec, unicast_src_ip=lan.ipv4(i), unicast_peers=(lan.ipv4(1 - i),))
    return spec


@pytest.mark.netns
@pytest.mark.parametrize("subject_high", [True, False], ids=["alived-higher", "keepalived-higher"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_interop_with_keepalived(lab: Lab, tmp_path: Path, case: Case, subject_high: bool) -> None:
    lan = make_lan(lab, 2, ipv6=case.ipv6)
    prio_subject, prio_peer = (150, 100) if subject_high else (100, 150)
    subject = Node(SUBJECT, lan.hosts[0], tmp_path, (_spec(case, lan, 0, prio_subject),), "subject")
    peer = Node("keepalived", lan.hosts[1], tmp_path, (_spec(case, lan, 1, prio_peer),), "peer")
    high, low = (subject, peer) if subject_high else (peer, subject)
    elect_kill_return(high, low, case.kill_subject if subject_high else case.kill_peer)
    if not subject_high:
        # keepalived parsed the subject's advert (priority, source) while it waited to preempt.
        source = link_local(lan.hosts[0]) if case.ipv6 else lan.ipv4(0)
        assert f"received lower priority (100) advert from {source}" in peer.log_text()


@pytest.mark.netns
def test_restart_after_sigkill_releases_stale_vip(lab: Lab, tmp_path: Path) -> None:
    """A SIGKILLed master leaves its VIP in the kernel; the next start must remove it before BACKUP.

    keepalived logs "(VI_1) removing VIPs." before "Entering BACKUP STATE (init)"; otherwise the
    VIP sits on two hosts (ARP conflict) for a whole Master_Down_Interval until preemption.
    """
    lan = make_lan(lab, 2)
    base = InstanceSpec(vrid=58, priority=0, vips=(VIP4,))
    subject = Node(SUBJECT, lan.hosts[0], tmp_path, (replace(base, priority=150),), "subject")
    peer = Node("keepalived", lan.hosts[1], tmp_path, (replace(base, priority=100),), "peer")
    mdi = float(peer.spec.master_down_interval())
    peer.start()
    subject.start()
    wait_master(subject, peer, mdi + START_SLACK_S, "subject to win the election")
    subject.stop(signal.SIGKILL)
    wait_for(peer.is_master, timeout=mdi + MOVE_SLACK_S, what="keepalived to take over")
    assert subject.has_vip(), "the kernel keeps a SIGKILLed daemon's VIP"
    subject.start()
    wait_for(lambda: subject.state() == "BACKUP", timeout=START_SLACK_S, what="subject to start as BACKUP")
    assert not subject.has_vip(), "a starting BACKUP still holds the VIP the keepalived master holds"
    wait_master(subject, peer, mdi + START_SLACK_S, "subject to preempt")


@pytest.mark.netns
@pytest.mark.parametrize("subject_ip_higher", [True, False], ids=["alived-higher-ip", "keepalived-higher-ip"])
def test_equal_priority_higher_primary_ip_wins(lab: Lab, tmp_path: Path, subject_ip_higher: bool) -> None:
    """RFC 3768 6.4.3 tie-break across implementations: same priority, the higher source address wins."""
    lan = make_lan(lab, 2)
    subject_host, peer_host = (1, 0) if subject_ip_higher else (0, 1)
    spec = InstanceSpec(vrid=59, priority=100, vips=(VIP4,))
    subject = Node(SUBJECT, lan.hosts[subject_host], tmp_path, (spec,), "subject")
    peer = Node("keepalived", lan.hosts[peer_host], tmp_path, (spec,), "peer")
    winner, loser = (subject, peer) if subject_ip_higher else (peer, subject)
    # Partitioned, both become master; joined, each master hears the other's equal-priority advert.
    lan.isolate(on=True)
    subject.start()
    peer.start()
    mdi = float(spec.master_down_interval())
    wait_for(
        lambda: subject.is_master() and peer.is_master(), timeout=mdi + START_SLACK_S, what="two masters"
    )
    lan.isolate(on=False)
    wait_master(winner, loser, 2 * float(spec.advert_int) + MOVE_SLACK_S, "the higher address to stay master")
    assert "same priority" in loser.log_text()
    assert subject.packet_errors() == []
    assert peer.packet_errors() == []
