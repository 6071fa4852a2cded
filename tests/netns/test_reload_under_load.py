"""Reload, proven under load: 200 reloads of the master director while a client uses the VIP.

Two alived directors (d1 master, d2 backup: a sync group holding the client's VIP and the real
servers' gateway, a NAT virtual server of HTTP real servers, nftables backend) and a client
making one HTTP request per fresh connection through the VIP, continuously. d1 is reloaded 200
times (SIGHUP to its parent; every 25th through `alivectl reload`), alternating the same file
and a changed one: an address the client does not use added to or removed from the client-side
instance, a real server added or removed, weights changed. Then:

- no request failed;
- no VIP flap: no state transition in either director's log, the status counters of
  transitions unchanged, and `ip monitor address` on d1 never saw the VIP or the gateway
  deleted;
- a reload of an unchanged file made no kernel change at all: the kernel operation tallies
  (`process-json`) of d1's VRRP child and checker child did not move across it;
- the changed files did reach the kernel (the tallies moved, the rules followed the pool).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from alived.daemon.status import instance_rows, query
from tests.helpers.director_lab import (
    GATEWAY_VIP,
    RS_ADDR,
    VIP,
    Director,
    alived_conf,
    build,
    start_directors,
)
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

RELOADS = 200
CTL_EVERY = 25  # every 25th reload goes through `alivectl reload` instead of a bare SIGHUP
ALIVECTL = str(Path(sys.executable).parent / "alivectl")

# The changed files, in turn: each differs from the one before it in VIPs, the pool or weights.
SPARE = ("203.0.113.50", "203.0.113.51")  # client-side addresses the client never uses
CHANGES: tuple[tuple[tuple[str, ...], dict[str, int]], ...] = (
    ((SPARE[0],), {"rs1": 1, "rs2": 1, "rs3": 1}),  # a VIP added
    ((SPARE[0],), {"rs1": 1, "rs2": 1}),  # a real server removed
    (SPARE, {"rs1": 2, "rs2": 3}),  # a VIP added, weights changed
    ((SPARE[1],), {"rs1": 2, "rs2": 3, "rs3": 1}),  # a VIP removed, a real server added
    ((), {"rs1": 1, "rs2": 1, "rs3": 1}),  # a VIP removed, weights changed
    ((), {"rs1": 1, "rs2": 1, "rs3": 2}),  # a weight changed
)


def ask(path: Path, request: str) -> object:
    return json.loads(query(str(path), request, timeout=5))


class Reloader:
    """Reloads one director and tells when both of its children have applied the file."""

    def __init__(self, director: Director, workdir: Path) -> None:
        self.d = director
        parent = read_pid(str(workdir / f"{director.name}.pid"))
        assert parent is not None
        self.parent = parent
        self.sockets = {
            "vrrp": workdir / f"{director.name}_vrrp.sock",
            "checker": workdir / f"{director.name}_checkers.sock",
        }
        self.done = self.reloads()

    def process(self, child: str) -> dict[str, object]:
        doc = ask(self.sockets[child], "process-json")
        assert isinstance(doc, dict)
        return doc

    def reloads(self) -> dict[str, int]:
        return {child: int(self.process(child)["reloads"]["count"]) for child in self.sockets}  # type: ignore[index]

    def kernel_ops(self) -> dict[str, dict[str, object]]:
        return {child: self.process(child)["kernel_ops"] for child in self.sockets}  # type: ignore[misc]

    def reload(self, text: str, *, ctl: bool = False) -> None:
        self.d.conf.write_text(text)
        if ctl:
            pid_file = str(self.d.workdir / f"{self.d.name}.pid")
            out = subprocess.run(
                [ALIVECTL, "reload", "--pid-file", pid_file],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert out.returncode == 0 and "Reload applied" in out.stdout, out.stdout + out.stderr
        else:
            os.kill(self.parent, signal.SIGHUP)
        want = {child: n + 1 for child, n in self.done.items()}
        wait_for(lambda: self.reloads() == want, timeout=30, interval=0.005, what=f"reload {want}")
        self.done = want
        for child in self.sockets:
            assert self.process(child)["reloads"]["last_ok"] is True  # type: ignore[index]


def transitions(director: Director) -> list[str]:
    return [line for line in director.log_text().splitlines() if "Entering" in line and "STATE" in line]


def vrrp_counters(workdir: Path, name: str) -> list[tuple[str, str, int, int]]:
    rows = instance_rows(ask(workdir / f"{name}_vrrp.sock", "status-json"))
    return [(r["name"], r["state"], r["stats"]["become_master"], r["stats"]["release_master"]) for r in rows]


def test_200_reloads_under_load_no_failed_request_no_flap_no_op_touches_nothing(
    lab: Lab, tmp_path: Path
) -> None:
    dl = build(lab, tmp_path, ("d1", "d2"))
    master = start_directors(dl)
    assert master.name == "d1"
    d1, d2 = dl.directors["d1"], dl.directors["d2"]
    # The backup has heard the master; the pool is up (every real server's first check passed).
    wait_for(lambda: all(dl.master() is d1 for _ in range(3)), what="d1 master")
    dl.client.start(timeout=3.0, pause=0.005)
    dl.client.wait_count(20)
    reloader = Reloader(d1, tmp_path)
    before = {"d1": transitions(d1), "d2": transitions(d2)}
    counters = {n: vrrp_counters(tmp_path, n) for n in ("d1", "d2")}
    monitor = d1.ns.popen("ip", "-o", "monitor", "address", log=tmp_path / "addr-events")
    wait_for(lambda: d1.ns.netlink_listening(monitor.pid), what="ip monitor to listen")

    noop_deltas: list[tuple[int, dict[str, object], dict[str, object]]] = []
    changed_ops = {"vrrp": 0, "checker": 0}
    current = alived_conf("d1")
    step = 0
    for i in range(RELOADS):
        ctl = i % CTL_EVERY == CTL_EVERY - 1
        ops_before = reloader.kernel_ops()
        if i % 2 == 0:
            reloader.reload(current, ctl=ctl)
            ops_after = reloader.kernel_ops()
            for child in ops_before:
                if ops_after[child] != ops_before[child]:
                    noop_deltas.append((i, ops_before[child], ops_after[child]))
        else:
            extra, weights = CHANGES[step % len(CHANGES)]
            step += 1
            current = alived_conf("d1", weights=weights, extra_vips=extra)
            reloader.reload(current, ctl=ctl)
            ops_after = reloader.kernel_ops()
            for child in ops_before:
                moved = int(ops_after[child]["total"]) - int(ops_before[child]["total"])  # type: ignore[call-overload]
                changed_ops[child] += moved
    time.sleep(0.5)  # the requests in flight at the last reload end
    lab.kill(monitor, signal.SIGTERM)

    # The last file is in force: its pool in the rules, its VIPs on the master.
    extra, weights = CHANGES[(step - 1) % len(CHANGES)]
    for rs, addr in RS_ADDR.items():
        assert d1.rules_name(addr) == (rs in weights)
    for vip in (*extra, VIP):
        assert d1.ns.has_address("eth0", vip)

    requests = dl.client.requests()
    failed = [r for r in requests if not r.ok]
    assert len(requests) > RELOADS and not failed, failed[:10]
    assert not noop_deltas, noop_deltas[:5]
    assert changed_ops["vrrp"] > 0 and changed_ops["checker"] > 0, changed_ops
    assert transitions(d1) == before["d1"] and transitions(d2) == before["d2"]
    assert {n: vrrp_counters(tmp_path, n) for n in ("d1", "d2")} == counters
    events = (tmp_path / "addr-events").read_text()
    flaps = [
        line
        for line in events.splitlines()
        if line.startswith("Deleted") and (f" {VIP}/" in line or f" {GATEWAY_VIP}/" in line)
    ]
    assert not flaps, flaps
    assert "Traceback" not in d1.log_text()
