"""Split brain on a real kernel: both nodes master while nftables drops VRRP; then it heals.

alived: both masters log the split brain, count it in `status-json`, and write
`INSTANCE "VI_1" SPLIT_BRAIN 150` to the notify FIFO. The heal is made deterministic in keepalived's
stale case: the loser's rule goes first, so it yields on the winner's advert and the winner never
hears a lower-priority advert (keepalived's only trigger for a re-announcement); only then does
the winner's rule go. The client, which talked to the VIP during the split and whose neighbour
entry names the loser, sends nothing afterwards, so only an announcement can correct it: with
alived its entry names the winner, and one master remains. keepalived 2.2.7 runs the same
scenario in the same module: only its figures are recorded (it has no split-brain detection to
check; its client stays stale). The IPv6-only twin (NAs as evidence, DAD-style solicitations as
probes) runs the alived scenario with an IPv6 VIP. Timing figures are printed and kept by
bench/bench_split_brain.py, never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alived.daemon.status import instance_rows, query
from tests.helpers import split_brain_lab as sb
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns


def _status(side: sb.Side) -> dict[str, object]:
    rows = instance_rows(json.loads(query(side.status_socket(), "status-json")))
    assert len(rows) == 1
    return rows[0]


def test_alived_detects_the_split_brain_and_the_winner_corrects_the_client(lab: Lab, tmp_path: Path) -> None:
    out = sb.setup(lab, tmp_path, "alived")
    try:
        sb.wait_detected(out)
        for side in (out.winner, out.loser):
            assert "Split brain: another master holds our VIPs" in side.log()
            row = _status(side)
            assert row["split_brain_count"] == 1 and isinstance(row["split_brain_since"], float)
            assert row["state"] == "MASTER"
            assert "VI_1 SPLIT BRAIN since " in query(side.status_socket(), "status")
        wait_for(lambda: 'INSTANCE "VI_1" SPLIT_BRAIN 150' in out.winner.fifo.read(), timeout=40)
        wait_for(lambda: 'INSTANCE "VI_1" SPLIT_BRAIN 100' in out.loser.fifo.read(), timeout=40)
        assert "ARP answered by " + out.loser.mac in out.winner.log()
        sb.client_talks_to_loser(out, keep_pinging=False)
        sb.heal(out, heal_wait=30, loser_first=True)
        assert out.one_master_after_s is not None, "one master once VRRP flows again"
        assert out.client_ok_after_s is not None, "the client's entry for the VIP names the winner"
        assert sb.neighbour_mac(out.client) == out.winner.mac
        wait_for(lambda: 'INSTANCE "VI_1" SPLIT_BRAIN_END 100' in out.loser.fifo.read(), timeout=40)
        assert "Split brain over after" in out.loser.log() and "we yielded" in out.loser.log()
        wait_for(lambda: _status(out.winner)["split_brain_since"] is None, timeout=40)
        assert _status(out.winner)["split_brain_count"] == 1
        # The re-announcement's line comes with the GARPs that corrected the client: waited for,
        # as in the IPv6 twin below, not read at the moment the status changed.
        wait_for(lambda: "Split brain healing" in out.winner.log(), timeout=40)
        print(
            f"\nalived: split brain logged {out.detected_after_s:.3f} s after both were master;"
            f" one master after {out.one_master_after_s:.3f} s,"
            f" client corrected after {out.client_ok_after_s:.3f} s"
        )
    finally:
        for side in (out.winner, out.loser):
            side.fifo.close()


def test_keepalived_same_scenario_figures_only(lab: Lab, tmp_path: Path) -> None:
    out = sb.setup(lab, tmp_path, "keepalived")
    try:
        sb.client_talks_to_loser(out, keep_pinging=False)
        sb.heal(out, heal_wait=10, loser_first=True)
        assert out.one_master_after_s is not None, "keepalived too ends with one master"
        client = "stale after 10 s" if out.client_ok_after_s is None else f"{out.client_ok_after_s:.3f} s"
        print(f"\nkeepalived: one master after {out.one_master_after_s:.3f} s, client corrected: {client}")
        # keepalived has no split-brain event: nothing of alived's own appears.
        assert "SPLIT_BRAIN" not in out.winner.fifo.read() + out.loser.fifo.read()
    finally:
        for side in (out.winner, out.loser):
            side.fifo.close()


def test_alived_detects_an_ipv6_only_split_brain_by_neighbour_adverts(lab: Lab, tmp_path: Path) -> None:
    """Issue 12's IPv6 twin: no IPv4 VIP, so NAs are the evidence and DAD-style NSs the probes."""
    out = sb.setup(lab, tmp_path, "alived", vip=sb.VIP6)
    try:
        sb.wait_detected(out)  # by both masters
        assert "(NA from " + out.loser.mac in out.winner.log()
        assert "(NA from " + out.winner.mac in out.loser.log()
        assert _status(out.winner)["split_brain_count"] == 1
        wait_for(lambda: 'INSTANCE "VI_1" SPLIT_BRAIN 150' in out.winner.fifo.read(), timeout=40)
        sb.client_talks_to_loser(out, keep_pinging=False)
        sb.heal(out, heal_wait=30, loser_first=True)
        assert out.one_master_after_s is not None, "one master once VRRP flows again"
        assert out.client_ok_after_s is not None, "the client's entry for the IPv6 VIP names the winner"
        assert sb.neighbour_mac(out.client, sb.VIP6) == out.winner.mac
        # The client's entry can be corrected a moment before the winner's log line is written
        # (its echo reply resolves the client from the VIP): wait for the line, do not race it.
        wait_for(lambda: "Split brain healing" in out.winner.log(), timeout=40)
        assert _status(out.winner)["split_brain_count"] == 1
    finally:
        for side in (out.winner, out.loser):
            side.fifo.close()
