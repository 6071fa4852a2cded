"""alived as an LVS-NAT director, end to end: real HTTP traffic through the VIP, balanced by the
checker child's nftables rules, steered by HTTP_GET health.

A client sends one request per fresh connection, continuously. The three real servers share
the traffic (chi-squared); one real server's HTTP stops: once alived logs `Removing service`
and its rules no longer name the server, no request gets it and none fails (failures happen only
inside the detection window, and are counted); its HTTP comes back: it is back in the pool.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from tests.helpers.director_lab import RS_ADDR, Director, Request, build, served_by, start_directors
from tests.helpers.lb_topology import CHI2_1E6, chi_squared
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

RS2 = RS_ADDR["rs2"]
VS = "[203.0.113.10]:tcp:80"


def after(requests: list[Request], index: int) -> list[Request]:
    return [r for r in requests if r.index > index]


def test_traffic_is_balanced_and_a_failed_server_leaves_and_returns(lab: Lab, tmp_path: Path) -> None:
    dl = build(lab, tmp_path)
    director = start_directors(dl)
    client = dl.client
    client.start()
    client.wait_count(90)
    first = client.requests()[:90]
    counts = served_by(first)
    assert set(counts) == set(RS_ADDR), counts  # all three serve, and nothing failed
    assert chi_squared([counts[n] for n in RS_ADDR], [1, 1, 1]) < CHI2_1E6[2], counts

    # rs2's HTTP stops: detected within delay_loop + retry x delay_before_retry.
    stopped_at = client.count()
    dl.stop_serving("rs2")
    wait_for(
        lambda: f"Removing service [{RS2}]:tcp:80 from VS {VS}" in director.log_text(),
        timeout=30,
        what="the checker to remove rs2",
    )
    wait_for(lambda: not director.rules_name(RS2), timeout=40, what="rs2 out of the nftables rules")
    removed_at = client.count()  # every request numbered above this one started after the removal
    client.wait_count(removed_at + 60)
    without = after(client.requests(), removed_at)
    assert without and {r.answer for r in without} == {"rs1", "rs3"}, served_by(without)

    # rs2's HTTP is back: the check passes and rs2 rejoins the pool.
    dl.serve("rs2")
    wait_for(
        lambda: f"Adding service [{RS2}]:tcp:80 to VS {VS}" in director.log_text(),
        timeout=30,
        what="the checker to add rs2 back",
    )
    wait_for(lambda: director.rules_name(RS2), timeout=40, what="rs2 back in the nftables rules")
    back_at = client.count()
    client.wait_count(back_at + 60)
    requests = client.requests()
    assert set(served_by(after(requests, back_at))) == set(RS_ADDR)
    failed = [r for r in requests if not r.ok]
    # Failures (connections refused by rs2 before it was removed) only inside the detection window.
    assert all(stopped_at <= r.index <= removed_at for r in failed), failed
    window = [r for r in requests if stopped_at <= r.index <= removed_at]
    print(
        f"\ndetection window: {len(window)} requests over "
        f"{window[-1].end - window[0].start:.2f} s, {len(failed)} failed"
    )


def _ruleset(director: Director) -> str:
    """The table with its rule handles, counters' values blanked (they move with the traffic)."""
    out = director.ns.exec("nft", "-a", "list", "table", "inet", "alived").stdout
    return re.sub(r"(packets|bytes) \d+", r"\1 N", out)


def test_a_restarted_checker_child_adopts_the_rules_without_a_gap(lab: Lab, tmp_path: Path) -> None:
    dl = build(lab, tmp_path)
    director = start_directors(dl)
    client = dl.client
    client.start()
    client.wait_count(30)
    before = _ruleset(director)
    pid_file = tmp_path / "d1_checkers.pid"
    old = read_pid(pid_file)
    assert old is not None
    os.kill(old, signal.SIGKILL)  # the supervisor respawns it; the kernel keeps the rules meanwhile
    wait_for(lambda: read_pid(pid_file) not in (None, old), timeout=30, what="a new checker child")
    wait_for(
        lambda: director.log_text().count("Load balancer backend: nftables") >= 2,
        timeout=30,
        what="the new child's backend",
    )
    respawned_at = client.count()
    client.wait_count(respawned_at + 60)
    requests = client.requests()
    assert all(r.ok for r in requests), [r for r in requests if not r.ok]
    assert set(served_by(after(requests, respawned_at))) == set(RS_ADDR)
    # Same rules, same handles: nothing was flushed, re-added or duplicated.
    assert _ruleset(director) == before
