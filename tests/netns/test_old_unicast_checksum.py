"""`old_unicast_checksum` against keepalived 2.2.7 (built with OLD_CHKSUM_COMPAT): VRRPv3 unicast.

With the keyword, keepalived sums the pseudo-header over 224.0.0.18 instead of the peer and
takes only that form from its peers, so alived must send it too or keepalived drops every
advert ("Invalid VRRPv3 checksum") and both sides become master.
"""

from __future__ import annotations

import signal
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers.cluster import START_SLACK_S, InstanceSpec, Node, elect_kill_return, make_lan, wait_master
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

BASE = InstanceSpec(vrid=66, priority=0, vips=("192.0.2.100/24",), version=3)


def _nodes(
    lab: Lab, tmp_path: Path, alived_high: bool, alived_extra: str, peer_extra: str
) -> tuple[Node, Node]:
    lan = make_lan(lab, 2)
    prio = (150, 100) if alived_high else (100, 150)
    specs = [
        replace(
            BASE,
            priority=prio[i],
            unicast_src_ip=lan.ipv4(i),
            unicast_peers=(lan.ipv4(1 - i),),
            extra=tuple(line for line in (alived_extra if i == 0 else peer_extra,) if line),
        )
        for i in range(2)
    ]
    subject = Node("alived", lan.hosts[0], tmp_path, (specs[0],), "subject")
    peer = Node("keepalived", lan.hosts[1], tmp_path, (specs[1],), "peer")
    return subject, peer


@pytest.mark.parametrize("alived_high", [True, False], ids=["alived-higher", "keepalived-higher"])
def test_both_sides_configured(lab: Lab, tmp_path: Path, alived_high: bool) -> None:
    subject, peer = _nodes(lab, tmp_path, alived_high, "old_unicast_checksum", "old_unicast_checksum")
    high, low = (subject, peer) if alived_high else (peer, subject)
    elect_kill_return(high, low, signal.SIGTERM if alived_high else signal.SIGKILL)
    if not alived_high:
        assert "received lower priority (100) advert from 192.0.2.1" in peer.log_text()


def test_keepalived_adopts_the_old_form_alived_sends(lab: Lab, tmp_path: Path) -> None:
    subject, peer = _nodes(lab, tmp_path, True, "old_unicast_checksum", "")
    peer.start()
    subject.start()
    mdi = float(BASE.master_down_interval())
    wait_master(subject, peer, mdi + START_SLACK_S, "alived (higher priority) to win")
    # Logged when the first such advert arrives, which can be a moment after the new master's VIP.
    wait_for(
        lambda: "(VI_1) Setting unicast VRRPv3 checksum to old version" in peer.log_text(),
        what="keepalived to adopt the old form",
    )
    assert "Invalid VRRPv3 checksum" not in peer.log_text()


@pytest.mark.parametrize("alived_high", [True, False], ids=["alived-higher", "keepalived-higher"])
def test_alived_adopts_the_old_form_keepalived_sends(lab: Lab, tmp_path: Path, alived_high: bool) -> None:
    """keepalived configured, alived not: alived takes the old form and answers in it."""
    subject, peer = _nodes(lab, tmp_path, alived_high, "", "old_unicast_checksum")
    high, low = (subject, peer) if alived_high else (peer, subject)
    peer.start()
    subject.start()
    mdi = float(BASE.master_down_interval())
    wait_master(high, low, mdi + START_SLACK_S, "the higher priority to win")
    wait_for(
        lambda: "(VI_1) Setting unicast VRRPv3 checksum to old version" in subject.log_text(),
        what="alived to adopt the old form",
    )
    assert "Invalid VRRPv3 checksum" not in peer.log_text()
